// JavaScriptCore compiles a function that keeps running with its top tier,
// FTL, on a background thread. A worker's hot code (the copier, the backend
// and what they hold) waits on system calls, which FTL cannot make faster,
// and every worker compiles it again for itself: on the 2-CPU machine of
// bench/, those compiles took CPU time from the copy. Kept in the DFG tier
// below it, a second run of the small tree took 0.25 s instead of 0.33 s
// (user time 0.22 s instead of 0.35 s), the same as with
// BUN_JSC_useFTLJIT=0 for the whole process, which an executable cannot set
// for itself.

import { noFTL } from "bun:jsc";

/** How far from the roots objects are looked into: the copier's helpers and theirs. */
const DEPTH = 4;

/**
 * Keeps every method of the roots, and of the objects they hold (to DEPTH),
 * out of FTL. Collections (arrays, maps, sets, buffers) are data, not
 * looked into.
 */
export function keepBelowFTL(...roots: object[]): void {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== "object" || seen.has(value) || depth > DEPTH) return;
    if (Array.isArray(value) || value instanceof Map || value instanceof Set || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return;
    seen.add(value);
    for (let proto: object | null = value; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        const property = Object.getOwnPropertyDescriptor(proto, key)!;
        for (const fn of [property.value, property.get, property.set]) {
          if (typeof fn === "function" && !seen.has(fn)) {
            seen.add(fn);
            noFTL(fn);
          }
        }
        visit(property.value, depth + 1);
      }
    }
  };
  for (const root of roots) visit(root, 0);
}
