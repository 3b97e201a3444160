// The strict tsconfig (strict, noUncheckedIndexedAccess) holds for all code.

import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT, run } from "./helpers/blit.ts";

test("tsc --noEmit finds no type errors", () => {
  const r = run([join(ROOT, "node_modules", ".bin", "tsc"), "--noEmit", "-p", ROOT], { cwd: ROOT });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
}, 120_000);
