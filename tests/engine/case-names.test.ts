// Names differing only by case in one source directory (src/engine/case-names.ts).
// Linux tells them apart: blit copies both, as cp -a does, and says nothing.
// Onto a destination that ignores case (Windows), tests/ffi/windows.test.ts
// checks under Wine that one is copied and the other reported.

import { expect, test } from "bun:test";
import { blit, run, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { tree } from "../helpers/tree.ts";

test("on Linux, A and a, D/ and d/, É and é are four files and two directories, copied as cp -a copies them", () => {
  const root = sandbox("case-names");
  sh("mkdir -p src/D src/d && printf upper > src/A && printf lower > src/a && printf X > src/D/x && printf y > src/d/y && printf E > src/É && printf e > src/é", root);
  expect(blit(["-a", "src", "by-blit"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  expect(run(["cp", "-a", "src", "by-cp"], { cwd: root }).exitCode).toBe(0);
  const mine = tree(`${root}/by-blit`, { times: true });
  expect(mine).toEqual(tree(`${root}/src`, { times: true }));
  expect(mine).toEqual(tree(`${root}/by-cp`, { times: true }));
  // The checker shows names as bytes: É and é are \xc3\x89 and \xc3\xa9.
  expect(Object.keys(mine.entries).sort()).toEqual([".", "A", "D", "D/x", "\\xc3\\x89", "\\xc3\\xa9", "a", "d", "d/y"]);
});
