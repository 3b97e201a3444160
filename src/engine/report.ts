// What a worker did and has to say, collected per task and handed to the pool,
// which adds up the counts and prints the messages.

import { type BackendCounters, COPY_METHODS, type CopyMethod } from "../../ffi/index.ts";

export interface Counts {
  files: number;
  directories: number;
  symlinks: number;
  specials: number;
  hardlinks: number;
  bytes: number;
  skipped: number;
  errors: number;
  /** Listed, then gone before they could be copied. */
  vanished: number;
  /** Copied while they were being written to. */
  changed: number;
  /** --skip-unchanged, --checksum: left as they were, their data SOURCE's already. */
  unchanged: number;
  /** ...of which their attributes (owner, mode, xattrs, times) were set to SOURCE's. */
  attributes: number;
  /** --delete: entries removed from the destination (in a dry run, that would be). */
  deleted: number;
  /** --exclude: entries below SOURCE left out. */
  excluded: number;
  /** --verify: copies read back from the disk and found equal to their source. */
  verified: number;
  /** The backend's own counters (native calls, io_uring submissions...), by the names it gives them. */
  backend: BackendCounters;
  /** Ranges of large files copied by a worker other than the one copying the file. */
  helpedRanges: number;
  methods: Record<CopyMethod, number>;
}

export function emptyCounts(): Counts {
  return {
    files: 0,
    directories: 0,
    symlinks: 0,
    specials: 0,
    hardlinks: 0,
    bytes: 0,
    skipped: 0,
    errors: 0,
    vanished: 0,
    changed: 0,
    unchanged: 0,
    attributes: 0,
    deleted: 0,
    excluded: 0,
    verified: 0,
    backend: {},
    helpedRanges: 0,
    methods: Object.fromEntries(COPY_METHODS.map((m) => [m, 0])) as Record<CopyMethod, number>,
  };
}

export function addCounts(into: Counts, from: Counts): void {
  for (const key of Object.keys(from) as (keyof Counts)[]) {
    if (key === "methods") for (const method of COPY_METHODS) into.methods[method] += from.methods[method];
    else if (key === "backend") addCounters(into.backend, from.backend, 1);
    else into[key] += from[key];
  }
}

/**
 * What happened to an entry besides a copy, for -v and --stats (and for
 * --itemize and --json to hook into): left unchanged, its attributes set
 * while its data was left, removed by --delete, or left out by --exclude.
 */
export type Change = "unchanged" | "attributes" | "deleted" | "excluded";

/** into += sign × from, counter by counter. */
export function addCounters(into: BackendCounters, from: BackendCounters, sign: 1 | -1): void {
  for (const [name, value] of Object.entries(from)) into[name] = (into[name] ?? 0) + sign * value;
}

export interface Output {
  /** Lines for stdout (the verbose listing). */
  out: string[];
  /** Error messages, without the "blit: " prefix. */
  errors: string[];
  warnings: string[];
}

/**
 * Lines a worker holds before it sends them on, its task unfinished: with -v
 * a flat directory of a million files is one task, and its listing would
 * otherwise wait whole (~400 MiB) until the task ends.
 */
const LINES_HELD = 1024;

export class Reporter {
  counts = emptyCounts();
  output: Output = { out: [], errors: [], warnings: [] };
  private lines = 0;
  /** Set by a worker: takes the lines said so far when LINES_HELD are waiting. */
  onLines: ((output: Output) => void) | undefined;

  fail(message: string): void {
    this.output.errors.push(message);
    this.counts.errors++;
    this.said();
  }

  warn(message: string): void {
    this.output.warnings.push(message);
    this.said();
  }

  /** Counts a change and, when given (-v), lists its line. */
  noted(change: Change, line: string | undefined): void {
    this.counts[change]++;
    if (line !== undefined) this.list(line);
  }

  list(line: string): void {
    this.output.out.push(line);
    this.said();
  }

  private said(): void {
    if (++this.lines >= LINES_HELD && this.onLines) this.onLines(this.takeOutput());
  }

  private takeOutput(): Output {
    const output = this.output;
    this.output = { out: [], errors: [], warnings: [] };
    this.lines = 0;
    return output;
  }

  /** Hands over what was counted and said since the last call. */
  drain(): { counts: Counts; output: Output } {
    const result = { counts: this.counts, output: this.takeOutput() };
    this.counts = emptyCounts();
    return result;
  }
}
