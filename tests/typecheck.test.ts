// The strict tsconfig (strict, noUncheckedIndexedAccess) holds for all code,
// and src/ reaches files and the OS only through the backend (ffi/): the
// engine never asks which OS it is on.

import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, run } from "./helpers/blit.ts";

test("tsc --noEmit finds no type errors", () => {
  const r = run([join(ROOT, "node_modules", ".bin", "tsc"), "--noEmit", "-p", ROOT], { cwd: ROOT });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
}, 120_000);

test("no file of src/ imports node:fs or asks for process.platform or /proc", () => {
  const files = (readdirSync(join(ROOT, "src"), { recursive: true }) as string[]).filter((name) => name.endsWith(".ts"));
  expect(files.length).toBeGreaterThan(20);
  const offending = files.filter((name) => /from "(node:)?fs(\/promises)?"|process\.platform|["'`]\/proc\//.test(readFileSync(join(ROOT, "src", name), "utf8")));
  expect(offending).toEqual([]);
});
