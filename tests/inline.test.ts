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

const cases: { name: string; setup: string; args: string[]; workers: "none" | "some"; method?: string; noClones?: true }[] = [
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
  { name: "hard-linked operands go to a worker, which keeps them linked", setup: "printf x > f && ln f g", args: ["f", "g", "../out"], workers: "some" },
  {
    name: "more than eight operands go to the workers",
    setup: "for i in 1 2 3 4 5 6 7 8 9; do printf $i > f$i; done",
    args: ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "../out"],
    workers: "some",
  },
];

describe("plain files on the main thread", () => {
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
      // Whatever the thread, the same copy as cp -a makes.
      sh(`mkdir ref && cd src && cp -a ${c.args.slice(0, -1).join(" ")} ../ref/`, root);
      expect(snapshot(`${root}/out`, { times: true })).toEqual(snapshot(`${root}/ref`, { times: true }));
      if (c.name.startsWith("hard-linked")) expect(statSync(`${root}/out/f`).ino).toBe(statSync(`${root}/out/g`).ino);
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
