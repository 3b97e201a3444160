// The one line a run ends with on a terminal (and always when interrupted):
// what was copied, in how long, how fast, and how many errors.

import type { Counts } from "../engine/report.ts";
import { humanRate, humanSeconds } from "./units.ts";

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "3 files (12 bytes), 1 directory", with symlinks, hard links, skipped, deleted and vanished entries when there are any. */
export function describe(counts: Counts): string {
  const parts = [`${plural(counts.files, "file", "files")} (${counts.bytes} bytes)`, plural(counts.directories, "directory", "directories")];
  if (counts.symlinks) parts.push(plural(counts.symlinks, "symlink", "symlinks"));
  if (counts.specials) parts.push(plural(counts.specials, "special file", "special files"));
  if (counts.hardlinks) parts.push(plural(counts.hardlinks, "hard link", "hard links"));
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  if (counts.deleted) parts.push(`${counts.deleted} deleted`);
  if (counts.vanished) parts.push(`${counts.vanished} vanished`);
  return parts.join(", ");
}

/** "copied 3 files (12 bytes), 1 directory in 0.42 s (28 B/s), 0 errors". */
export function summaryLine(counts: Counts, seconds: number, dryRun = false, atLeast = false): string {
  return `${dryRun ? "dry run, nothing written: would have copied" : "copied"}${atLeast ? " at least" : ""} ${describe(counts)} in ${humanSeconds(seconds)} (${humanRate(counts.bytes, seconds)}), ${plural(counts.errors, "error", "errors")}`;
}
