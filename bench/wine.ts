// The Windows build under Wine (issue 14): blit.exe against the Windows
// build of Bun's fs.cpSync and against blit.exe on its portable fallback,
// each run by the same Wine on the same trees. Wine's file I/O is not
// Windows': these rows compare the three with each other and say nothing of
// how fast any of them is on Windows.
//
// Everything lives in WORK/wine: the executables, the bcryptprimitives.dll
// stand-in Wine 8 needs beside them (tests/helpers/wine/, never shipped), and
// two Wine prefixes made once: one where blit.exe writes its DLL under
// %LOCALAPPDATA%\blit as on any Windows machine, and one where both places it
// may write it (%LOCALAPPDATA%\blit and %TEMP%\blit-user) are files, so that
// it cannot, and copies through Bun's node:fs with one worker, as it would
// for a user whose profile is read-only. A wineserver is kept running in each
// prefix while the section runs, so no run pays for starting one.

import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WineTool {
  name: string;
  command(src: string, dst: string): string[];
  env: Record<string, string>;
  note?: string;
  reference?: boolean;
}

export interface WineBench {
  /** blit.exe first, as the runner expects blit's row first. */
  tools: WineTool[];
  /** `wine --version`, for the section's title. */
  version: string;
  /** Stops the prefixes' wineservers. */
  end(): void;
}

const QUIET = { WINEDEBUG: "-all", WINEDLLOVERRIDES: "mscoree,mshtml=" };

/**
 * Runs a command to its end, its output through a file: Wine's services
 * (services.exe, winedevice.exe...), started by the first program of a
 * prefix, inherit its output and outlive it, and a pipe would stay open.
 */
function run(cmd: string[], env: Record<string, string> = {}): { code: number; out: string } {
  const file = join(tmpdir(), `blit-bench-wine-${process.pid}.out`);
  try {
    const r = Bun.spawnSync(cmd, { env: { ...process.env, ...QUIET, ...env }, stdout: Bun.file(file), stderr: Bun.file(file) });
    return { code: r.exitCode ?? -1, out: existsSync(file) ? readFileSync(file, "utf8") : "" };
  } finally {
    rmSync(file, { force: true });
  }
}

function must(cmd: string[], env: Record<string, string> = {}): string {
  const r = run(cmd, env);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} failed (${r.code}): ${r.out.trim()}`);
  return r.out;
}

/** Why this machine cannot run the section, or undefined. */
export function wineMissing(root: string): string | undefined {
  for (const command of ["wine", "wineserver", "winepath", "x86_64-w64-mingw32-gcc"]) {
    if (run(["sh", "-c", `command -v ${command}`]).code !== 0) return `${command} is not installed (npm run setup installs it)`;
  }
  if (windowsExecutable(root) === undefined) return "no blit.exe: build it with `bun build.ts --target=windows-x64` (or --release)";
  return undefined;
}

/** dist/blit-windows-x64.exe or the release's zip, whichever was built last. */
function windowsExecutable(root: string): { path: string; zipped: boolean } | undefined {
  const candidates = [
    { path: join(root, "dist", "blit-windows-x64.exe"), zipped: false },
    { path: join(root, "dist", "release", "blit-windows-x64.zip"), zipped: true },
  ].filter((c) => existsSync(c.path));
  return candidates.sort((a, b) => statSync(b.path).mtimeMs - statSync(a.path).mtimeMs)[0];
}

/** A one-file TypeScript program compiled for Windows by the Bun running this. */
function compileForWindows(bun: string, bin: string, name: string, source: string): string {
  const script = join(bin, `${name}.ts`);
  const exe = join(bin, `${name}.exe`);
  writeFileSync(script, source);
  must([bun, "build", "--compile", "--target=bun-windows-x64-baseline", "--outfile", exe, script]);
  return exe;
}

/** A Linux path of a Windows path this prefix knows (%LOCALAPPDATA%...). */
function linuxPathOf(variable: string, env: Record<string, string>): string {
  const windows = must(["wine", "cmd", "/c", `echo %${variable}%`], env).trim().split("\n").at(-1)!.trim();
  return must(["winepath", "-u", windows], env).trim();
}

/** The backend blit.exe says it copies with in a prefix ("windows", "portable"). */
function backendIn(blitExe: string, env: Record<string, string>): string {
  const doctor = run(["wine", blitExe, "doctor", "/"], env).out;
  return /^backend: (\S+)/m.exec(doctor)?.[1] ?? `none (${doctor.trim().split("\n")[0]})`;
}

export function wineBench(work: string, root: string, bun: string): WineBench {
  const dir = join(work, "wine");
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const built = windowsExecutable(root)!;
  const blitExe = join(bin, "blit.exe");
  if (built.zipped) must(["unzip", "-q", "-o", built.path, "blit.exe", "-d", bin]);
  else copyFileSync(built.path, blitExe);
  // Bun's own recursive copy, with what the Linux rows give it: times kept, symlinks as they are.
  const cpSyncExe = compileForWindows(
    bun,
    bin,
    "cpsync",
    'import { cpSync } from "node:fs";\nconst [src, dst] = process.argv.slice(-2);\ncpSync(src!, dst!, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });\n',
  );
  const helloExe = compileForWindows(bun, bin, "hello", 'console.log("hello");\n');
  const helpers = join(root, "tests", "helpers", "wine");
  must(["x86_64-w64-mingw32-gcc", "-O2", "-shared", "-o", join(bin, "bcryptprimitives.dll"), join(helpers, "bcryptprimitives.c"), join(helpers, "bcryptprimitives.def"), "-ladvapi32"]);

  const native = { ...QUIET, WINEPREFIX: join(dir, "prefix") };
  const portable = { ...QUIET, WINEPREFIX: join(dir, "prefix-portable") };
  for (const env of [native, portable]) {
    // A server that stays for the whole section, then the first program,
    // which makes the prefix (~20 s) and starts Wine's services: untimed.
    run(["wineserver", "-p"], env);
    must(["wine", helloExe], env);
  }
  for (const [variable, name] of [["LOCALAPPDATA", "blit"], ["TEMP", "blit-user"]] as const) {
    const blocked = join(linuxPathOf(variable, portable), name);
    rmSync(blocked, { recursive: true, force: true });
    writeFileSync(blocked, "not a folder: blit.exe cannot write its DLL here (bench/wine.ts)\n");
  }
  // A row measuring the wrong backend would be worse than none.
  const backends = { native: backendIn(blitExe, native), portable: backendIn(blitExe, portable) };
  if (backends.native !== "windows" || backends.portable !== "portable") {
    throw new Error(`blit.exe's backends under Wine: ${JSON.stringify(backends)}, expected the native one and the portable one`);
  }

  // Paths as Linux writes them: Windows takes "/var/tmp/..." as a path on the
  // current drive, Z: (Wine's /), for every tool alike.
  return {
    version: must(["wine", "--version"]).trim(),
    tools: [
      { name: "blit.exe -a", command: (s, d) => ["wine", blitExe, "-a", s, d], env: native },
      {
        name: "Bun fs.cpSync (Windows)",
        command: (s, d) => ["wine", cpSyncExe, s, d],
        env: native,
        note: "CopyFileW per file, one thread; no hard links, no attributes",
      },
      {
        name: "blit.exe -a (fallback)",
        command: (s, d) => ["wine", blitExe, "-a", s, d],
        env: portable,
        note: "Bun's node:fs with one worker, as where blit.exe cannot write its DLL; no attributes, no case check",
      },
      {
        name: "Bun hello-world.exe",
        command: () => ["wine", helloExe],
        env: native,
        note: "copies nothing: Wine and the Bun runtime starting with a cold cache",
        reference: true,
      },
    ],
    end() {
      for (const env of [native, portable]) run(["wineserver", "-k"], env);
    },
  };
}
