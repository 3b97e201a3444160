// The worker pool: copying happens in Bun Workers compiled into the
// executable, which must work wherever the executable is and is run from.

import { describe, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { BLIT, run, sh, stats } from "./helpers/blit.ts";
import { sandbox } from "./helpers/sandbox.ts";
import { snapshot } from "./helpers/tree.ts";

describe("workers", () => {
  test("a moved executable, run from / with absolute paths, copies with its workers", () => {
    const bin = sandbox("bin");
    copyFileSync(BLIT, `${bin}/blit`);
    sh(`chmod +x ${bin}/blit`);
    const root = sandbox("elsewhere");
    sh("mkdir -p src/a/b src/c && printf 1 > src/a/b/x && printf 2 > src/c/y", root);
    const r = run([`${bin}/blit`, "-a", "--stats", "-j", "3", `${root}/src`, `${root}/dst`], { cwd: "/" });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout).workers).toBe("3");
    expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  });

  test("one worker and eight give the same tree", () => {
    const root = sandbox("jobs");
    sh(
      `mkdir src && cd src && for d in 1 2 3 4 5 6 7 8 9; do mkdir -p d$d/e/f; for f in 1 2 3 4 5; do
         head -c $((d * f * 100)) /dev/urandom > d$d/e/f$f; ln -s f$f d$d/e/l$f; done; chmod 7$((d % 8))$((d % 6)) d$d/e/f; done`,
      root,
    );
    const one = run([BLIT, "-a", "-j", "1", "src", "one"], { cwd: root });
    const eight = run([BLIT, "-a", "-j", "8", "src", "eight"], { cwd: root });
    expect(one.exitCode).toBe(0);
    expect(eight.exitCode).toBe(0);
    const src = snapshot(`${root}/src`, { times: true });
    expect(snapshot(`${root}/one`, { times: true })).toEqual(src);
    expect(snapshot(`${root}/eight`, { times: true })).toEqual(src);
  });
});
