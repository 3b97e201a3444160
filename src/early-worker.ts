// Starting a worker takes longer than parsing the command line and planning
// the copy together. When the command line names a directory to copy, the
// first worker is started before either, so that it is ready sooner. This is
// a guess made before parsing: a wrong one costs a worker that is never used,
// and without a guess the worker starts after planning, as it always did.

import { statSync } from "node:fs";
import { Pool } from "./pool.ts";

/** Operands looked at: a command line with thousands of files is not stat'ed twice. */
const LOOKED_AT = 8;

export function bootIfDirectories(argv: string[]): Worker | undefined {
  const operands: string[] = [];
  let optionsEnded = false;
  for (const arg of argv) {
    if (!optionsEnded && arg === "--") {
      optionsEnded = true;
    } else if (optionsEnded || !arg.startsWith("-") || arg === "-") {
      operands.push(arg);
      if (operands.length > LOOKED_AT) break;
    }
  }
  // The last operand is usually the destination, which may well be a directory.
  const sources = operands.slice(0, Math.min(operands.length - 1, LOOKED_AT));
  for (const path of sources) {
    try {
      if (statSync(path).isDirectory()) return Pool.boot();
    } catch {
      // Not there, or not for us to see: planning will say so.
    }
  }
  return undefined;
}
