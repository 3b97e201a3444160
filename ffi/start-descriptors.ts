// The descriptors this process was started with, noted before the runtime
// opens its own (its copy of stderr takes the first free number, often 5):
// /dev/fd/N names the caller's descriptor N only where the caller opened it.
// Imported first by the entry point, so that nothing has written to stderr yet.

import { fstatSync, readdirSync, readlinkSync } from "node:fs";

/** Where a process's own descriptors are listed, or undefined (Windows). */
const LISTING = process.platform === "linux" ? "/proc/self/fd" : process.platform === "darwin" ? "/dev/fd" : undefined;

const atStart: Set<number> | undefined = (() => {
  // A worker starts long after: the plan, on the main thread, is what asks.
  if (LISTING === undefined || !Bun.isMainThread) return undefined;
  try {
    const found = new Set<number>();
    for (const name of readdirSync(LISTING)) {
      const fd = Number(name);
      if (fd > 2) {
        // The listing's own descriptor (it took the first free number), closed by now.
        if (!isOpen(fd)) continue;
        // The runtime's event loop (eventpoll, eventfd) is there before any of this runs.
        if (process.platform === "linux" && linkOf(`${LISTING}/${name}`)?.startsWith("anon_inode:")) continue;
      }
      found.add(fd);
    }
    return found;
  } catch {
    return undefined;
  }
})();

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

function linkOf(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Whether descriptor fd was open when this process started; undefined where that is not known. */
export function inheritedAtStart(fd: number): boolean | undefined {
  return atStart?.has(fd);
}
