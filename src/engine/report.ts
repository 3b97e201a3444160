// What a worker did and has to say, collected per task and handed to the pool,
// which adds up the counts and prints the messages.

import { type BackendCounters, COPY_METHODS, type CopyMethod, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../../ffi/index.ts";
import type { LiveCounters } from "./live.ts";

/** How a source that vanished during the copy is said (rsync's words), by the copy and by --delete. */
export const VANISHED = "file has vanished: ";

export interface Counts {
  files: number;
  directories: number;
  symlinks: number;
  specials: number;
  hardlinks: number;
  bytes: number;
  skipped: number;
  /** Entries removed from DEST because SOURCE has them no more (--delete; in a dry run, that would be). */
  deleted: number;
  errors: number;
  /** Listed, then gone before they could be copied. */
  vanished: number;
  /** Copied while they were being written to. */
  changed: number;
  /** --skip-unchanged, --checksum: left as they were, their data SOURCE's already. */
  unchanged: number;
  /** ...of which their attributes (owner, mode, xattrs, times) were set to SOURCE's. */
  attributes: number;
  /** --exclude: entries below SOURCE left out. */
  excluded: number;
  /** --verify: copies read back from the disk and found equal to their source. */
  verified: number;
  /** The backend's own counters (native calls, io_uring submissions...), by the names it gives them. */
  backend: BackendCounters;
  /** Ranges of large files copied by a worker other than the one copying the file. */
  helpedRanges: number;
  /** Garbage collections the workers asked for (src/collector.ts). */
  collections: number;
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
    deleted: 0,
    errors: 0,
    vanished: 0,
    changed: 0,
    unchanged: 0,
    attributes: 0,
    excluded: 0,
    verified: 0,
    backend: {},
    helpedRanges: 0,
    collections: 0,
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

/** into += sign × from, counter by counter. */
export function addCounters(into: BackendCounters, from: BackendCounters, sign: 1 | -1): void {
  for (const [name, value] of Object.entries(from)) into[name] = (into[name] ?? 0) + sign * value;
}

/**
 * What happened to one entry of DEST, for --itemize and --json's `file`
 * events: made where nothing was, made in place of what was there, left as
 * it was (and why), removed, or given SOURCE's attributes while its data was
 * left (metadata only).
 */
export type ItemAction = "created" | "replaced" | "skipped" | "deleted" | "attributes";
export type ItemKind = "file" | "directory" | "symlink" | "hardlink" | "special";
/**
 * Why an entry was skipped: DEST's was kept by -n or --update=none
 * (`exists`), by -u (`newer`), by a "no" to -i (`declined`), or found equal
 * to SOURCE's (`unchanged`, --skip-unchanged); `excluded`: left out by a filter.
 */
export type SkipReason = "exists" | "newer" | "declined" | "unchanged" | "excluded";

/** Whether mode is a character or block device's. */
export function isDevice(mode: number): boolean {
  const type = mode & S_IFMT;
  return type === S_IFCHR || type === S_IFBLK;
}

export function kindOf(mode: number): ItemKind {
  const type = mode & S_IFMT;
  return type === S_IFREG ? "file" : type === S_IFDIR ? "directory" : type === S_IFLNK ? "symlink" : "special";
}

/** What a hard link names where that is not a regular file (Item.linked); undefined for other kinds. */
export function linkedKind(kind: ItemKind, stat: { mode: number } | undefined): Item["linked"] {
  if (kind !== "hardlink" || !stat) return undefined;
  const linked = kindOf(stat.mode);
  return linked === "symlink" || linked === "special" ? linked : undefined;
}

export interface Item {
  action: ItemAction;
  kind: ItemKind;
  /** A special file that is a device (rsync's `D`), not a fifo or socket (`S`). */
  device?: boolean;
  /** A hard link's inode where it is not a regular file (rsync's `hL`, `hS`, `hD`). */
  linked?: "symlink" | "special";
  /** Undefined for an entry deleted from DEST. */
  src: Uint8Array | undefined;
  dst: Uint8Array;
  /** A file's length as copied, holes included (0 for other kinds and skipped entries). */
  size: number;
  method?: CopyMethod;
  /** For `replaced` and `attributes`: what differed from the entry that was there, as rsync's letters (s size, t mtime, p mode, o owner, g group). */
  changed?: string;
  reason?: SkipReason;
  /** The target of a symlink (made, left, or given attributes); for a hard link, what it was linked to (the first copy's path, as dst names it; -l: its source). */
  target?: Uint8Array;
}

/** An error or a warning: the line said to people, and what it is about. */
export interface Notice {
  /** Without the "blit: " prefix. */
  message: string;
  path?: Uint8Array;
  /** The OS's error number (positive), when a call failed. */
  errno?: number;
  /** The OS's words for it, said by the thread that failed (Windows keeps each error's own code per thread). */
  reason?: string;
  /** What was being done: "stat", "open", "create", "read", ... */
  op?: string;
}

export interface Output {
  /** Lines for stdout (the verbose listing). */
  out: string[];
  errors: Notice[];
  warnings: Notice[];
  /** Entries made, replaced or skipped; collected only when they are listed (-v, --itemize). */
  items: Item[];
}

const emptyOutput = (): Output => ({ out: [], errors: [], warnings: [], items: [] });

/** Counters that also go to the live view (the progress bar), besides the task's counts. */
export type LiveKind = "directories" | "symlinks" | "specials" | "hardlinks" | "skipped";

/**
 * Lines a worker holds before it sends them on, its task unfinished: with -v
 * a flat directory of a million files is one task, and its listing would
 * otherwise wait whole (~400 MiB) until the task ends.
 */
const LINES_HELD = 1024;

export class Reporter {
  counts = emptyCounts();
  output: Output = emptyOutput();
  private lines = 0;
  private holding = 0;
  /** Set by a worker: takes the lines said so far when LINES_HELD are waiting. */
  onLines: ((output: Output) => void) | undefined;
  /** Told of each error as it is said (--fail-fast stops the run there and then). */
  onFail: (() => void) | undefined;
  /** The backend's words for an error number, on this thread (see Notice.reason). */
  reasonOf: ((errno: number) => string) | undefined;
  /** Set when something shows progress while the copy runs (the bar, --json): this thread's slot. */
  live: LiveCounters | undefined;
  /** Bytes of the file in hand already shown as progress (see partial). */
  private partialBytes = 0;

  fail(message: string, about?: Omit<Notice, "message">): void {
    this.output.errors.push(this.notice(message, about));
    this.counts.errors++;
    this.live?.add("errors", 1);
    this.onFail?.();
    this.said();
  }

  warn(message: string, about?: Omit<Notice, "message">): void {
    this.output.warnings.push(this.notice(message, about));
    this.said();
  }

  private notice(message: string, about: Omit<Notice, "message"> | undefined): Notice {
    const errno = about?.errno;
    return errno !== undefined && errno > 0 && this.reasonOf ? { message, ...about, reason: this.reasonOf(errno) } : { message, ...about };
  }

  item(item: Item): void {
    this.output.items.push(item);
    this.said();
  }

  /** One more entry of this kind done (or, with -1, one counted too soon taken back). */
  count(kind: LiveKind, n = 1): void {
    this.counts[kind] += n;
    this.live?.add(kind, n);
  }

  /** A regular file copied whole; what partial showed of it is taken back (its size counts instead). */
  fileCopied(bytes: number, method: CopyMethod | undefined): void {
    this.counts.files++;
    this.counts.bytes += bytes;
    if (method) this.counts.methods[method]++;
    if (this.live) {
      // Taken back before the size is added: a reader in between sees too little, never too much.
      this.dropPartial();
      this.live.add("files", 1);
      this.live.add("bytes", bytes);
    }
  }

  /** An entry left as it was in DEST; a file's size counts as done for the bar, not as copied. */
  skippedEntry(size: number): void {
    this.skippedEntries(1, size);
  }

  /** n entries left as they were at once, `bytes` of them in regular files. */
  skippedEntries(n: number, bytes: number): void {
    this.count("skipped", n);
    if (bytes > 0) this.live?.add("skippedBytes", bytes);
  }

  /** Bytes of a large file copied so far, shown while it is copied. */
  partial(bytes: number): void {
    this.partialBytes += bytes;
    this.live?.add("partial", bytes);
  }

  /** The file whose bytes partial counted failed, or a helper's ranges are done: no longer shown. */
  dropPartial(): void {
    if (this.partialBytes === 0) return;
    this.live?.add("partial", -this.partialBytes);
    this.partialBytes = 0;
  }

  list(line: string): void {
    this.output.out.push(line);
    this.said();
  }

  private said(): void {
    if (++this.lines >= LINES_HELD && this.onLines && this.holding === 0) this.onLines(this.takeOutput());
  }

  /**
   * Holds the lines said (none goes to onLines) from hold(true) to
   * hold(false): what they name is not under its name yet (a directory
   * filled under a temporary name), and a reader of -v, --itemize or --json
   * may open it as soon as it is said.
   */
  hold(on: boolean): void {
    this.holding += on ? 1 : -1;
    if (this.holding === 0 && this.lines >= LINES_HELD && this.onLines) this.onLines(this.takeOutput());
  }

  private takeOutput(): Output {
    const output = this.output;
    this.output = emptyOutput();
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

