// readMany hands each file to a callback as its read completes; the contract
// tests want them all, by position.

import type { Backend, Name, ReadFile } from "../../ffi/backend.ts";

/** Every result of one readMany, by position; throws if one comes twice or never. */
export function readManyAll(b: Backend, dir: number, files: { name: Name; size: number }[], follow: boolean): (ReadFile | number)[] {
  const results: (ReadFile | number | undefined)[] = new Array(files.length);
  b.readMany(dir, files, follow, (i, r) => {
    if (results[i] !== undefined) throw new Error(`readMany handed on file ${i} twice`);
    results[i] = r;
  });
  const missing = results.findIndex((r) => r === undefined);
  if (missing >= 0 || results.length !== files.length) throw new Error(`readMany never handed on file ${missing}`);
  return results as (ReadFile | number)[];
}
