// The totals a progress bar needs to be honest: a walk over SOURCE's
// metadata (listings and stats, no data) run on the main thread while the
// workers copy, a chunk of a listing at a time between which the event loop
// runs. Until it ends the bar says "counting"; the copy never waits for it,
// and what it reads warms the caches the workers read next.

import { type Backend, S_IFDIR, S_IFMT, S_IFREG, type Stat } from "../../ffi/index.ts";
import type { CopyOptions } from "../options.ts";
import type { CopyJob } from "../plan.ts";
import { joinPath, toBytes } from "./paths.ts";

export interface Totals {
  /** Entries other than directories: files, symlinks, special files. */
  entries: number;
  directories: number;
  /** Bytes of regular files, each inode once where hard links are kept. */
  bytes: number;
}

/** Entries stat'ed between two turns of the event loop. */
const ENTRIES_PER_TURN = 512;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Counts what `jobs` will copy as the copier will find it: directories
 * entered only with -r, symlinks followed where the copy follows them (-L:
 * each directory once), -x's other filesystems not entered. Returns
 * undefined once `stopped()` says the run is over. Where access times are
 * kept (-a) it lists a directory only as leaving its own as it was
 * (Backend.openDirNoAtime): the workers may not have read it yet, and a
 * time set by this count would be the one they copy. One it cannot list so
 * (not this user's) leaves the totals unknown (undefined). A backend that
 * has no such open lists as it can.
 */
export async function prescan(b: Backend, options: CopyOptions, jobs: CopyJob[], stopped: () => boolean): Promise<Totals | undefined> {
  const totals: Totals = { entries: 0, directories: 0, bytes: 0 };
  const seenInodes = new Set<string>();
  const seenDirs = new Set<string>();
  const follow = options.dereference === "always";
  const openDir = options.preserve.timestamps && b.openDirNoAtime ? b.openDirNoAtime.bind(b) : b.openDir.bind(b);
  const noData = options.link || options.symbolicLink || options.attributesOnly;
  const count = (st: Stat) => {
    if ((st.mode & S_IFMT) === S_IFDIR) {
      totals.directories++;
      return;
    }
    totals.entries++;
    if (noData || (st.mode & S_IFMT) !== S_IFREG) return;
    if (options.preserve.links && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      if (seenInodes.has(key)) return;
      seenInodes.add(key);
    }
    totals.bytes += st.size;
  };
  for (const job of jobs) {
    const top = b.stat(b.cwd, toBytes(job.src), job.followSrc);
    if (typeof top === "number") continue;
    count(top);
    if ((top.mode & S_IFMT) !== S_IFDIR || !options.recursive) continue;
    // Paths from the working directory: nothing is written, so a directory
    // swapped meanwhile can only make the count wrong, never the copy.
    const stack: { path: Uint8Array; dev: number }[] = [{ path: toBytes(job.src), dev: top.dev }];
    while (stack.length > 0) {
      if (stopped()) return undefined;
      const { path, dev } = stack.pop()!;
      const fd = openDir(b.cwd, path, true);
      if (fd === -b.errno.EPERM && options.preserve.timestamps) return undefined;
      if (fd < 0) continue;
      try {
        for (;;) {
          const chunk = b.readDir(fd);
          if (typeof chunk === "number" || chunk.length === 0) break;
          for (let start = 0; start < chunk.length; start += ENTRIES_PER_TURN) {
            const names = chunk.slice(start, start + ENTRIES_PER_TURN).map((entry) => entry.name);
            const stats = b.statMany(fd, names, follow);
            for (let i = 0; i < names.length; i++) {
              const st = stats[i]!;
              if (typeof st === "number") continue;
              count(st);
              if ((st.mode & S_IFMT) !== S_IFDIR || (options.oneFileSystem && st.dev !== dev)) continue;
              if (follow) {
                const key = `${st.dev}:${st.ino}`;
                if (seenDirs.has(key)) continue;
                seenDirs.add(key);
              }
              stack.push({ path: joinPath(path, names[i]!), dev: st.dev });
            }
            await turn();
            if (stopped()) return undefined;
          }
        }
      } finally {
        b.close(fd);
      }
    }
  }
  return totals;
}
