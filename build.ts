// Builds the native shim and the standalone executable.
//
//   bun build.ts            the host's target: build/shim/<target>/, dist/blit
//   bun build.ts --shim     the shim only
//
// Each executable embeds its own target's shim (build/embed/shim.bin is
// staged just before compiling) and the worker entry point.

import { $ } from "bun";
import { copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { arch, platform } from "node:os";
import { join } from "node:path";

interface Target {
  /** Bun's --target name. */
  bun: string;
  shimFile: string;
  outFile: string;
  buildShim(outPath: string): Promise<void>;
}

const ROOT = import.meta.dir;
const SHIM_DIR = join(ROOT, "build", "shim");
const EMBED = join(ROOT, "build", "embed", "shim.bin");
const DIST = join(ROOT, "dist");

async function buildLinuxShim(outPath: string, triplet: string): Promise<void> {
  const liburing = `/usr/lib/${triplet}/liburing.a`;
  try {
    statSync(liburing);
  } catch {
    throw new Error(`${liburing} is missing: install liburing-dev (npm run setup does)`);
  }
  await $`gcc -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror -I ${join(ROOT, "c")} -o ${outPath} ${join(ROOT, "c/linux/blit_linux.c")} ${liburing} -Wl,--exclude-libs,ALL`;
  // The extracted shim must not need liburing (or anything but libc) at run time.
  const needed = (await $`readelf -d ${outPath}`.text()).split("\n").filter((line) => line.includes("(NEEDED)"));
  const unexpected = needed.filter((line) => !/\[(libc\.so\.6|ld-linux[^\]]*)\]/.test(line));
  if (unexpected.length) throw new Error(`shim links more than libc:\n${unexpected.join("\n")}`);
}

const TARGETS: Record<string, Target> = {
  "linux-x64": {
    bun: "bun-linux-x64",
    shimFile: "libblit.so",
    outFile: "blit",
    buildShim: (out) => buildLinuxShim(out, "x86_64-linux-gnu"),
  },
};

function hostTarget(): string {
  const name = `${platform()}-${arch()}`;
  if (!TARGETS[name]) throw new Error(`no build target for this host (${name}); known: ${Object.keys(TARGETS).join(", ")}`);
  return name;
}

async function build(name: string, shimOnly: boolean): Promise<void> {
  const target = TARGETS[name]!;
  const shimPath = join(SHIM_DIR, name, target.shimFile);
  mkdirSync(join(SHIM_DIR, name), { recursive: true });
  await target.buildShim(shimPath);
  mkdirSync(join(ROOT, "build", "embed"), { recursive: true });
  copyFileSync(shimPath, EMBED);
  console.log(`shim: ${shimPath} (${statSync(shimPath).size} bytes)`);
  if (shimOnly) return;

  mkdirSync(DIST, { recursive: true });
  const outFile = join(DIST, target.outFile);
  rmSync(outFile, { force: true });
  // The worker is a second entry point; a copy tool run in any directory must
  // not pick up that directory's .env or bunfig.toml. Bytecode halves start-up.
  await $`${process.execPath} build --compile --bytecode --minify --target=${target.bun} --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile ${outFile} ./src/cli.ts ./src/worker.ts`.cwd(ROOT).quiet();
  const version = (await $`${outFile} --version`.text()).trim();
  console.log(`executable: ${outFile} (${(statSync(outFile).size / 2 ** 20).toFixed(1)} MiB, ${version})`);
}

const args = process.argv.slice(2);
await build(hostTarget(), args.includes("--shim"));
