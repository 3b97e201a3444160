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
