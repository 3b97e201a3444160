// `blit [OPTIONS] SOURCE... DEST`: parse, plan, copy through the pool, report.

import { randomBytes } from "node:crypto";
import { loadBackend } from "../../ffi/index.ts";
import { parseCommandLine, UsageError } from "../args.ts";
import type { Counts } from "../engine/counts.ts";
import type { Output } from "../engine/messages.ts";
import { ExitCode } from "../exit-codes.ts";
import { helpText } from "../help.ts";
import { log, say, setQuiet } from "../log.ts";
import type { CopyOptions, EngineOptions } from "../options.ts";
import { planCopy } from "../plan.ts";
import { Pool } from "../pool.ts";
import { VERSION } from "../version.ts";

export function usageFailure(message: string): number {
  log.error(message);
  process.stderr.write("Try 'blit --help' for more information.\n");
  return ExitCode.usage;
}

function printOutput(output: Output): void {
  if (output.out.length) process.stdout.write(`${output.out.join("\n")}\n`);
  for (const warning of output.warnings) log.warn(warning);
  for (const error of output.errors) log.error(error);
}

function printStats(counts: Counts, backend: string, workers: number): void {
  const lines: [string, string | number][] = [
    ["files", counts.files],
    ["directories", counts.directories],
    ["symlinks", counts.symlinks],
    ["special files", counts.specials],
    ["bytes", counts.bytes],
    ["skipped", counts.skipped],
    ["errors", counts.errors],
    ...Object.entries(counts.methods).map(([method, n]): [string, number] => [`method ${method}`, n]),
    ["backend", backend],
    ["workers", workers],
  ];
  for (const [label, value] of lines) say(`${label}: ${value}`);
}

function engineOptions(options: CopyOptions): EngineOptions {
  return {
    dereference: options.dereference,
    preserve: options.preserve,
    noClobber: options.noClobber,
    force: options.force,
    reflink: options.reflink,
    verbose: options.verbose,
    umask: process.umask(),
    runId: randomBytes(4).toString("hex"),
  };
}

export async function runCopy(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err.message);
    throw err;
  }
  if (parsed.kind === "help") {
    say(helpText());
    return ExitCode.ok;
  }
  if (parsed.kind === "version") {
    say(`blit ${VERSION}`);
    return ExitCode.ok;
  }
  const { options, operands } = parsed;
  setQuiet(options.quiet);

  let plan;
  try {
    plan = planCopy(options, operands);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err.message);
    throw err;
  }
  for (const warning of plan.warnings) log.warn(warning);
  for (const error of plan.errors) log.error(error);
  if (plan.jobs.length === 0) return plan.errors.length ? ExitCode.partial : ExitCode.ok;

  const loaded = await loadBackend();
  if (loaded.fallbackReason !== undefined) {
    log.warn(`native copy engine unavailable (${loaded.fallbackReason}); copying with Bun's fs, which is slower`);
  }
  loaded.backend.raiseFileLimit();

  // Plain files need no more workers than there are of them.
  const workers = plan.jobs.some((job) => job.isDirectory) ? options.jobs : Math.min(options.jobs, plan.jobs.length);
  const pool = await Pool.start(workers, loaded, engineOptions(options), { output: printOutput });
  let counts: Counts;
  try {
    counts = await pool.run(plan.jobs);
  } finally {
    pool.stop();
  }
  if (options.stats) printStats(counts, loaded.backend.id, workers);
  return plan.errors.length || counts.errors ? ExitCode.partial : ExitCode.ok;
}
