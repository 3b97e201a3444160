// Names of one source directory that its copy's directory takes as one: on a
// volume that ignores case (Windows' default), "A" and "a" made on Linux are
// one entry. The first listed is copied; each later one is reported and left
// out, with everything it holds, never merged into the first or written over
// it. The keys seen travel with the directory's listing, chunk after chunk.

import type { CaseFoldingCapability, DirEntry, Name } from "../../ffi/index.ts";

/** The keys of the names listed so far in one directory, each with the name that had it first. */
export type SeenNames = Map<string, Name>;

/**
 * The entries of one chunk whose names share a key with no earlier name of
 * the directory; `collide` is told of each other one, with the earlier name.
 */
export function withoutCaseCollisions(
  entries: DirEntry[],
  seen: SeenNames,
  folding: CaseFoldingCapability,
  collide: (name: Name, earlier: Name) => void,
): DirEntry[] {
  const kept: DirEntry[] = [];
  for (const entry of entries) {
    const key = folding.key(entry.name);
    const earlier = seen.get(key);
    if (earlier === undefined) {
      seen.set(key, entry.name);
      kept.push(entry);
    } else {
      collide(entry.name, earlier);
    }
  }
  return kept;
}
