// `blit [OPTIONS] SOURCE... DEST`: parse, plan, copy through the pool, report.

import { type Backend, loadBackend, SHARE_MIN_SIZE } from "../../ffi/index.ts";
import { parseCommandLine, UsageError } from "../args.ts";
import { LinkTable } from "../engine/links.ts";
import type { JobPaths, JobWork } from "../engine/messages.ts";
import { splitPath, toBytes } from "../engine/paths.ts";
import { addCounts, type Counts, emptyCounts, type Output } from "../engine/report.ts";
import { ExitCode } from "../exit-codes.ts";
import { helpText } from "../help.ts";
import { log, say, setQuiet } from "../log.ts";
import type { CopyOptions, EngineOptions } from "../options.ts";
import { planCopy, type CopyJob } from "../plan.ts";
import { copyInline, inlineable } from "../inline.ts";
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

function printStats(counts: Counts, backend: string, workers: number, filesByWorker: number[], mainThreadFiles: number): void {
  const lines: [string, string | number][] = [
    ["files", counts.files],
    ["directories", counts.directories],
    ["symlinks", counts.symlinks],
    ["special files", counts.specials],
    ["hard links", counts.hardlinks],
    ["bytes", counts.bytes],
    ["skipped", counts.skipped],
    ["vanished", counts.vanished],
    ["changed while read", counts.changed],
    ["errors", counts.errors],
    ["native calls", counts.nativeCalls],
    ["io_uring submits", counts.ringSubmits],
    ["io_uring ops", counts.ringOps],
    ["ranges copied by helpers", counts.helpedRanges],
    ...Object.entries(counts.methods).map(([method, n]): [string, number] => [`method ${method}`, n]),
    ["backend", backend],
    ["workers", workers],
    ["files per worker", Array.from({ length: workers }, (_, i) => filesByWorker[i] ?? 0).join(" ")],
    ["files on the main thread", mainThreadFiles],
  ];
  for (const [label, value] of lines) say(`${label}: ${value}`);
}

function engineOptions(options: CopyOptions, workers: number): EngineOptions {
  return {
    dereference: options.dereference,
    preserve: options.preserve,
    require: options.require,
    defaultModes: options.defaultModes,
    noClobber: options.noClobber,
    force: options.force,
    reflink: options.reflink,
    sparse: options.sparse,
    inplace: options.inplace,
    link: options.link,
    symbolicLink: options.symbolicLink,
    removeDestination: options.removeDestination,
    oneFileSystem: options.oneFileSystem,
    readSpecialFiles: !options.recursive,
    verbose: options.verbose,
    umask: process.umask(),
    runId: Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join(""),
    helpers: workers - 1,
    ...options.tuning,
  };
}

/**
 * Opens each job's destination directory once, for the workers: it stays
 * open for the whole run, and hard links are found relative to it.
 */
function openDestinations(backend: Backend, jobs: CopyJob[]): { work: JobWork[]; close(): void } {
  const opened = new Map<string, number>();
  const pathsOf = (job: CopyJob, dir: string, base: string): JobPaths =>
    ({ src: toBytes(job.src), dst: toBytes(job.dst), dstDir: toBytes(dir), dstBase: toBytes(base) });
  if (!backend.sharedHandles) {
    const work = jobs.map((job) => {
      const { dir, base } = splitPath(job.dst);
      return { job, dstParentFd: undefined, paths: pathsOf(job, dir, base) };
    });
    return { work, close: () => {} };
  }
  const work = jobs.map((job) => {
    const { dir, base } = splitPath(job.dst);
    const paths = pathsOf(job, dir, base);
    let fd = opened.get(dir);
    if (fd === undefined) {
      fd = backend.openDir(backend.cwd, paths.dstDir, true);
      opened.set(dir, fd);
    }
    return { job, dstParentFd: fd, paths };
  });
  return {
    work,
    close: () => {
      for (const fd of opened.values()) if (fd >= 0) backend.close(fd);
    },
  };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function describe(counts: Counts): string {
  const parts = [`${plural(counts.files, "file", "files")} (${counts.bytes} bytes)`, plural(counts.directories, "directory", "directories")];
  if (counts.symlinks) parts.push(plural(counts.symlinks, "symlink", "symlinks"));
  if (counts.hardlinks) parts.push(plural(counts.hardlinks, "hard link", "hard links"));
  return parts.join(", ");
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

  // First signal: stop, clean up, report. A second one: leave at once.
  let signal: NodeJS.Signals | undefined;
  let pool: Pool | undefined;
  /** What the main thread copied itself (src/inline.ts). */
  const copied = emptyCounts();
  const statusFor = (name: NodeJS.Signals) => (name === "SIGINT" ? ExitCode.interrupted : ExitCode.terminated);
  const onSignal = (name: NodeJS.Signals) => {
    if (signal || !pool) {
      // Nothing is being written now (or the user insists): leave now.
      if (!signal) log.error(`interrupted by ${name}: copied ${describe(copied)}; the rest was not copied`);
      process.exit(statusFor(name));
    }
    signal = name;
    pool.cancel(statusFor(name));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let plan;
  try {
    plan = planCopy(options, operands);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err.message);
    throw err;
  }
  for (const warning of plan.warnings) log.warn(warning);
  for (const error of plan.errors) log.error(error);
  if (plan.jobs.length === 0 || (options.failFast && plan.errors.length)) {
    return plan.errors.length ? ExitCode.partial : ExitCode.ok;
  }
  // A few plain files are copied on this thread (src/inline.ts), and only
  // what it hands back waits for a worker to boot. Otherwise the first
  // worker boots while the shim is loaded. (Booting one anyway, in case a
  // large file does not clone, made a cold clone slower: the worker's
  // start-up competes for the disk with the main thread's.)
  const inline = inlineable(plan.jobs);
  const booted = inline ? undefined : Pool.boot();

  const loaded = await loadBackend();
  if (loaded.fallbackReason !== undefined) {
    log.warn(`native copy engine unavailable (${loaded.fallbackReason}); copying with Bun's fs, which is slower`);
  }
  loaded.backend.raiseFileLimit();
  const destinations = openDestinations(loaded.backend, plan.jobs);

  // Plain files need no more workers than there are of them, unless one is
  // large enough to be copied in ranges by several; handles that only one
  // thread understands, no more than one.
  const manyNeeded = plan.jobs.some((job) => job.isDirectory || (job.size >= SHARE_MIN_SIZE && options.reflink !== "never"));
  const wanted = manyNeeded ? options.jobs : Math.min(options.jobs, plan.jobs.length);
  const workers = loaded.backend.sharedHandles ? wanted : 1;
  const engine = engineOptions(options, workers);
  const shared = {
    cancel: new SharedArrayBuffer(4),
    links: options.preserve.links ? LinkTable.allocate() : undefined,
    hungry: new SharedArrayBuffer(4),
  };
  const cancelFlag = new Int32Array(shared.cancel);
  const progress = (output: Output, counts: Counts) => {
    printOutput(output);
    if (options.failFast && counts.errors > 0) {
      if (pool) pool.cancel(ExitCode.partial);
      else Atomics.store(cancelFlag, 0, ExitCode.partial);
    }
  };

  let work = destinations.work;
  let dropped = 0;
  if (inline) {
    // Workers are numbered from 0; the main thread's temporary names use the next number.
    const handedBack = await copyInline(loaded.backend, engine, work, options.jobs, cancelFlag, copied, progress);
    work = Atomics.load(cancelFlag, 0) === 0 ? handedBack : [];
    dropped = handedBack.length - work.length;
  }
  let counts = copied;
  if (work.length > 0) {
    pool = await Pool.start(workers, loaded, engine, shared, { progress }, booted);
    try {
      counts = await pool.run(work);
    } finally {
      pool.stop();
    }
    addCounts(counts, copied);
    dropped += pool.dropped;
  }
  destinations.close();
  if (options.stats) printStats(counts, loaded.backend.id, pool?.workers ?? 0, pool?.filesByWorker ?? [], copied.files);
  if (signal) {
    log.error(`interrupted by ${signal}: copied ${describe(counts)}; the rest was not copied`);
    return signal === "SIGINT" ? ExitCode.interrupted : ExitCode.terminated;
  }
  if (options.failFast && (counts.errors > 0 || dropped > 0)) {
    log.error(`stopped at the first error (--fail-fast): copied ${describe(counts)}`);
    return ExitCode.partial;
  }
  if (plan.errors.length || counts.errors) return ExitCode.partial;
  return counts.vanished ? ExitCode.vanished : ExitCode.ok;
}
