// The release archives: what each holds, SHA256SUMS over them, and what the
// executables inside are (architecture, runtime, libc symbols), including
// the macOS ones, which cannot run here and are inspected instead.

import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkShimArchitecture } from "../../ffi/index.ts";
import { TARGETS, type TargetName } from "../../release/targets.ts";
import { BLIT, ROOT, run } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { assetPath, lacks, readMachO, RELEASE, releaseSums, TARGET_NAMES, unpack } from "./release.ts";

describe("archives and SHA256SUMS", () => {
  test("SHA256SUMS lists every target's archive, and each matches (sha256sum -c)", () => {
    expect([...releaseSums().keys()].sort()).toEqual(TARGET_NAMES.map((t) => TARGETS[t].asset).sort());
    const r = run(["sha256sum", "--strict", "-c", "SHA256SUMS"], { cwd: RELEASE });
    const ok = TARGET_NAMES.map((t) => `${TARGETS[t].asset}: OK\n`).join("");
    expect(r).toEqual({ stdout: ok, stderr: "", exitCode: 0 });
  });

  test("a changed byte in an archive fails the check", () => {
    const dir = sandbox("sums");
    const asset = TARGETS["linux-arm64"].asset;
    run(["cp", assetPath("linux-arm64"), join(RELEASE, "SHA256SUMS"), dir]);
    // The last byte: gzip's length trailer, so the archive still looks whole.
    run(["sh", "-c", `printf '\\001' | dd of=${asset} bs=1 seek=$(( $(stat -c %s ${asset}) - 1 )) conv=notrunc status=none`], { cwd: dir });
    const r = run(["sha256sum", "--ignore-missing", "-c", "SHA256SUMS"], { cwd: dir });
    expect(r).toEqual({
      stdout: `${asset}: FAILED\n`,
      stderr: "sha256sum: WARNING: 1 computed checksum did NOT match\nsha256sum: SHA256SUMS: no file was verified\n",
      exitCode: 1,
    });
  });

  // The time build.ts gives each member: that of the commit the release was built from (its blit --version says which).
  const built = /\(commit ([0-9a-f]+)/.exec(run([unpack("linux-x64", sandbox("built")), "--version"]).stdout)?.[1] ?? "HEAD";
  const commitSeconds = Number(run(["git", "log", "-1", "--format=%ct", built], { cwd: ROOT }).stdout.trim());
  const committed = new Date(commitSeconds * 1000);
  const license = readFileSync(join(ROOT, "LICENSE"), "utf8");
  for (const target of TARGET_NAMES) {
    const { asset } = TARGETS[target];
    const exe = asset.endsWith(".zip") ? "blit.exe" : "blit";
    test(`${asset} holds ${exe}${exe === "blit" ? " (mode 0755, owner 0/0)" : ""} and LICENSE, dated the commit's time in UTC`, () => {
      if (asset.endsWith(".zip")) {
        // zipinfo -T: each member's MS-DOS time as yyyymmdd.hhmmss, which zip wrote in its TZ.
        const r = run(["zipinfo", "-T", "-s", assetPath(target)], { env: { ...process.env, TZ: "UTC0" } });
        // MS-DOS times are in steps of 2 s, which zip rounds up to.
        const stepped = new Date(Math.ceil(commitSeconds / 2) * 2000);
        const stamp = stepped.toISOString().replace(/[-:]/g, "").replace("T", ".").slice(0, 15);
        const members = [...r.stdout.matchAll(/ (\d{8}\.\d{6}) (\S+)$/gm)].map((m) => `${m[2]} ${m[1]}`);
        expect({ members, exitCode: r.exitCode }).toEqual({ members: [`blit.exe ${stamp}`, `LICENSE ${stamp}`], exitCode: 0 });
      } else {
        const r = run(["tar", "--utc", "--full-time", "-tvzf", assetPath(target)], { env: { ...process.env, TZ: "UTC0" } });
        const when = committed.toISOString().slice(0, 19).replace("T", " ");
        expect({ ...r, stdout: r.stdout.replace(/ +\d+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) /g, " SIZE $1 ") }).toEqual({
          stdout: `-rwxr-xr-x 0/0 SIZE ${when} blit\n-rw-r--r-- 0/0 SIZE ${when} LICENSE\n`,
          stderr: "",
          exitCode: 0,
        });
      }
    });
  }

  test("the LICENSE in each archive is the repository's", () => {
    const dir = sandbox("license");
    for (const target of TARGET_NAMES) {
      const { asset } = TARGETS[target];
      const r = asset.endsWith(".zip") ? run(["unzip", "-p", assetPath(target), "LICENSE"]) : run(["tar", "-xzOf", assetPath(target), "LICENSE"], { cwd: dir });
      expect({ asset, ...r }).toEqual({ asset, stdout: license, stderr: "", exitCode: 0 });
    }
  });

  test("the linux-x64 archive ships ./dist/blit, the executable the test suite runs, byte for byte", () => {
    const exe = unpack("linux-x64", sandbox("unpack"));
    expect(run(["cmp", exe, BLIT])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });
});

/** `file`'s description of each executable, as unpacked from its archive. */
const EXPECTED_FILE: Record<TargetName, RegExp> = {
  "linux-x64": /^ELF 64-bit LSB executable, x86-64, .*interpreter \/lib64\/ld-linux-x86-64\.so\.2, for GNU\/Linux/,
  "linux-x64-musl": /^ELF 64-bit LSB executable, x86-64, .*interpreter \/lib\/ld-musl-x86_64\.so\.1,/,
  "linux-arm64": /^ELF 64-bit LSB executable, ARM aarch64, .*interpreter \/lib\/ld-linux-aarch64\.so\.1, for GNU\/Linux/,
  "darwin-x64": /^Mach-O 64-bit x86_64 executable/,
  "darwin-arm64": /^Mach-O 64-bit arm64 executable/,
  "windows-x64": /^PE32\+ executable \(console\) x86-64, for MS Windows/,
};

const FILE_LABEL: Record<TargetName, string> = {
  "linux-x64": "ELF x86-64, glibc's loader",
  "linux-x64-musl": "ELF x86-64, musl's loader",
  "linux-arm64": "ELF aarch64, glibc's loader",
  "darwin-x64": "Mach-O x86_64",
  "darwin-arm64": "Mach-O arm64",
  "windows-x64": "PE32+ console x86-64",
};

describe("the executables", () => {
  for (const target of TARGET_NAMES) {
    testIf(lacks("file", "identifies executables"))(`${target}: \`file\` says ${FILE_LABEL[target]}`, () => {
      const exe = unpack(target, sandbox("unpack"));
      const r = run(["file", "-b", exe]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(EXPECTED_FILE[target]);
      expect(r.exitCode).toBe(0);
    });
  }

  // Old CPUs: x64 targets are built with Bun's -baseline runtimes, made for
  // CPUs without AVX2. (Bun 1.4.4 as the registry serves it here: the
  // bun-linux-x64 and -baseline runtimes are the same bytes, and so are
  // darwin's; the request stays, for a Bun that tells them apart again.)
  test("x64 targets use Bun's baseline runtime, arm64 ones the arm64 runtime", () => {
    const runtimes = Object.fromEntries(TARGET_NAMES.map((t) => [t, TARGETS[t].bun]));
    expect(runtimes).toEqual({
      "linux-x64": "bun-linux-x64-baseline",
      "linux-x64-musl": "bun-linux-x64-musl-baseline",
      "linux-arm64": "bun-linux-arm64",
      "darwin-x64": "bun-darwin-x64-baseline",
      "darwin-arm64": "bun-darwin-arm64",
      "windows-x64": "bun-windows-x64-baseline",
    });
  });

  for (const target of ["darwin-x64", "darwin-arm64"] as const) {
    test(`${target}: Mach-O executable for ${target.endsWith("arm64") ? "arm64" : "x86_64"}, macOS 13.0 or later, only system libraries, a code signature`, () => {
      const macho = readMachO(readFileSync(unpack(target, sandbox("unpack"))).subarray(0, 1 << 16));
      expect(macho).toEqual({
        cpu: target.endsWith("arm64") ? "arm64" : "x86_64",
        fileType: "executable",
        platform: "macOS",
        minOS: "13.0",
        libraries: ["/usr/lib/libSystem.B.dylib", "/usr/lib/libc++.1.dylib", "/usr/lib/libicucore.A.dylib", "/usr/lib/libresolv.9.dylib"],
        codeSignature: true,
      });
    });
  }
});

describe("glibc 2.17-era distributions", () => {
  /** The newest GLIBC_x.y symbol version a file needs. */
  function newestGlibc(path: string): string {
    const r = run(["objdump", "-T", path]);
    if (r.exitCode !== 0) throw new Error(r.stderr);
    const versions = [...r.stdout.matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] as const);
    versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    const newest = versions.at(-1)!;
    return `${newest[0]}.${newest[1]}${newest[2] ? `.${newest[2]}` : ""}`;
  }
  const atMost217 = (version: string) => {
    const [major, minor] = version.split(".").map(Number);
    return major! < 2 || (major === 2 && minor! <= 17);
  };

  testIf(lacks("objdump", "reads symbol versions"))("the linux-x64 shim blit extracts and loads needs nothing newer than GLIBC_2.17, and only libc", () => {
    const home = sandbox("home");
    const exe = unpack("linux-x64", sandbox("unpack"));
    const r = run([exe, "doctor", home], { env: { HOME: home, XDG_CACHE_HOME: undefined } });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const shim = /^ {2}shim: (.+)$/m.exec(r.stdout)?.[1];
    expect(shim).toStartWith(`${home}/.cache/blit/libblit-`);
    const newest = newestGlibc(shim!);
    expect({ newest, ok: atMost217(newest) }).toEqual({ newest, ok: true });
    const needed = run(["readelf", "-d", shim!]).stdout.split("\n").filter((line) => line.includes("(NEEDED)"));
    expect(needed.map((line) => /\[(.+)\]/.exec(line)?.[1])).toEqual(["libc.so.6"]);
  });

  for (const target of ["linux-x64", "linux-arm64"] as const) {
    testIf(lacks("objdump", "reads symbol versions"))(`the ${target} executable itself (Bun's runtime) needs nothing newer than GLIBC_2.17`, () => {
      const newest = newestGlibc(unpack(target, sandbox("unpack")));
      expect({ newest, ok: atMost217(newest) }).toEqual({ newest, ok: true });
    });
  }
});

// Bun's musl runtime cannot start here (it needs Alpine's libstdc++, which
// Debian does not ship), so the musl build is inspected, and its shim is
// loaded by musl's own loader from a small C program (the release workflow
// runs the executable in an Alpine container).
describe("linux-x64-musl (Alpine)", () => {
  const missing = lacks("musl-gcc", "builds the musl shim loader") ?? lacks("readelf", "reads dynamic sections");

  testIf(missing)("the executable needs musl's libc and libstdc++ only", () => {
    const exe = unpack("linux-x64-musl", sandbox("unpack"));
    const needed = run(["readelf", "-d", exe]).stdout.split("\n").filter((line) => line.includes("(NEEDED)")).map((line) => /\[(.+)\]/.exec(line)?.[1]);
    expect(needed.sort()).toEqual(["libc.musl-x86_64.so.1", "libstdc++.so.6"]);
  });

  testIf(missing)("embeds the musl shim, which links only musl's libc.so and loads and works under musl's loader", () => {
    const shim = join(ROOT, "build", "shim", "linux-x64-musl", "libblit.so");
    const shimBytes = readFileSync(shim);
    const exe = readFileSync(unpack("linux-x64-musl", sandbox("unpack")));
    expect(exe.indexOf(shimBytes)).toBeGreaterThan(0);
    // Not the glibc shim.
    expect(exe.indexOf(readFileSync(join(ROOT, "build", "shim", "linux-x64", "libblit.so")))).toBe(-1);
    const needed = run(["readelf", "-d", shim]).stdout.split("\n").filter((line) => line.includes("(NEEDED)")).map((line) => /\[(.+)\]/.exec(line)?.[1]);
    expect(needed).toEqual(["libc.so"]);

    const dir = sandbox("musl");
    const loader = join(dir, "load-shim");
    const built = run(["musl-gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", loader, join(import.meta.dir, "musl", "load-shim.c")]);
    expect(built).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(run(["readelf", "-l", loader]).stdout).toContain("[Requesting program interpreter: /lib/ld-musl-x86_64.so.1]");
    writeFileSync(join(dir, "f"), "12345");
    const abi = /#define BLIT_ABI_VERSION (\d+)/.exec(readFileSync(join(ROOT, "c", "blit_abi.h"), "utf8"))![1];
    expect(run([loader, shim, join(dir, "f")])).toEqual({
      stdout: `abi ${abi}\nstrerror(ENOENT) No such file or directory\nstatx 0 size 5\n`,
      stderr: "",
      exitCode: 0,
    });
  });
});

describe("a shim for another architecture", () => {
  // A build that embedded the wrong target's shim would otherwise fall back
  // with dlopen's "cannot open shared object file", which misleads.
  test("is refused before dlopen, saying so (the arm64 shim on this x64 machine); this machine's is accepted", () => {
    const shimDir = join(ROOT, "build", "shim");
    expect(() => checkShimArchitecture(join(shimDir, "linux-arm64", "libblit.so"))).toThrow(
      "the embedded native shim is for another architecture (ELF machine 183, this is x64): a build defect",
    );
    expect(() => checkShimArchitecture(join(shimDir, "linux-x64", "libblit.so"))).not.toThrow();
    expect(() => checkShimArchitecture(join(shimDir, "linux-x64-musl", "libblit.so"))).not.toThrow();
  });
});
