// A few plain files are copied on the main thread, with no worker started;
// what that thread cannot finish quickly is handed, untouched, to workers.
// `--stats` says how many workers started.

import { describe, expect } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { blit, run, sh, stats } from "./helpers/blit.ts";
import { mountXfs, xfsUnavailable } from "./helpers/mounts.ts";
import { sandbox, sandboxClones } from "./helpers/sandbox.ts";
import { testIf } from "./helpers/skip.ts";
import { snapshot } from "./helpers/tree.ts";

const cases: { name: string; setup: string; args: string[]; workers: "none" | "some"; method?: string; noClones?: true; mainThread?: number; linked?: [string, string] }[] = [
  { name: "one small file: no worker", setup: "head -c 5000 /dev/urandom > f", args: ["f", "../out/f"], workers: "none", method: "kernel (copy_file_range)" },
  { name: "a symlink and a small file: no worker", setup: "printf x > f && ln -s f l", args: ["f", "l", "../out"], workers: "none" },
  {
    name: "a large file that cannot be cloned here goes to a worker",
    setup: "head -c 3000000 /dev/urandom > f",
    args: ["f", "../out/f"],
    workers: "some",
    method: "kernel (copy_file_range)",
    noClones: true,
  },
  { name: "hard-linked operands go to a worker, which keeps them linked", setup: "printf x > f && ln f g", args: ["f", "g", "../out"], workers: "some", linked: ["f", "g"] },
  {
    name: "more than eight operands go to the workers",
    setup: "for i in 1 2 3 4 5 6 7 8 9; do printf $i > f$i; done",
    args: ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "../out"],
    workers: "some",
  },
  {
    name: "a small tree: no worker, its directories' times set after their contents",
    setup: "mkdir -p t/a/b t/c && printf 1 > t/f && printf 2 > t/a/g && printf 3 > t/a/b/h && ln -s ../f t/a/l && mkfifo t/c/p && chmod 750 t/a && touch -h -d '2002-03-04' t/a/b t/a t/c",
    args: ["t", "../out/t"],
    workers: "none",
    mainThread: 3,
  },
  {
    name: "a tree of 128 entries: no worker",
    setup: "mkdir -p t/d && for i in $(seq 1 127); do printf $i > t/d/f$i; done",
    args: ["t", "../out/t"],
    workers: "none",
    mainThread: 127,
  },
  {
    name: "a tree of more than 128 entries goes to the workers",
    setup: "mkdir -p t/d && for i in $(seq 1 128); do printf $i > t/d/f$i; done",
    args: ["t", "../out/t"],
    workers: "some",
    mainThread: 0,
  },
  {
    name: "a large file in a small tree goes to a worker; the rest is copied here, the directory finished after it",
    setup: "mkdir -p t/d && head -c 3000000 /dev/urandom > t/d/big && printf x > t/d/small && printf y > t/top && touch -d '2003-04-05' t/d",
    args: ["t", "../out/t"],
    workers: "some",
    noClones: true,
    mainThread: 2,
  },
  {
    name: "a small tree holding hard links goes to the workers, which keep them linked",
    setup: "mkdir -p t/d && printf x > t/d/f && ln t/d/f t/g && printf y > t/h && touch -d '2003-04-05' t/d",
    args: ["t", "../out/t"],
    workers: "some",
    mainThread: 0,
    linked: ["t/d/f", "t/g"],
  },
  {
    name: "a small tree with --copy-contents goes to the workers",
    setup: "mkdir -p t && printf y > t/h",
    args: ["--copy-contents", "t", "../out/t"],
    workers: "some",
    mainThread: 0,
  },
];

describe("plain files and small trees on the main thread", () => {
  for (const c of cases) {
    testIf(c.noClones ? sandboxClones : undefined)(c.name, () => {
      const root = sandbox("inline");
      sh(`mkdir src out && cd src && ${c.setup} && touch -h -d '2001-02-03 04:05:06.5' *`, root);
      const r = blit(["-a", "-j", "2", "--stats", ...c.args], { cwd: `${root}/src` });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      // How many workers: as many as booted before the copy was done.
      const workers = Number(stats(r.stdout).workers);
      if (c.workers === "none") expect(workers).toBe(0);
      else expect(workers).toBeGreaterThan(0);
      if (c.method) expect(stats(r.stdout)[`method ${c.method}`]).toBe("1");
      if (c.mainThread !== undefined) expect(stats(r.stdout)["files on the main thread"]).toBe(String(c.mainThread));
      // Whatever the thread, the same copy as cp -a makes.
      sh(`mkdir ref && cd src && cp -a ${c.args.slice(0, -1).join(" ")} ../ref/`, root);
      expect(snapshot(`${root}/out`, { times: true })).toEqual(snapshot(`${root}/ref`, { times: true }));
      if (c.linked) expect(statSync(`${root}/out/${c.linked[0]}`).ino).toBe(statSync(`${root}/out/${c.linked[1]}`).ino);
    });
  }

  testIf(undefined)("--fail-fast stops at the first failed operand, on the main thread too", () => {
    const root = sandbox("inline-fail-fast");
    sh("printf a > a && printf c > c && mkdir out", root);
    // Reading /proc/self/mem at offset 0 fails (EIO): an error only the copy itself meets.
    const r = blit(["--fail-fast", "a", "/proc/self/mem", "c", "out"], { cwd: root });
    expect(r.stderr).toBe("blit: error reading '/proc/self/mem': Input/output error\nblit: stopped at the first error (--fail-fast): copied 1 file (1 bytes), 0 directories\n");
    expect(r.stdout).toBe("");
    expect(r.exitCode).toBe(1);
    expect(readdirSync(`${root}/out`)).toEqual(["a"]);
  });

  testIf(undefined)("-t DIR and a small file: no worker, though a directory was named first", () => {
    const root = sandbox("inline-t");
    sh("mkdir out && printf x > f", root);
    const r = blit(["--stats", "-t", "out", "f"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout).workers).toBe("0");
    expect(readdirSync(`${root}/out`)).toEqual(["f"]);
    expect(readFileSync(`${root}/out/f`, "utf8")).toBe("x");
  });

  // A second run keeping hard links: on the main thread only where DEST, too, holds no file of several names.
  for (const [label, linkInDest, workers] of [
    ["a second run of a small tree with -a: no worker, every file left unchanged", "", "0"],
    ["a second run of a small tree with -a, DEST holding a file of two names: the workers", "ln dst/d/f1 dst/d/extra", "2"],
  ] as const) {
    testIf(undefined)(label, () => {
      const root = sandbox("inline-again");
      sh("mkdir -p src/d && for i in $(seq 20); do printf $i > src/d/f$i; done && printf x > src/top", root);
      expect(blit(["-a", "src", "dst"], { cwd: root }).exitCode).toBe(0);
      if (linkInDest) sh(linkInDest, root);
      const r = blit(["-aT", "-j", "2", "--skip-unchanged", "--stats", "src", "dst"], { cwd: root });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(stats(r.stdout).workers).toBe(workers);
      expect(stats(r.stdout).unchanged).toBe("21");
      expect(stats(r.stdout).files).toBe("0");
      const copy = snapshot(`${root}/dst`, { times: true });
      if (linkInDest) delete copy["d/extra"];
      expect(copy).toEqual(snapshot(`${root}/src`, { times: true }));
    });
  }

  testIf(xfsUnavailable)("a large file that clones is done on the main thread", () => {
    const dir = mountXfs();
    sh("head -c 3000000 /dev/urandom > f && sync", dir);
    const r = blit(["-a", "--stats", "f", "g"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout).workers).toBe("0");
    expect(stats(r.stdout)["method clone (FICLONE)"]).toBe("1");
    expect(run(["filefrag", "-v", `${dir}/g`]).stdout).toMatch(/\bshared\b/);
    expect(readFileSync(`${dir}/g`).equals(readFileSync(`${dir}/f`))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["f", "g"]);
  });
});
