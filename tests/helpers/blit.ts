// Runs the compiled executable the way users do: a child process, with its
// stdout, stderr and exit status captured together.

import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const BLIT = join(ROOT, "dist", "blit");

if (!existsSync(BLIT)) throw new Error(`${BLIT} is missing: build it first (npm run setup)`);

export interface Result {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeout?: number;
  /** Given on standard input (else none). */
  stdin?: string;
}

/**
 * The environment a command runs in: this one, in one locale whatever the
 * machine's (LANG=C.UTF-8, which Debian's libc-bin ships, and no LC_* or LANGUAGE: how
 * blit and cp show a name past ASCII, and the language of cp's messages,
 * depend on it), less what would make blit write GitHub's workflow commands
 * when the suite itself runs in GitHub Actions (a test that wants them sets
 * them), plus the test's own.
 */
export function environment(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const machine = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("LC_") && name !== "LANGUAGE"));
  const env: Record<string, string | undefined> = { ...machine, LANG: "C.UTF-8", GITHUB_ACTIONS: undefined, GITHUB_STEP_SUMMARY: undefined, ...extra };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * The environment for a run whose system calls fail by injection: a stat
 * of the cached shim that fails sends blit to its last cache folder,
 * $TMPDIR/blit-UID, which is then made in `dir`, not in /tmp (where the
 * suite counts it left behind, as a fresh machine's CI run did).
 */
export const shimFallbackIn = (dir: string) => ({ TMPDIR: dir });

export function run(cmd: string[], options: RunOptions = {}): Result {
  const proc = Bun.spawnSync(cmd, {
    cwd: options.cwd,
    env: environment(options.env),
    stdin: options.stdin === undefined ? undefined : Buffer.from(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: options.timeout ?? 120_000,
  });
  return {
    stdout: proc.stdout.toString(),
    stderr: proc.stderr.toString(),
    exitCode: proc.exitCode ?? -1,
  };
}

export function blit(args: string[], options: RunOptions = {}): Result {
  return run([BLIT, ...args], options);
}

/** Runs a shell command that must succeed (test set-up). */
export function sh(command: string, cwd?: string): string {
  const result = run(["sh", "-c", command], { cwd });
  if (result.exitCode !== 0) throw new Error(`set-up failed: ${command}\n${result.stderr}`);
  return result.stdout;
}

export const isRoot = process.getuid?.() === 0;

export function hasCommand(name: string): boolean {
  return run(["sh", "-c", `command -v ${name}`]).exitCode === 0;
}

/** Parses `--stats` output into numbers by label. */
export function stats(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const colon = line.indexOf(": ");
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 2);
  }
  return out;
}

/** One --json event, as tests/helpers/events.py hands them back (checked against schema/events.v1.json). */
export type JsonEvent = Record<string, any> & { type: string };

/**
 * Checks a --json run's stdout: every line against schema/events.v1.json,
 * `start` first and `summary` last. Throws with the first problem.
 */
export function checkEvents(stdout: string): JsonEvent[] {
  const checked = Bun.spawnSync(["python3", join(ROOT, "tests", "helpers", "events.py")], { stdin: Buffer.from(stdout), stdout: "pipe", stderr: "pipe" });
  if (checked.exitCode !== 0) throw new Error(`--json output does not hold to the schema: ${checked.stderr.toString()}`);
  return JSON.parse(checked.stdout.toString()) as JsonEvent[];
}

/** Runs blit with --json (added first) and checks every line it printed; every --json run of the suite goes through here. */
export function blitJson(args: string[], options: RunOptions = {}): Result & { events: JsonEvent[] } {
  const result = blit(["--json", ...args], options);
  return { ...result, events: checkEvents(result.stdout) };
}

/** What a process spawned with stdout and stderr piped said, and its exit code, once it has ended. */
export async function ended(proc: { exited: Promise<number>; stdout: ReadableStream<Uint8Array>; stderr: ReadableStream<Uint8Array> }): Promise<Result> {
  const [exitCode, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { stdout, stderr, exitCode };
}

/**
 * Resolves once blit (pid) holds `path` (or any of `path`s) open, to the
 * one it holds: a copy waiting there on a fifo (--copy-contents) for a writer.
 */
export async function heldOpen(pid: number, path: string | string[]): Promise<string> {
  const paths = typeof path === "string" ? [path] : path;
  const held = () => {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (paths.includes(target)) return target;
      } catch {
        // Closed since it was listed.
      }
    }
    return undefined;
  };
  for (;;) {
    const found = held();
    if (found !== undefined) return found;
    await Bun.sleep(10);
  }
}
