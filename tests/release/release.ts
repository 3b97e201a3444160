// The release that `npm run release` (and so `npm run setup`) builds:
// archives and SHA256SUMS in dist/release/, channels in dist/channels/.
// The release tests check what users download, so they unpack the archives.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSums } from "../../release/channels.ts";
import { TARGETS, type TargetName } from "../../release/targets.ts";
import { ROOT, run } from "../helpers/blit.ts";

export const RELEASE = join(ROOT, "dist", "release");
export const CHANNELS = join(ROOT, "dist", "channels");

for (const path of [join(RELEASE, "SHA256SUMS"), join(CHANNELS, "Formula", "blit.rb")]) {
  if (!existsSync(path)) throw new Error(`${path} is missing: build the release first (npm run release; npm run setup does)`);
}

export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];

export function releaseSums(): Map<string, string> {
  return parseSums(readFileSync(join(RELEASE, "SHA256SUMS"), "utf8"));
}

export const assetPath = (target: TargetName) => join(RELEASE, TARGETS[target].asset);

/** Unpacks a target's archive into `dir` with the tools a user has; returns the executable's path. */
export function unpack(target: TargetName, dir: string): string {
  const archive = assetPath(target);
  const r = archive.endsWith(".zip") ? run(["unzip", "-q", "-o", archive, "-d", dir]) : run(["tar", "-xzf", archive, "-C", dir]);
  if (r.exitCode !== 0) throw new Error(`cannot unpack ${archive}: ${r.stderr}`);
  return join(dir, archive.endsWith(".zip") ? "blit.exe" : "blit");
}

/** Why a command the test needs is absent (npm run setup installs it). */
export function lacks(command: string, what: string): string | undefined {
  return run(["sh", "-c", `command -v ${command}`]).exitCode === 0 ? undefined : `${command} is not installed (${what}; npm run setup installs it)`;
}

/** The header and load commands of a 64-bit little-endian Mach-O file. */
export function readMachO(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== 0xfeedfacf) throw new Error("not a 64-bit Mach-O file");
  const cpuType = view.getUint32(4, true);
  const commands = view.getUint32(16, true);
  const libraries: string[] = [];
  let platform = "";
  let minOS = "";
  let codeSignature = false;
  let offset = 32;
  for (let i = 0; i < commands; i++) {
    const cmd = view.getUint32(offset, true);
    const size = view.getUint32(offset + 4, true);
    if (cmd === 0x32) {
      // LC_BUILD_VERSION: platform, minos (xxxx.yy.zz nibbles)
      platform = view.getUint32(offset + 8, true) === 1 ? "macOS" : String(view.getUint32(offset + 8, true));
      const minos = view.getUint32(offset + 12, true);
      minOS = `${minos >>> 16}.${(minos >>> 8) & 0xff}`;
    } else if (cmd === 0xc) {
      // LC_LOAD_DYLIB: name at its offset within the command
      const nameAt = offset + view.getUint32(offset + 8, true);
      const end = bytes.indexOf(0, nameAt);
      libraries.push(new TextDecoder().decode(bytes.subarray(nameAt, Math.min(end, offset + size))));
    } else if (cmd === 0x1d) {
      codeSignature = true; // LC_CODE_SIGNATURE
    }
    offset += size;
  }
  return {
    cpu: cpuType === 0x01000007 ? "x86_64" : cpuType === 0x0100000c ? "arm64" : `cpu ${cpuType}`,
    fileType: ({ 2: "executable", 6: "dylib" } as Record<number, string>)[view.getUint32(12, true)] ?? "other",
    platform,
    minOS,
    libraries: libraries.sort(),
    codeSignature,
  };
}
