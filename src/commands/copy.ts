// `blit [OPTIONS] SOURCE... DEST`: parse, plan, copy through the pool, report.

import { addressSpaceFree, addressSpaceLimit, type Backend, COPY_METHODS, inheritedIgnoredSignals, type LoadedBackend, loadBackend, type ReadAheadCapability, type Stat, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type WalkKept } from "../../ffi/index.ts";
import { SHARE_MIN_SIZE } from "../engine/shared-ranges.ts";
import { parseCommandLine, UsageError } from "../args.ts";
import { expandWildcards } from "../wildcards.ts";
import { LinkTable } from "../engine/links.ts";
import type { JobPaths, JobWork } from "../engine/messages.ts";
import { pathSyntax, toBytes } from "../engine/paths.ts";
import { MetadataWriter, readsXattrs } from "../engine/metadata.ts";
import { LiveCounters } from "../engine/live.ts";
import { prescan } from "../engine/prescan.ts";
import { readAhead } from "../engine/read-ahead.ts";
import { EnteredDirectories } from "../engine/entered-dirs.ts";
import { inFlightTable, isTempName, removeInFlight } from "../engine/temp-names.ts";
import { openDestinationDir } from "../engine/destination-dir.ts";
import { countsUnchangedFromStats } from "../engine/unchanged.ts";
import { readFilterFiles } from "../engine/filter.ts";
import { addCounts, type Counts, emptyCounts, type Output, Reporter } from "../engine/report.ts";
import { ExitCode } from "../exit-codes.ts";
import { helpText } from "../help.ts";
import { log, say, setQuiet, writeStdoutThrough } from "../log.ts";
import type { CopyOptions, EngineOptions, FilterRule } from "../options.ts";
import { labelling } from "../label.ts";
import { planCopy, type CopyJob, type ParentDir, type Plan } from "../plan.ts";
import { obeyedShownBare, quote } from "../quote.ts";
import { copyInline, inlineable, type LeftForWorkers } from "../inline.ts";
import { Pool } from "../pool.ts";
import { keepArrayMethodsBelowFTL, keepBelowFTL } from "../jit.ts";
import { RunOutput } from "../output/run-output.ts";
import { VERSION_LINE } from "../version.ts";

export function usageFailure(message: string, tryHelp = true): number {
  log.error(message);
  if (tryHelp) process.stderr.write("Try 'blit --help' for more information.\n");
  return ExitCode.usage;
}

function statsLines(counts: Counts, backend: Backend, workers: number, filesByWorker: number[], mainThreadFiles: number, dryRun: boolean): [string, string | number][] {
  return [
    ...(dryRun ? [["dry run", "nothing was written or deleted"] as [string, string]] : []),
    ["files", counts.files],
    ["directories", counts.directories],
    ["symlinks", counts.symlinks],
    ["special files", counts.specials],
    ["hard links", counts.hardlinks],
    ["bytes", counts.bytes],
    ["skipped", counts.skipped],
    ["unchanged", counts.unchanged],
    ["attributes set on unchanged", counts.attributes],
    ["deleted", counts.deleted],
    ["excluded", counts.excluded],
    ["verified", counts.verified],
    ["vanished", counts.vanished],
    ["changed while read", counts.changed],
    ["errors", counts.errors],
    ...Object.entries(counts.backend),
    ["ranges copied by helpers", counts.helpedRanges],
    ["garbage collections in workers", counts.collections],
    ...readAheadLines(backend),
    ...COPY_METHODS.map((method): [string, number] => [`method ${method} (${backend.methodLabels[method]})`, counts.methods[method]]),
    ["backend", backend.id],
    ["workers", workers],
    ["files per worker", Array.from({ length: workers }, (_, i) => filesByWorker[i] ?? 0).join(" ")],
    ["files on the main thread", mainThreadFiles],
  ];
}

/**
 * What the walks keep for the workers: the stats (and xattr list sizes) by
 * which a second run counts unchanged files, where it counts them so
 * (countsUnchangedFromStats). Not where operands are merged into one
 * directory, whose later operand must find what the earlier one wrote,
 * nor with -L, whose stats are of what links lead to.
 */
function walksKeep(b: Backend, engine: EngineOptions, plan: Plan): WalkKept {
  if (!countsUnchangedFromStats(engine) || plan.repeatsDestination || engine.dereference === "always") return "none";
  return readsXattrs(b, engine) ? "stats and xattr sizes" : "stats";
}

/** --stats' lines for the reading ahead, where the backend reads ahead. */
function readAheadLines(backend: Backend): [string, number][] {
  const counts = backend.readAhead?.counts();
  if (!counts) return [];
  const lines: [string, number][] = [["entries read ahead", counts.entries], ["bytes read ahead", counts.bytes], ["stats taken from the walks", counts.taken]];
  if (counts.same !== undefined) lines.push(["files found unchanged from the walks' listings", counts.same]);
  if (counts.sameStatted !== undefined) lines.push(["files found unchanged as listed, statted then", counts.sameStatted]);
  return lines;
}

/** Open files kept back from the small-file batches: the runtime's own, stdio, the shim, the rings, the operands' directories (and the read-ahead walks' own, counted apart). */
const RESERVED_FILES = 64;

/**
 * Under a very low limit on open files: what the runtime holds before a
 * worker starts (stdio, its event loop, the executable, the shim), and what
 * each worker needs besides: its event loop and ring, a file's pair, and
 * two for each level of the tree it is in (SOURCE's directory and DEST's),
 * eight levels here. Measured with ulimit -n: one worker copied a tree of
 * 20 directories at 18 but one 3 levels deep only at 24, 6 deep at 30.
 */
const RUNTIME_FILES = 10;
const FILES_PER_WORKER = 22;

/** How many workers a limit on open files leaves room for (none below RUNTIME_FILES + FILES_PER_WORKER). */
function workersFitting(fileLimit: number | undefined): number {
  return fileLimit === undefined ? Infinity : Math.floor((fileLimit - RUNTIME_FILES) / FILES_PER_WORKER);
}

/**
 * Address space a worker takes (its thread, its JavaScript heap): 31-50 MB
 * each under ulimit -v 3000000 and 4000000, where Bun's JIT had reserved the
 * rest; a worker that finds none aborts the whole process.
 */
const ADDRESS_SPACE_PER_WORKER = 64 << 20;

/** How many workers what a limit on address space leaves (freeBytes) has room for; one at least, as without a limit. */
function workersInAddressSpace(freeBytes: number | undefined): number {
  return freeBytes === undefined ? Infinity : Math.max(1, Math.floor(freeBytes / ADDRESS_SPACE_PER_WORKER));
}

/** A second run's walks wait for the disk (a cold run) where more than one listing in this many did (see copy()). */
const WAITING_LISTINGS = 10;

/** Whether the walks wait for the disk: more than one listing in WAITING_LISTINGS did, or none is done and they are going. */
function walksWait(ahead: ReadAheadCapability): boolean {
  const { directories, waited } = ahead.counts();
  return directories === 0 ? ahead.walking() : waited * WAITING_LISTINGS > directories;
}

/** How many times the CPUs' count of workers a copy may grow to while they wait on the disk: each costs ~13 MiB, and on a 2-CPU VM 4 workers took most of the gain (6 gained 3 % more). */
const GROWTH_FACTOR = 2;

function engineOptions(options: CopyOptions & { filters: FilterRule[] }, workers: number, label: Uint8Array | undefined, listItems = false): EngineOptions {
  const { label: _asParsed, tuning, ...rest } = options;
  return {
    ...rest,
    ...tuning,
    // --update=none keeps every existing file, as -n does (but, as cp 9.5, never fails for it); none-fail too, each an error.
    noClobber: options.noClobber || options.update === "none" || options.update === "none-fail",
    readSpecialFiles: !options.recursive || options.copyContents,
    label,
    umask: process.umask(),
    runId: Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join(""),
    helpers: workers - 1,
    listItems,
    // With --json, stdout holds events: -v's entries are items there, not lines.
    verbose: options.verbose && !options.json,
  };
}

/**
 * Opens each job's destination directory once, for the workers: it stays
 * open for the whole run, and hard links are found relative to it. One
 * holding a file DEST that cp would write into (a regular file this user
 * may write), in a directory of this user's (not root's) read-only to its
 * owner, is made writable until close(), as a directory in a tree is: the
 * copy is made under a temporary name beside it. Nothing new is put in such
 * a directory otherwise, as cp and rsync refuse to.
 */
function openDestinations(backend: Backend, jobs: CopyJob[], options: CopyOptions, walked = new Map<CopyJob, number>()): { work: JobWork[]; close(): void } {
  const opened = new Map<string, number>();
  // Each directory made writable: the mode it had, and the one it was given.
  const locked = new Map<number, { had: number; given: number }>();
  // Not with -b either: the backup is a new name there, which cp may not make.
  const replacesInPlace = !options.dryRun && !options.inplace && !options.link && !options.symbolicLink && !options.removeDestination && options.backup === "none";
  const uid = replacesInPlace ? backend.identity()?.uid : undefined;
  const unlocked = (fd: number, job: CopyJob, base: string): void => {
    const modes = backend.modes;
    if (uid === undefined || uid === 0 || !modes || fd < 0 || locked.has(fd) || job.isDirectory || job.into) return;
    const dir = backend.fstat(fd);
    if (typeof dir === "number" || (dir.mode & 0o200) !== 0 || dir.uid !== uid) return;
    const there = backend.stat(fd, toBytes(base), false);
    if (typeof there === "number" || (there.mode & S_IFMT) !== S_IFREG || backend.canWrite(fd, toBytes(base)) !== 0) return;
    const given = (dir.mode & 0o7777) | 0o200;
    if (modes.chmodFd(fd, given) === 0) locked.set(fd, { had: dir.mode & 0o7777, given });
  };
  const paths = pathSyntax(backend.pathRules);
  const pathsOf = (job: CopyJob, dir: string, base: string): JobPaths =>
    ({ src: toBytes(job.src), dst: toBytes(job.dst), dstDir: toBytes(dir), dstBase: toBytes(base), ...(job.parentsOf !== undefined && { parentsOf: toBytes(job.parentsOf) }) });
  // A directory's DEST spelled with a trailing slash names what a symlink
  // there leads to, as the OS resolves it (cp -rT s link/ copies into the
  // directory): it is then the directory itself ("link/" and ".").
  const split = (job: CopyJob): { dir: string; base: string } => {
    if (job.isDirectory && paths.endsWithSeparator(job.dst)) {
      const entry = backend.stat(backend.cwd, toBytes(paths.trimTrailing(job.dst)), false);
      const followed = backend.stat(backend.cwd, toBytes(job.dst), true);
      if (typeof entry !== "number" && (entry.mode & S_IFMT) === S_IFLNK && typeof followed !== "number" && (followed.mode & S_IFMT) === S_IFDIR) return { dir: job.dst, base: "." };
    }
    return paths.split(job.dst);
  };
  if (!backend.sharedHandles) {
    for (const fd of walked.values()) backend.close(fd);
    const work = jobs.map((job) => {
      const { dir, base } = split(job);
      return { job, dstParentFd: undefined, paths: pathsOf(job, dir, base) };
    });
    return { work, close: () => {} };
  }
  const work = jobs.map((job) => {
    const { dir, base } = split(job);
    const jobPaths = pathsOf(job, dir, base);
    // --parents: the directory makeParents walked into, one component at a
    // time, never through a symlink. Opened again by its path, a directory
    // below DEST swapped for a symlink since would lead the copy out of DEST.
    let fd = walked.get(job);
    if (fd === undefined) fd = opened.get(dir);
    if (fd === undefined) {
      fd = openDestinationDir(backend, backend.cwd, jobPaths.dstDir, true);
      opened.set(dir, fd);
    }
    unlocked(fd, job, base);
    return { job, dstParentFd: fd, paths: jobPaths };
  });
  return {
    work,
    close: () => {
      // Its mode back, unless the copy has set another since (a directory operand's, merged into it).
      for (const [fd, { had, given }] of locked) {
        const now = backend.fstat(fd);
        if (typeof now !== "number" && (now.mode & 0o7777) === given) backend.modes?.chmodFd(fd, had);
      }
      for (const fd of opened.values()) if (fd >= 0) backend.close(fd);
      for (const fd of walked.values()) backend.close(fd);
    },
  };
}

const DOT = new Uint8Array([0x2e]);

/** A directory --parents made, whose attributes are set once the copy is done. */
interface MadeParent {
  fd: number;
  src: string;
  dst: string;
  st: Stat;
  /** Its mode when it was made without the owner's rwx, given back at the end (cp's restore_mode). */
  restoreMode: number | undefined;
}

/**
 * --parents: makes the directories each SOURCE's copy goes below, as cp's
 * make_dir_parents_private: one that is missing is made with its source
 * directory's mode (less the umask, and less group and other bits while an
 * owner or mode is still to be set), listed for -v as cp lists it
 * (`a -> D/a`, unquoted), counted and listed for --itemize and --json as
 * rsync -R lists them, and made writable for its owner while the copy
 * runs. Each is walked into from the one before, never by a path. A SOURCE
 * whose directories cannot be made is not copied.
 */
function makeParents(b: Backend, engine: EngineOptions, plan: Plan, reporter: Reporter): { made: MadeParent[]; walked: Map<CopyJob, number> } {
  const made: MadeParent[] = [];
  // Each job's directory, as the walk reached it: the copy goes there, not to its path looked up again.
  const walked = new Map<CopyJob, number>();
  const { preserve } = engine;
  const failed = new Set<CopyJob>();
  // As cp: once a directory of the chain is to be made, those already there
  // before it get -p's attributes too (a chain that is all there, none).
  const kept = preserve.mode || preserve.ownership || preserve.timestamps;
  const sourceDir = (dir: { src: string }): Stat | undefined => {
    const st = b.stat(b.cwd, toBytes(dir.src), true);
    const found = typeof st === "number" ? st : (st.mode & S_IFMT) === S_IFDIR ? st : -b.errno.ENOTDIR;
    if (typeof found !== "number") return found;
    reporter.fail(`failed to get attributes of ${quote(dir.src)}: ${b.strerror(-found)}`);
    return undefined;
  };
  for (const parents of plan.parents) {
    let fd = openDestinationDir(b, b.cwd, toBytes(parents.top), true);
    let ok = fd >= 0;
    if (!ok) reporter.fail(`cannot access ${quote(parents.top)}: ${b.strerror(-fd)}`);
    const existing: { dir: ParentDir; fd: number }[] = [];
    for (const dir of parents.dirs) {
      if (!ok) break;
      const name = toBytes(dir.name);
      // Not followed: a symlink inside DEST must not lead the copy out of it (cp follows it).
      const there = b.stat(fd, name, false);
      let next: number;
      if (typeof there === "number") {
        const st = sourceDir(dir);
        if (!st) {
          ok = false;
          break;
        }
        for (const before of existing.splice(0)) {
          const beforeSt = kept ? sourceDir(before.dir) : undefined;
          if (beforeSt) made.push({ fd: before.fd, src: before.dir.src, dst: before.dir.dst, st: beforeSt, restoreMode: undefined });
          else b.close(before.fd);
        }
        // Bits that would let others in before the owner or the mode is set come later.
        const omitted = st.mode & (preserve.ownership ? 0o077 : preserve.mode ? 0o022 : 0);
        const wanted = (engine.defaultModes ? 0o777 : st.mode) & 0o7777 & ~omitted;
        // Made with the owner's rwx: one it cannot read could not be opened
        // to fill (cp changes it by its path instead, after making it).
        const r = b.makeDir(fd, name, wanted | 0o700);
        if (r < 0) {
          reporter.fail(`cannot make directory ${quote(dir.dst)}: ${b.strerror(-r)}`);
          ok = false;
          break;
        }
        // As cp lists them, names as they are; quoted where they would be obeyed.
        if (engine.verbose) reporter.list(obeyedShownBare(dir.src) || obeyedShownBare(dir.dst) ? `${quote(dir.src)} -> ${quote(dir.dst)}` : `${dir.src} -> ${dir.dst}`);
        // Made by this run, as rsync -R lists the directories it implies.
        reporter.count("directories");
        if (engine.listItems) reporter.item({ action: "created", kind: "directory", src: toBytes(dir.src), dst: toBytes(dir.dst), size: 0 });
        next = b.openDir(fd, name, false);
        const now = next < 0 ? next : b.fstat(next);
        if (typeof now !== "number") {
          // Without -p's mode, the bits left out are given back at the end,
          // as far as the umask lets them (cp's restore_mode); so is the
          // mode it would have been made with, if the owner was given rwx
          // to fill it. The umask (or a default ACL) takes each bit apart,
          // so that mode is the one made with the owner's bits as asked.
          let restoreMode: number | undefined;
          if (!preserve.mode) {
            const asMade = (now.mode & ~0o700) | (now.mode & wanted & 0o700);
            const given = omitted & ~asMade ? omitted & ~engine.umask : omitted;
            if (given & ~asMade || (asMade & 0o700) !== 0o700) restoreMode = (asMade | given) & 0o7777;
          }
          if ((now.mode & 0o700) !== 0o700) b.modes?.chmodFd(next, (now.mode | 0o700) & 0o7777);
          made.push({ fd: next, src: dir.src, dst: dir.dst, st, restoreMode });
        }
      } else if ((there.mode & S_IFMT) !== S_IFDIR) {
        reporter.fail(`${quote(dir.dst)} exists but is not a directory`);
        ok = false;
        break;
      } else {
        next = b.openDir(fd, name, false);
        if (next >= 0 && kept) existing.push({ dir, fd: next });
        // One this user may search but not read (a drop box): made into, its attributes left as they are.
        else if (next === -b.errno.EACCES && b.openUnreadableDir) next = b.openUnreadableDir(fd, name, false);
      }
      if (next < 0) {
        reporter.fail(`cannot access ${quote(dir.dst)}: ${b.strerror(-next)}`);
        ok = false;
      }
      const held = (f: number) => made.some((m) => m.fd === f) || existing.some((x) => x.fd === f);
      if (!held(fd)) b.close(fd);
      fd = next;
    }
    for (const left of existing) if (left.fd !== fd) b.close(left.fd);
    if (ok && parents.job && parents.dirs.length > 0 && fd >= 0) {
      // A descriptor of its own: one of made is closed once the copy is done.
      const own = made.some((m) => m.fd === fd) ? b.openDir(fd, DOT, false) : fd;
      if (own >= 0) walked.set(parents.job, own);
      else {
        reporter.fail(`cannot access ${quote(parents.dirs[parents.dirs.length - 1]!.dst)}: ${b.strerror(-own)}`);
        ok = false;
      }
    } else if (fd >= 0 && !made.some((m) => m.fd === fd)) b.close(fd);
    if (!ok && parents.job) failed.add(parents.job);
    // A directory of SOURCE missing where DEST had it already: SOURCE is missing too.
    if (ok && parents.missing) reporter.fail(`cannot stat ${quote(parents.src)}: ${b.strerror(b.errno.ENOENT)}`);
  }
  plan.jobs = plan.jobs.filter((job) => !failed.has(job));
  return { made, walked };
}

/**
 * cp's re_protect: once the copy is done, the directories --parents made
 * get their source directories' times, owner and mode (with ACLs) as far
 * as they are kept, or the mode they were made with, given back.
 */
function protectParents(b: Backend, engine: EngineOptions, made: MadeParent[], reporter: Reporter): void {
  const { preserve } = engine;
  // Their other xattrs are not copied by cp; ACLs are, with the mode.
  const meta = new MetadataWriter(b, { ...engine, preserve: { ...preserve, xattr: false, context: false } }, reporter);
  for (const m of made.reverse()) {
    const mode = preserve.mode ? m.st.mode & 0o7777 : m.restoreMode;
    if (mode !== undefined || preserve.ownership || preserve.timestamps) {
      const xattrs = preserve.mode ? meta.readXattrs({ dir: b.cwd, name: toBytes(m.src) }) : [];
      meta.apply({ fd: m.fd }, m.st, xattrs, toBytes(m.dst), mode);
    }
    b.close(m.fd);
  }
}

/** What the summary needs to know of a run, filled in as it goes. */
interface RunState {
  counts: Counts;
  otherErrors: number;
  /** Operands -u or --update=none kept, found while planning. */
  keptOperands: number;
  signal: NodeJS.Signals | undefined;
  stoppedEarly: boolean;
  /** --stats, once the backend is loaded: printed however the run ends, operands all refused or kept too. */
  stats?: (counts: Counts) => [string, string | number][];
}

export async function runCopy(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err.message, err.tryHelp);
    throw err;
  }
  if (parsed.kind === "help") {
    const { backend } = await loadBackend();
    writeStdoutThrough(backend);
    say(helpText(backend.pathRules));
    return ExitCode.ok;
  }
  if (parsed.kind === "version") {
    say(VERSION_LINE);
    return ExitCode.ok;
  }
  const { options, operands } = parsed;
  setQuiet(options.quiet);
  const run = new RunOutput(options, operands);
  const state: RunState = { counts: emptyCounts(), otherErrors: 0, keptOperands: 0, signal: undefined, stoppedEarly: false };
  const exitCode = await copy(options, operands, run, state);
  // A wrong command line: no summary, as no start.
  if (exitCode !== ExitCode.usage) run.finish({ ...state, exitCode });
  return exitCode;
}

/** A signal again within this long is the first one delivered twice (GNU timeout's kill of the process, then of its group). */
const REPEATED_SIGNAL_MS = 50;

async function copy(options: CopyOptions, operands: string[], run: RunOutput, state: RunState): Promise<number> {
  // First signal: stop, clean up, report. A second one: leave at once.
  let signal: NodeJS.Signals | undefined;
  let pool: Pool | undefined;
  /** What the main thread copied itself (src/inline.ts), and the directories --parents made. */
  const copied = emptyCounts();
  // What the summary counts should the run end before the workers' counts join these.
  state.counts = copied;
  const statusFor = (name: NodeJS.Signals) => (name === "SIGINT" ? ExitCode.interrupted : name === "SIGHUP" ? ExitCode.hangup : name === "SIGQUIT" ? ExitCode.quit : ExitCode.terminated);
  // Set once the destinations are open (a directory may have been made
  // writable for the copy): from then on a signal stops the copy, here or in
  // the pool about to start, and the destinations are closed as it ends.
  let stopBeforePool: ((code: number) => void) | undefined;
  // Set once the pool runs: removes the temporary files its workers are writing.
  let removeTemps: (() => void) | undefined;
  let firstAt = 0;
  const onSignal = (name: NodeJS.Signals) => {
    // GNU timeout sends its signal to the process and then to its group:
    // one signal, delivered twice microseconds apart, is not a second one.
    if (signal === name && performance.now() - firstAt < REPEATED_SIGNAL_MS) return;
    if (signal || (!pool && !stopBeforePool)) {
      // Nothing is being written now (or the user insists): leave now, saying
      // what was done (as far as the workers have said: at least that).
      removeTemps?.();
      const counts = emptyCounts();
      addCounts(counts, copied);
      if (pool) addCounts(counts, pool.countedSoFar);
      run.finish({ ...state, counts, signal: name, exitCode: statusFor(name), abrupt: signal !== undefined });
      process.exit(statusFor(name));
    }
    signal = name;
    firstAt = performance.now();
    state.signal = name;
    if (pool) pool.cancel(statusFor(name));
    else stopBeforePool?.(statusFor(name));
  };
  // One this process was started with ignored stays ignored, as with cp.
  const ignored = inheritedIgnoredSignals();
  // SIGHUP too (the terminal or the ssh session went away), and SIGQUIT (^\
  // at the terminal): their defaults would leave the files in flight as
  // temporaries, and the terminal with the bar's cursor hidden. Only where
  // blit can tell it was not started ignoring them: a handler would undo
  // nohup, or a background job's ignored ^\.
  const handled: NodeJS.Signals[] = ignored ? ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] : ["SIGINT", "SIGTERM"];
  for (const name of handled) if (!ignored?.includes(name)) process.on(name, onSignal);

  // Loaded before planning, which looks at the operands through it. Its
  // warning waits until something is to be copied: refusals alone are said
  // without it, as before.
  const loaded = await loadBackend();
  // Before the first event: a closed stdout is then "write error", not a crash.
  writeStdoutThrough(loaded.backend);
  const wildcards = expandWildcards(loaded.backend, operands, options.parents);
  if (options.stats) state.stats = (counts) => statsLines(counts, loaded.backend, pool?.workers ?? 0, pool?.filesByWorker ?? [], copied.files, options.dryRun);
  // Usage errors first: a wrong command line prints no events at all.
  const filters = readFilterFiles(loaded.backend, options.filters);
  if (typeof filters === "string") return usageFailure(filters);
  let plan;
  try {
    plan = planCopy(loaded.backend, options, wildcards.operands, wildcards.unmatched);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err.message, err.tryHelp);
    throw err;
  }
  const labels = labelling(options, loaded.backend);
  if (!labels.ok) return usageFailure(labels.error);
  run.start(loaded.backend);
  // Before anything the plan says, as cp warns while it reads its options: also where nothing is copied.
  for (const warning of labels.warnings) run.warning({ message: warning });
  run.planSaid(plan.said);
  run.keptOperands(plan.kept.map(({ job, mode }) => ({ src: toBytes(job.src), dst: toBytes(job.dst), mode })));
  state.otherErrors = plan.errors.length;
  state.keptOperands = plan.kept.length;
  if ((plan.jobs.length === 0 && plan.parents.length === 0) || (options.failFast && plan.errors.length)) {
    // Said as a stop inside the copy is: the operands that could be copied were not.
    state.stoppedEarly = options.failFast && plan.errors.length > 0 && plan.jobs.length > 0;
    return plan.errors.length ? ExitCode.partial : ExitCode.ok;
  }
  // A few plain files or a small tree are copied on this thread (src/inline.ts), and only
  // what it hands back waits for a worker to boot. Otherwise the first
  // worker boots now, while this thread raises its file limit, opens the
  // destinations and so on. (Booting one anyway, in case a large file does
  // not clone, made a cold clone slower: the worker's start-up competes for
  // the disk with the main thread's.)
  // -i: not on this thread, whose file handed back to a worker would be asked about twice.
  // Jobs that write one destination in turn: in order, on one worker.
  const inline = !options.interactive && !plan.repeatsDestination && inlineable(loaded.backend, options, plan.jobs);
  const fileLimit = loaded.backend.fileLimit?.raise();
  const byFiles = workersFitting(fileLimit);
  const byAddressSpace = workersInAddressSpace(addressSpaceFree());
  const fitting = Math.min(byFiles, byAddressSpace);
  // Not one worker under the limit: none is started (the runtime's own start-up would fail, in many lines).
  const booted = inline || options.parents || fitting < 1 ? undefined : Pool.boot();

  if (loaded.fallbackReason !== undefined) {
    run.warning({ message: `native copy engine unavailable (${loaded.fallbackReason}); copying with Bun's fs, which is slower and, working by path, not proof against a directory swapped for a symlink meanwhile` });
  }
  const labelled = { ...options, preserve: labels.preserve, filters };
  // --parents: the directories below the target, made here before anything is copied into them.
  const parentsReport = new Reporter();
  const { made: madeParents, walked } = options.parents ? makeParents(loaded.backend, engineOptions(labelled, 1, labels.label, run.wantsItems), plan, parentsReport) : { made: [], walked: undefined };
  let parentErrors = 0;
  const parentsSaid = () => {
    const { counts: parentCounts, output } = parentsReport.drain();
    run.output(output);
    parentErrors += parentCounts.errors;
    copied.directories += parentCounts.directories;
    state.otherErrors += parentCounts.errors;
  };
  const parentsDone = () => {
    protectParents(loaded.backend, engineOptions(labelled, 1, labels.label), madeParents, parentsReport);
    parentsSaid();
  };
  parentsSaid();
  if (plan.jobs.length === 0) {
    for (const fd of walked?.values() ?? []) loaded.backend.close(fd);
    parentsDone();
    return plan.errors.length || parentErrors ? ExitCode.partial : ExitCode.ok;
  }
  const destinations = openDestinations(loaded.backend, plan.jobs, options, walked);

  // Plain files need no more workers than there are of them, unless one is
  // large enough to be copied in ranges by several; handles that only one
  // thread understands, no more than one.
  const manyNeeded = plan.jobs.some((job) => job.isDirectory || (job.size >= SHARE_MIN_SIZE && options.reflink !== "never"));
  const jobs = (options.jobsByDefault && loaded.backend.workers?.()) || options.jobs;
  const wanted = manyNeeded ? jobs : Math.min(jobs, plan.jobs.length);
  // No more than the limits on open files and address space let run: -j N
  // past them is lowered, and said, as N workers would fail files with "Too
  // many open files", or abort the process.
  const asked = loaded.backend.sharedHandles && !plan.repeatsDestination ? wanted : 1;
  const workers = Math.max(1, Math.min(asked, fitting));
  if (!options.jobsByDefault && workers < asked && fitting >= 1) {
    const limit = byFiles <= byAddressSpace ? `the limit on open files (ulimit -n ${fileLimit})` : `the limit on address space (ulimit -v ${Math.floor((addressSpaceLimit() ?? 0) / 1024)})`;
    run.warning({ message: `-j ${options.jobs} lowered to ${workers}: ${limit} leaves room for ${workers} worker${workers === 1 ? "" : "s"}` });
  }
  // Without -j, a tree copy may add workers while the ones there wait on the disk (src/pool.ts).
  // Not past what those limits leave room for either.
  const most = Math.min(workers * GROWTH_FACTOR, fitting);
  const countsOpen = loaded.backend.fileLimit?.open;
  const files = fileLimit !== undefined && countsOpen ? { limit: fileLimit, open: countsOpen, perWorker: FILES_PER_WORKER } : undefined;
  const growth = options.jobsByDefault && manyNeeded && workers === jobs && most > workers && !plan.repeatsDestination ? { most, cpus: jobs, ...(files && { files }) } : undefined;
  const mostWorkers = growth?.most ?? workers;
  const tempNamedOperands = destinations.work.map((w) => w.paths.dstBase).filter(isTempName).map((name) => Buffer.from(name).toString("latin1"));
  const isDotName = (name: Uint8Array) => name[0] === 0x2e && (name.length === 1 || (name.length === 2 && name[1] === 0x2e));
  const sourcesCopiedAsTarget = destinations.work.filter((w) => isDotName(w.paths.dstBase)).map((w) => Buffer.from(w.paths.src).toString("latin1"));
  let engine: EngineOptions = {
    ...engineOptions(labelled, workers, labels.label, run.wantsItems),
    mergesOperands: plan.repeatsDestination === true,
    ...(tempNamedOperands.length > 0 && { tempNamedOperands }),
    ...(sourcesCopiedAsTarget.length > 0 && { sourcesCopiedAsTarget }),
  };
  const walks = readAhead(loaded.backend, plan.jobs, options, { filtered: filters.length > 0, fileLimit, keep: walksKeep(loaded.backend, engine, plan) });
  const walkingFiles = walks.openFiles;
  // A cold second run: its walks stat both trees, and the workers, left
  // mostly comparing what the walks kept, keep no CPU of their own busy.
  // Another worker's start-up and compiles only take CPU time from the
  // walks (cold, on the 2-CPU VM of bench/, medians of 5: the small tree's
  // second run 0.40 s with one worker to start with against 0.45 s with
  // two, the Linux tree's 0.73 against 0.82 s). It starts with half of
  // them where, once the first worker is up, the walks' listings so far
  // waited for the disk more than now and then (or none is done, and they
  // are going), and the pool grows (Growth) where files to copy leave the
  // CPUs waiting. A warm second run is not held back: its walks list what
  // is in memory quickly, and its workers' part of the work keeps them
  // busy (one fewer made the Linux tree's take 0.45 s instead of 0.35 s);
  // nor is one the walks leave alone (tmpfs). Measured there, 20-70 ms
  // in: warm, 0.4-1.5 % of the listings waited (a thread switch now and
  // then); cold, on the VM's disk all of them, on an XFS loop mount whose
  // image is in memory 15 %, on one slowed to 200 reads a second 29-100 %.
  const ahead = loaded.backend.readAhead;
  const holdBack = growth && walks.keptPairs && ahead ? { workers: Math.max(1, Math.floor(workers / 2)), applies: () => walksWait(ahead) } : undefined;
  // Each worker opens a batch of small files at once: under a low limit on
  // open files (a container's nofile) the batches share what is left once
  // the runtime's own and the directories' are counted.
  if (fileLimit !== undefined) engine = { ...engine, maxInFlight: Math.max(1, Math.min(engine.maxInFlight, Math.floor((fileLimit - RESERVED_FILES - walkingFiles) / (2 * mostWorkers)))) };
  // One slot per worker the pool may have, and the last for this thread.
  const live = run.wantsLive ? LiveCounters.allocate(mostWorkers + 1) : undefined;
  const shared = {
    cancel: new SharedArrayBuffer(4),
    links: options.preserve.links ? linkTable() : undefined,
    destinations: options.preserve.links && (options.skipUnchanged || options.checksum) ? linkTable() : undefined,
    hungry: new SharedArrayBuffer(4),
    workers: new SharedArrayBuffer(4),
    // --max-delete: the workers' removals counted together, never past the limit.
    deletions: options.maxDelete !== undefined ? new SharedArrayBuffer(4) : undefined,
    entered: options.keepDirectorySymlink ? EnteredDirectories.allocate() : undefined,
    live,
    temps: inFlightTable(mostWorkers),
  };
  removeTemps = () => removeInFlight(shared.temps, engine.runId, (dir, name) => loaded.backend.remove(dir, name, false));
  const cancelFlag = new Int32Array(shared.cancel);
  // The pool starts with the flag set, and drops every job.
  stopBeforePool = (code) => Atomics.compareExchange(cancelFlag, 0, 0, code);
  let scanning = true;
  if (live) run.watch(live, prescan(loaded.backend, options, plan.jobs, () => !scanning || Atomics.load(cancelFlag, 0) !== 0));
  const progress = (output: Output, counts: Counts) => {
    run.output(output);
    if (options.failFast && counts.errors > 0) {
      if (pool) pool.cancel(ExitCode.partial);
      else Atomics.store(cancelFlag, 0, ExitCode.partial);
    }
  };

  let work = destinations.work;
  let leftByInline: LeftForWorkers | undefined;
  let dropped = 0;
  let counts = copied;
  // --max-delete: a dry run first counts what --delete would remove (all of
  // it: it does not stop at an error, even with --fail-fast); over the
  // limit, the copy runs without deleting anything.
  let refusedDeletions = 0;
  // The destinations are closed (a directory made writable for the copy given its mode back) however the run ends.
  try {
    // A dry run counts too, to say what the real one would.
    if (engine.delete && options.maxDelete !== undefined && plan.jobs.some((job) => job.isDirectory)) {
      // A signal stops the count too (the run's flag), and a count cut short decides nothing.
      // It asks nothing (-i): the answers are the copy's, and a yes is counted as given.
      const deletions = await countDeletions(loaded, { ...engine, dryRun: true, failFast: false, verbose: false, debug: false, listItems: false, interactive: false }, workers, work, shared);
      if (Atomics.load(cancelFlag, 0) === 0 && deletions > options.maxDelete) {
        refusedDeletions = deletions;
        engine = { ...engine, delete: false };
        run.error({ message: `not deleting: ${deletions} ${deletions === 1 ? "entry" : "entries"} would be deleted, more than --max-delete=${options.maxDelete} allows; nothing was deleted`, op: "delete" });
        // Said as an error, counted as one: the summary's count matches the messages.
        state.otherErrors++;
      }
    }
    if (inline) {
      // Workers are numbered from 0; the main thread's temporary names use the number after the last.
      const mainSlot = live ? new LiveCounters(live, mostWorkers) : undefined;
      leftByInline = await copyInline(loaded.backend, engine, work, mostWorkers, cancelFlag, copied, progress, mainSlot);
      work = leftByInline.jobs;
      dropped = leftByInline.dropped;
    }
    const children = leftByInline?.children ?? [];
    if (work.length > 0 || children.length > 0) {
      try {
        if (fitting < 1) throw new Error(`cannot start worker 0: the limit on open files (ulimit -n ${fileLimit}) is below the ${RUNTIME_FILES + FILES_PER_WORKER} a worker needs`);
        pool = await Pool.start(workers, loaded, engine, shared, { progress }, booted, growth, holdBack);
      } catch (err) {
        // Not one worker (a limit on processes or threads): nothing of the
        // trees was copied, but for what this thread copied of small ones,
        // whose directories it now finishes.
        run.error({ message: (err as Error).message, op: "worker" });
        leftByInline?.abandon();
        state.otherErrors++;
        return ExitCode.partial;
      }
      // This thread's share of a copy, its books and output, waits on the workers as theirs waits on the system.
      keepBelowFTL(pool, run);
      keepArrayMethodsBelowFTL();
      try {
        // Jobs that write one destination: each one whole before the next
        // starts, as cp copies them (a directory's subdirectories may wait in
        // the pool's queue after its own task is done).
        if (plan.repeatsDestination) counts = await runInTurn(pool, work);
        else counts = await pool.run(work, children);
      } finally {
        // After a crash, the temporary file the crashed worker was writing goes too.
        if (await pool.stop()) removeTemps?.();
      }
      addCounts(counts, copied);
      dropped += pool.dropped;
    }
  } finally {
    scanning = false;
    destinations.close();
  }
  parentsDone();
  counts = { ...counts, vanished: counts.vanished - run.repeatedVanished };
  state.counts = counts;
  if (signal) return statusFor(signal);
  if (options.failFast && (counts.errors > 0 || dropped > 0)) {
    state.stoppedEarly = true;
    return ExitCode.partial;
  }
  // A file not copied outweighs the deletions refused (as rsync's 23 does its 25).
  if (plan.errors.length || counts.errors || parentErrors) return ExitCode.partial;
  if (refusedDeletions) return ExitCode.maxDelete;
  return counts.vanished ? ExitCode.vanished : ExitCode.ok;
}

/** The hard-link table; BLIT_LINK_TABLE="slots,bytes" makes a small one (the tests fill it). */
function linkTable(): SharedArrayBuffer {
  const [slots, bytes] = (process.env.BLIT_LINK_TABLE ?? "").split(",").map(Number);
  return slots && bytes && (slots & (slots - 1)) === 0 ? LinkTable.allocate(slots, bytes) : LinkTable.allocate();
}

/**
 * Jobs that write one destination, each whole before the next, as cp copies
 * them: one that would overwrite an earlier operand's copy is told whether
 * that copy was made (-n and -i may have left it out), as cp remembers what
 * it made.
 */
async function runInTurn(pool: Pool, work: JobWork[]): Promise<Counts> {
  const made = new Set<string>();
  let counts = pool.countedSoFar;
  for (const each of work) {
    const job = each.job.overwritesEarlier ? { ...each.job, justCreated: made.has(each.job.dst) } : each.job;
    const before = madeSoFar(pool.countedSoFar);
    counts = await pool.run([{ ...each, job }]);
    if (madeSoFar(counts) > before) made.add(each.job.dst);
  }
  return counts;
}

function madeSoFar(counts: Counts): number {
  return counts.files + counts.symlinks + counts.specials + counts.hardlinks;
}

/** --max-delete: how many entries --delete would remove, from a dry run of the whole copy (its messages unsaid). */
async function countDeletions(loaded: LoadedBackend, dry: EngineOptions, workers: number, work: JobWork[], run: { cancel: SharedArrayBuffer; entered?: SharedArrayBuffer }): Promise<number> {
  const shared = {
    cancel: run.cancel,
    links: undefined,
    hungry: new SharedArrayBuffer(4),
    workers: new SharedArrayBuffer(4),
    live: undefined,
    // What the count finds a kept symlink leads into is so for the copy too.
    entered: run.entered,
  };
  const pool = await Pool.start(workers, loaded, dry, shared, { progress: () => {} });
  try {
    return (await pool.run(work)).deleted;
  } finally {
    await pool.stop();
  }
}
