// Snapshots of directory trees for comparing blit's output with cp's, rsync's
// and the source's. The walking is done by treecheck.py, which works relative
// to directory descriptors (trees deeper than PATH_MAX), keeps names as bytes,
// and records type, mode, owner, size, contents, symlink target, device
// numbers, xattrs and ACLs, hard-link groups and, on request, ns mtimes and
// allocated blocks.

import { join } from "node:path";
import { run } from "./blit.ts";

export interface Entry {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  target?: string;
  rdev?: string;
  xattrs?: Record<string, string>;
  mtime_ns?: string;
  blocks?: number;
}

export interface SnapshotOptions {
  /** Compare modification times (only meaningful when they were preserved). */
  times?: boolean;
  /** Relative paths whose times are left out (a directory the copy changed). */
  skipTimesOf?: string[];
  /** Record allocated blocks (sparse files). */
  blocks?: boolean;
  /** Leave xattrs out (a filesystem that cannot hold them). */
  noXattrs?: boolean;
}

export interface Tree {
  entries: Record<string, Entry>;
  hardlinks: string[][];
}

const CHECKER = join(import.meta.dir, "treecheck.py");

export function tree(root: string, options: SnapshotOptions = {}): Tree {
  const flags = [options.times ? "--times" : "", options.blocks ? "--blocks" : "", options.noXattrs ? "--no-xattrs" : ""].filter(Boolean);
  const r = run(["python3", CHECKER, root, ...flags]);
  if (r.exitCode !== 0) throw new Error(`treecheck failed on ${root}: ${r.stderr}`);
  const result = JSON.parse(r.stdout) as Tree;
  for (const path of options.skipTimesOf ?? []) delete result.entries[path]?.mtime_ns;
  return result;
}

/** Entries only, for the common case without hard links. */
export function snapshot(root: string, options: SnapshotOptions = {}): Record<string, Entry> {
  return tree(root, options).entries;
}

/** Bytes shown as the checker shows them: printable ASCII, else \xNN. */
export function showBytes(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b >= 0x21 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  return out;
}
