// Builds the native shims, the standalone executables and the release.
//
//   bun build.ts             the host's target: build/shim/<target>/, dist/blit
//   bun build.ts --shim      the host's shim only
//   bun build.ts --target=T  one target's executable, dist/blit-T (.exe for Windows)
//   bun build.ts --release   every target, packed into dist/release/ with
//                            SHA256SUMS, and the channels generated from them
//                            (dist/channels/: Homebrew formula, Scoop
//                            manifest, the Action's pinned checksums)
//
// Each executable embeds its own target's shim (build/embed/shim.bin is
// staged just before compiling; an empty file for targets with no shim yet,
// which then run the portable backend) and the worker entry point.

import { $ } from "bun";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { join } from "node:path";
import { writeChannels } from "./release/channels.ts";
import { TARGETS as ASSETS, type TargetName } from "./release/targets.ts";

interface Target {
  /** Bun's --target name. */
  bun: string;
  shimFile: string;
  /** Name of the executable inside the archive. */
  exeName: string;
  /** Builds the native shim (throws when it cannot). */
  buildShim(outPath: string): Promise<void>;
}

const ROOT = import.meta.dir;
const SHIM_DIR = join(ROOT, "build", "shim");
const EMBED = join(ROOT, "build", "embed", "shim.bin");
const DIST = join(ROOT, "dist");
const RELEASE_BUILD = join(ROOT, "build", "release");
const RELEASE = join(DIST, "release");
const CHANNELS = join(DIST, "channels");

/**
 * `triplet` names the liburing.a to link (Debian's multiarch folder); `cc` the
 * compiler: gcc, aarch64-linux-gnu-gcc, or musl-gcc for the musl build (which
 * links the same liburing.a: it calls the kernel directly and needs only
 * calloc, free and __stack_chk_fail from a C library).
 */
async function buildLinuxShim(outPath: string, triplet: string, cc: string): Promise<void> {
  const liburing = `/usr/lib/${triplet}/liburing.a`;
  if (!existsSync(liburing)) throw new Error(`${liburing} is missing: install liburing-dev${triplet.startsWith("aarch64") ? ":arm64" : ""} (npm run setup does)`);
  const include: string[] = [];
  if (cc !== "gcc") {
    // A cross compiler (or musl-gcc) searches its own headers, not
    // /usr/include, where Debian puts liburing's (architecture-independent)
    // headers: stage them alone, so no glibc or x64 header is mixed in.
    const dir = join(SHIM_DIR, `include-${cc}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync("/usr/include/liburing.h", join(dir, "liburing.h"));
    cpSync("/usr/include/liburing", join(dir, "liburing"), { recursive: true });
    if (cc === "musl-gcc") {
      // musl-gcc has no kernel headers of its own: the host's (x64) ones.
      for (const sub of ["linux", "asm-generic"]) symlinkSync(join("/usr/include", sub), join(dir, sub));
      symlinkSync("/usr/include/x86_64-linux-gnu/asm", join(dir, "asm"));
    }
    include.push("-isystem", dir);
  }
  await $`${cc} -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror ${include} -I ${join(ROOT, "c")} -o ${outPath} ${join(ROOT, "c/linux/blit_linux.c")} ${liburing} -Wl,--exclude-libs,ALL`;
  // The extracted shim must not need liburing (or anything but libc) at run time.
  const needed = (await $`readelf -d ${outPath}`.text()).split("\n").filter((line) => line.includes("(NEEDED)"));
  const libc = cc === "musl-gcc" ? /\[libc\.so\]/ : /\[(libc\.so\.6|ld-linux[^\]]*)\]/;
  const unexpected = needed.filter((line) => !libc.test(line));
  if (unexpected.length) throw new Error(`shim links more than libc:\n${unexpected.join("\n")}`);
}

/** zig from PyPI's ziglang, installed by `npm run setup` into this folder (a Python package path). */
const ZIG_PACKAGE = join(ROOT, "build", "tools", "python");

/**
 * The macOS shim for one architecture, cross-compiled by zig against its own
 * libSystem stubs, for macOS 13 (Bun's own minimum). The dylib must link
 * libSystem and nothing else: it is extracted alone on the user's Mac.
 */
async function buildDarwinShim(outPath: string, arch: "aarch64" | "x86_64"): Promise<void> {
  if (!existsSync(join(ZIG_PACKAGE, "ziglang"))) throw new Error(`zig is missing from ${ZIG_PACKAGE}: npm run setup installs it (PyPI's ziglang)`);
  const env = { ...process.env, PYTHONPATH: ZIG_PACKAGE, ZIG_GLOBAL_CACHE_DIR: join(ROOT, "build", "tools", "zig-cache") };
  // Named by itself, without this machine's paths (-s drops the debug map of object files), as the other shims are.
  await $`python3 -m ziglang cc -target ${arch}-macos.13.0 -shared -O2 -s -Wl,-install_name,libblit.dylib -fvisibility=hidden -Wall -Wextra -Werror -I ${join(ROOT, "c")} -o ${outPath} ${join(ROOT, "c/darwin/blit_darwin.c")}`.env(env).quiet();
}

/**
 * The same macOS shim built for this Linux machine: its POSIX core, which
 * the tests drive through ffi/darwin/ here (tests/ffi/contract.test.ts).
 */
async function buildDarwinPosixShim(): Promise<void> {
  const out = join(SHIM_DIR, "darwin-posix", "libblit.so");
  mkdirSync(join(out, ".."), { recursive: true });
  await $`gcc -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror -I ${join(ROOT, "c")} -o ${out} ${join(ROOT, "c/darwin/blit_darwin.c")}`;
  console.log(`shim: ${out} (the macOS shim's POSIX core, for the tests)`);
}

/** The Windows shim: a DLL over ntdll and kernel32 (nothing else to ship), built with mingw-w64. */
async function buildWindowsShim(outPath: string): Promise<void> {
  await $`x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -Wall -Wextra -Werror -I ${join(ROOT, "c")} -o ${outPath} ${join(ROOT, "c/windows/blit_windows.c")} -lntdll -Wl,--no-insert-timestamp`;
  const imports = (await $`x86_64-w64-mingw32-objdump -p ${outPath}`.text()).split("\n").filter((line) => line.includes("DLL Name:"));
  const unexpected = imports.filter((line) => !/DLL Name: (KERNEL32|ntdll|msvcrt)\.dll/i.test(line));
  if (unexpected.length) throw new Error(`the Windows shim imports more than system DLLs:\n${unexpected.join("\n")}`);
}

/** How each release target is built; names and Bun runtimes are in release/targets.ts. */
const TARGETS: Record<TargetName, Target> = {
  "linux-x64": {
    bun: ASSETS["linux-x64"].bun,
    shimFile: "libblit.so",
    exeName: "blit",
    buildShim: (out) => buildLinuxShim(out, "x86_64-linux-gnu", "gcc"),
  },
  "linux-x64-musl": {
    bun: ASSETS["linux-x64-musl"].bun,
    shimFile: "libblit.so",
    exeName: "blit",
    buildShim: (out) => buildLinuxShim(out, "x86_64-linux-gnu", "musl-gcc"),
  },
  "linux-arm64": {
    bun: ASSETS["linux-arm64"].bun,
    shimFile: "libblit.so",
    exeName: "blit",
    buildShim: (out) => buildLinuxShim(out, "aarch64-linux-gnu", "aarch64-linux-gnu-gcc"),
  },
  "darwin-x64": {
    bun: ASSETS["darwin-x64"].bun,
    shimFile: "libblit.dylib",
    exeName: "blit",
    buildShim: (out) => buildDarwinShim(out, "x86_64"),
  },
  "darwin-arm64": {
    bun: ASSETS["darwin-arm64"].bun,
    shimFile: "libblit.dylib",
    exeName: "blit",
    buildShim: (out) => buildDarwinShim(out, "aarch64"),
  },
  "windows-x64": { bun: ASSETS["windows-x64"].bun, shimFile: "blit.dll", exeName: "blit.exe", buildShim: buildWindowsShim },
};

function hostTarget(): TargetName {
  const name = `${platform()}-${arch()}`;
  if (!(name in TARGETS)) throw new Error(`no build target for this host (${name}); known: ${Object.keys(TARGETS).join(", ")}`);
  return name as TargetName;
}

/** The commit being built (with -dirty when the work tree has changes), for `blit --version`. */
async function commitId(): Promise<{ id: string; time: number }> {
  try {
    const id = (await $`git rev-parse --short=12 HEAD`.cwd(ROOT).quiet().text()).trim();
    const time = Number((await $`git log -1 --format=%ct HEAD`.cwd(ROOT).quiet().text()).trim());
    const dirty = (await $`git status --porcelain --untracked-files=no`.cwd(ROOT).quiet().text()).trim() !== "";
    return { id: dirty ? `${id}-dirty` : id, time };
  } catch {
    return { id: "unknown", time: 0 };
  }
}

async function buildShim(name: TargetName): Promise<void> {
  const target = TARGETS[name];
  if (name === hostTarget() && name === "linux-x64") await buildDarwinPosixShim();
  mkdirSync(join(SHIM_DIR, name), { recursive: true });
  mkdirSync(join(ROOT, "build", "embed"), { recursive: true });
  const shimPath = join(SHIM_DIR, name, target.shimFile);
  await target.buildShim(shimPath);
  copyFileSync(shimPath, EMBED);
  console.log(`shim: ${shimPath} (${statSync(shimPath).size} bytes)`);
}

async function compile(name: TargetName, outFile: string, commit: string): Promise<void> {
  const target = TARGETS[name];
  await buildShim(name);
  mkdirSync(join(outFile, ".."), { recursive: true });
  rmSync(outFile, { force: true });
  const started = performance.now();
  const info = JSON.stringify({ commit, target: name });
  // The worker is a second entry point; a copy tool run in any directory must
  // not pick up that directory's .env or bunfig.toml. Bytecode halves start-up.
  await $`${process.execPath} build --compile --bytecode --minify --target=${target.bun} --define ${`BLIT_BUILD=${info}`} --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile ${outFile} ./src/cli.ts ./src/worker.ts`.cwd(ROOT).quiet();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const size = `${(statSync(outFile).size / 2 ** 20).toFixed(1)} MiB`;
  const runsHere = name === hostTarget();
  const version = runsHere ? `, ${(await $`${outFile} --version`.text()).trim()}` : "";
  console.log(`executable: ${outFile} (${target.bun}, ${size}, ${seconds} s${version})`);
}

const sha256 = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");

/**
 * Packs one executable as users expect: .tar.gz holding `blit`, or .zip
 * holding `blit.exe`, each with the LICENSE, whose notice the MIT license
 * asks to go with every copy.
 */
async function pack(name: TargetName, exe: string, mtime: number): Promise<string> {
  const asset = ASSETS[name].asset;
  const stage = join(RELEASE_BUILD, "stage", name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const exeName = TARGETS[name].exeName;
  const members: [string, string, number][] = [
    [exe, exeName, 0o755],
    [join(ROOT, "LICENSE"), "LICENSE", 0o644],
  ];
  for (const [from, member, mode] of members) {
    const inner = join(stage, member);
    copyFileSync(from, inner);
    chmodSync(inner, mode);
    // The commit's time, owner root: the same commit packs to the same bytes.
    utimesSync(inner, mtime, mtime);
  }
  const names = members.map(([, member]) => member);
  const out = join(RELEASE, asset);
  rmSync(out, { force: true });
  if (asset.endsWith(".zip")) {
    // zip keeps local times (MS-DOS fields, -X: no UTC extra field): read in UTC, as on CI.
    await $`zip -q -9 -X ${out} ${names}`.cwd(stage).env({ ...process.env, TZ: "UTC0" });
  } else {
    await $`tar -C ${stage} --owner=0 --group=0 --numeric-owner --format=ustar -cf - ${names} | gzip -9 -n > ${out}`;
  }
  rmSync(stage, { recursive: true, force: true });
  return out;
}

async function release(): Promise<void> {
  const started = performance.now();
  const { id: commit, time } = await commitId();
  const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
  rmSync(RELEASE, { recursive: true, force: true });
  mkdirSync(RELEASE, { recursive: true });
  const host = hostTarget();
  const sums: string[] = [];
  for (const name of Object.keys(TARGETS) as TargetName[]) {
    // The host's executable is ./dist/blit, the one the test suite runs: the
    // release ships exactly what was tested.
    const exe = name === host ? join(DIST, TARGETS[name].exeName) : join(RELEASE_BUILD, name, TARGETS[name].exeName);
    await compile(name, exe, commit);
    const archive = await pack(name, exe, time || 0);
    // The archive is what ships and what the tests unpack: ~100 MiB less on disk per target.
    if (name !== host) rmSync(join(RELEASE_BUILD, name), { recursive: true, force: true });
    sums.push(`${sha256(archive)}  ${ASSETS[name].asset}`);
    console.log(`archive: ${archive} (${(statSync(archive).size / 2 ** 20).toFixed(1)} MiB)`);
  }
  // The host's shim is embedded last, so `bun build.ts --shim`-free test runs
  // from source load the right one.
  await buildShim(host);
  writeFileSync(join(RELEASE, "SHA256SUMS"), `${sums.join("\n")}\n`);
  writeChannels({ version, releaseDir: RELEASE, outDir: CHANNELS });
  console.log(`release ${version} (${commit}): ${RELEASE}, channels in ${CHANNELS} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

const args = process.argv.slice(2);
if (args.includes("--release")) {
  await release();
} else if (args.some((arg) => arg.startsWith("--target="))) {
  // One target's executable alone, as dist/blit-<target>[.exe] (the Windows
  // tests run dist/blit-windows-x64.exe under Wine without a whole release).
  const name = args.find((arg) => arg.startsWith("--target="))!.slice("--target=".length) as TargetName;
  if (!(name in TARGETS)) throw new Error(`unknown target ${name}; known: ${Object.keys(TARGETS).join(", ")}`);
  const { id } = await commitId();
  const exe = TARGETS[name].exeName;
  await compile(name, join(DIST, exe.replace(/^blit/, `blit-${name}`)), id);
  if (name !== hostTarget()) await buildShim(hostTarget());
} else if (args.includes("--shim")) {
  await buildShim(hostTarget());
} else {
  const { id } = await commitId();
  await compile(hostTarget(), join(DIST, TARGETS[hostTarget()].exeName), id);
}
