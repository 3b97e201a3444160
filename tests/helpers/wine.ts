// blit.exe under Wine, for the Windows tests: the release's executable
// (dist/release/blit-windows-x64.zip, unpacked) beside the bcryptprimitives.dll
// stand-in Wine 8 needs (wine/bcryptprimitives.c, never shipped), in a Wine
// prefix of the test file's own. Wine maps Z:\ to /, so a sandbox on the
// Linux side is `winPath(dir)` on the Windows side.

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environment, type Result, ROOT, run } from "./blit.ts";

/** Why the Windows tests cannot run here, or undefined. */
export const wineMissing: string | undefined = (() => {
  for (const [command, what] of [["wine", "runs Windows executables"], ["x86_64-w64-mingw32-gcc", "builds the test helpers Wine needs"]]) {
    if (run(["sh", "-c", `command -v ${command}`]).exitCode !== 0) return `${command} is not installed (${what}; npm run setup installs it)`;
  }
  if (!existsSync(join(ROOT, "dist", "release", "blit-windows-x64.zip"))) return "dist/release/blit-windows-x64.zip is missing (npm run release builds it)";
  return undefined;
})();

const HELPERS = join(import.meta.dir, "wine");
const BUILT = join(ROOT, "build", "wine");

/** A small Windows program of tests/helpers/wine/, built once with mingw-w64. */
function helper(name: string, build: (out: string) => string[]): string {
  const out = join(BUILT, name);
  if (!existsSync(out)) {
    mkdirSync(BUILT, { recursive: true });
    const r = run(build(out));
    if (r.exitCode !== 0) throw new Error(`cannot build ${out}: ${r.stderr}`);
  }
  return out;
}

const prngDll = () =>
  helper("bcryptprimitives.dll", (out) => [
    "x86_64-w64-mingw32-gcc", "-O2", "-shared", "-o", out, join(HELPERS, "bcryptprimitives.c"), join(HELPERS, "bcryptprimitives.def"), "-ladvapi32",
  ]);

/** holder.exe (wine/holder.c): another process holding a file. */
export const holderExe = () => helper("holder.exe", (out) => ["x86_64-w64-mingw32-gcc", "-municode", "-O2", "-o", out, join(HELPERS, "holder.c")]);

/** security.exe (wine/security.c): a file's security descriptor as SDDL, read and set by Windows' own calls. */
export const securityExe = () =>
  helper("security.exe", (out) => ["x86_64-w64-mingw32-gcc", "-municode", "-O2", "-o", out, join(HELPERS, "security.c"), "-ladvapi32"]);

/** tests/ffi/windows-contract.ts as a Windows executable (built each run: it is the source under test). */
export function contractExe(): string {
  const out = join(BUILT, "contract.exe");
  mkdirSync(BUILT, { recursive: true });
  const r = run([process.execPath, "build", "--compile", "--target=bun-windows-x64-baseline", "--outfile", out, join(ROOT, "tests", "ffi", "windows-contract.ts")]);
  if (r.exitCode !== 0) throw new Error(`cannot build ${out}: ${r.stderr}`);
  copyFileSync(prngDll(), join(BUILT, "bcryptprimitives.dll"));
  return out;
}

/** A Windows path for a Linux one (Wine's Z: drive is /). */
export const winPath = (path: string) => `Z:${path.replaceAll("/", "\\")}`;

export interface Wine {
  /** The unpacked blit.exe (Linux path). */
  exe: string;
  /** The Wine prefix: C:\ is `${prefix}/drive_c`. */
  prefix: string;
  env: Record<string, string>;
  /** Runs blit.exe with args; stdout and stderr as Wine passed them. */
  blit(args: string[], options?: { cwd?: string; timeout?: number }): Result;
  /** Starts the prefix's wineserver again after a test stopped it (it reads the drives as it starts). */
  restartServer(): void;
  /** Stops wineserver and removes the prefix and the executable. */
  end(): void;
}

/** Wine's own client losing its wineserver socket: a line of Wine's (its end at times lost), never blit's. */
const WINE_CLIENT_ERROR = /^wine client error:[0-9a-f]+: [^\n]*(\n|$)/gm;

/** A Wine prefix and blit.exe for one test file (~10 s the first time: Wine sets the prefix up). */
export function startWine(unpack: (dir: string) => string): Wine {
  const base = process.env.BLIT_TEST_TMP ?? tmpdir();
  const dir = mkdtempSync(join(base, "blit-wine-exe-"));
  const exe = unpack(dir);
  copyFileSync(prngDll(), join(dir, "bcryptprimitives.dll"));
  const prefix = mkdtempSync(join(base, "blit-wineprefix-"));
  // TMPDIR: wineserver makes its socket's directory there (wine-XXXXXX), and leaves it when it ends.
  const env = { WINEDEBUG: "-all", WINEPREFIX: prefix, WINEDLLOVERRIDES: "mscoree,mshtml=", TMPDIR: dir };
  // A wineserver left to itself exits 3 s after its last program, and a
  // program starting as it exits loses its socket ("wine client error:...").
  // One that stays up (-p) until end() leaves no such moment between tests.
  // The first program it runs starts Wine's services (and, the first time,
  // makes the prefix); they stay up with it, holding what that program was
  // given as output, so that program writes nowhere a test reads.
  const startServer = () => {
    const quiet = { env: environment(env), stdin: "ignore", stdout: "ignore", stderr: "ignore" } as const;
    Bun.spawnSync(["wineserver", "-p"], quiet);
    Bun.spawnSync(["wine", exe, "--version"], { ...quiet, timeout: 120_000 });
  };
  startServer();
  return {
    exe,
    prefix,
    env,
    blit: (args, options = {}) => {
      const once = () => {
        const r = run(["wine", exe, ...args], { env, cwd: options.cwd, timeout: options.timeout ?? 120_000 });
        return { ...r, wineSaid: r.stderr.match(WINE_CLIENT_ERROR)?.join("") ?? "", stderr: r.stderr.replace(WINE_CLIENT_ERROR, "") };
      };
      // Wine's own client sometimes loses its socket to wineserver (about once
      // in 40 runs, once in 10 on a loaded machine), and says so in a line of
      // its own, cut short at times, or not at all. After the program ran, the
      // line is Wine's, not blit's, and is taken out of what the test compares.
      // Before it ran, the run failed with nothing of blit's said (blit never
      // fails without a line): it is run again, twice at most. Seen in a
      // fresh-clone CI: `blit.exe -n g "d\x "` exiting 1 with nothing said at
      // all, in a run where Wine's client lost its socket twice more; the same
      // case then passed 11 times in 11.
      let result = once();
      for (let again = 0; again < 2 && result.exitCode !== 0 && result.stdout === "" && result.stderr === ""; again++) {
        console.warn(`blit.exe ${JSON.stringify(args)} exited ${result.exitCode} with nothing of its own said (Wine said ${JSON.stringify(result.wineSaid)}): Wine lost it before it ran; run again`);
        result = once();
      }
      const { wineSaid, ...said } = result;
      if (wineSaid !== "") console.warn(`wine lost its wineserver in blit.exe ${JSON.stringify(args)}: ${JSON.stringify(wineSaid)}, taken out of its stderr`);
      return said;
    },
    restartServer() {
      run(["wineserver", "-k"], { env });
      startServer();
    },
    end() {
      run(["wineserver", "-k"], { env });
      rmSync(prefix, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
