// Starting a worker takes longer than parsing the command line and planning
// the copy together. When a source on the command line is a directory, the
// first worker is started before either, so that it is ready sooner. It is a
// guess, made before the plan: a wrong one costs a worker that is never used
// (-r not given, say), and without a guess the worker starts after planning.

import { statSync } from "node:fs";
import { operandsOf } from "./args.ts";
import { Pool } from "./pool.ts";

/** Operands looked at: a command line with thousands of files is not stat'ed twice. */
const LOOKED_AT = 8;

export function bootIfDirectories(argv: string[]): Worker | undefined {
  const line = operandsOf(argv);
  if (!line) return undefined;
  // Without -t the last operand is the destination, which may well be a directory.
  const sources = line.targetGiven ? line.operands : line.operands.slice(0, -1);
  for (const path of sources.slice(0, LOOKED_AT)) {
    try {
      if (statSync(path).isDirectory()) return Pool.boot();
    } catch {
      // Not there, or not for us to see: planning will say so.
    }
  }
  return undefined;
}
