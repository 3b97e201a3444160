// Runs the compiled executable the way users do: a child process, with its
// stdout, stderr and exit status captured together.

import { existsSync } from "node:fs";
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

export function run(cmd: string[], options: RunOptions = {}): Result {
  const proc = Bun.spawnSync(cmd, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
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
