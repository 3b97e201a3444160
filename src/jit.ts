// JavaScriptCore compiles a function that keeps running with its top tier,
// FTL, on a background thread. A worker's hot code (the copier, the backend
// and what they hold) waits on system calls, which FTL cannot make faster,
// and every worker compiles it again for itself: on the 2-CPU machine of
// bench/, those compiles took CPU time from the copy. Kept in the DFG tier
// below it, a second run of the small tree took 0.25 s instead of 0.33 s
// (user time 0.22 s instead of 0.35 s). Methods alone left the engine's
// module functions (the quick check's comparisons, joinPath), the array
// methods and the main thread's books to FTL: 24-37 FTL compiles taking
// 53-76 ms per second run of the small tree, 8 taking 6-7 ms once they were
// kept out too (BUN_JSC_reportFTLCompileTimes). BUN_JSC_useFTLJIT=0 would
// do it for the whole process, but an executable cannot set it for itself.

import { noFTL } from "bun:jsc";

/** How far from the roots objects are looked into: the copier's helpers and theirs. */
const DEPTH = 4;

/**
 * Keeps every method of the roots, and of the objects they hold (to DEPTH),
 * out of FTL. Collections (arrays, maps, sets, buffers) are data, not looked
 * into. Objects made later (a ring opened by the first batch) are covered by
 * calling it again.
 */
export function keepBelowFTL(...roots: object[]): void {
  const visited = new Set<object>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== "object" || visited.has(value) || depth > DEPTH) return;
    if (Array.isArray(value) || value instanceof Map || value instanceof Set || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return;
    visited.add(value);
    for (let proto: object | null = value; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        const property = Object.getOwnPropertyDescriptor(proto, key)!;
        for (const fn of [property.value, property.get, property.set]) keep(fn);
        visit(property.value, depth + 1);
      }
    }
  };
  for (const root of roots) visit(root, 0);
}

/**
 * Keeps the functions a module exports (`import * as m`), and the methods
 * of the classes it exports, out of FTL. The bundle's namespace objects
 * hand out their exports through getters.
 */
export function keepModulesBelowFTL(...modules: object[]): void {
  for (const module of modules) {
    for (const key of Object.keys(module)) {
      const value: unknown = (module as Record<string, unknown>)[key];
      if (typeof value !== "function") continue;
      keep(value);
      if (typeof value.prototype === "object" && value.prototype !== null) keepBelowFTL(value.prototype);
    }
  }
}

/**
 * The array methods the copy calls per entry or message (each a JavaScript
 * function inside JavaScriptCore, compiled per thread like the engine's).
 */
export function keepArrayMethodsBelowFTL(): void {
  const iterator = Object.getPrototypeOf([][Symbol.iterator]()) as { next: unknown };
  for (const fn of [Array.prototype.map, Array.prototype.forEach, Array.prototype.filter, Array.prototype.some, Array.prototype.every, Array.prototype.find, iterator.next]) keep(fn);
}

/** Functions already kept out, by this call or an earlier one. */
const kept = new Set<Function>();

function keep(fn: unknown): void {
  if (typeof fn !== "function" || kept.has(fn)) return;
  kept.add(fn);
  noFTL(fn as (...args: unknown[]) => unknown);
}

// Called for every function of the engine, it would be compiled with FTL itself.
noFTL(keep);
