// The worker pool: copying happens in Bun Workers compiled into the
// executable, which must work wherever the executable is and is run from.

import { describe, expect, test } from "bun:test";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { BLIT, hasCommand, isRoot, ROOT, run, sh, stats } from "./helpers/blit.ts";
import { mountSlowDisk, mountTmpfs, slowDiskUnavailable, tmpfsUnavailable } from "./helpers/mounts.ts";
import { sandbox, sandboxClones } from "./helpers/sandbox.ts";
import { testIf } from "./helpers/skip.ts";
import { snapshot, tree } from "./helpers/tree.ts";

const noNamespace = !isRoot
  ? "hiding the source tree needs root (a private mount namespace)"
  : !hasCommand("unshare")
    ? "unshare is not installed (util-linux)"
    : undefined;

describe("workers", () => {
  // What a user's machine looks like: the binary alone, no source tree. The
  // repository is hidden under an empty tmpfs in a private mount namespace;
  // a binary that reached for a source file (as one did, for its worker)
  // fails here.
  testIf(noNamespace)("a moved executable, with its source tree out of sight, copies with its workers from /", () => {
    const bin = sandbox("bin");
    copyFileSync(BLIT, `${bin}/blit`);
    sh(`chmod +x ${bin}/blit`);
    const root = sandbox("elsewhere");
    // Past the 128 entries a tree may have to be copied on the main thread.
    sh("mkdir -p src/a/b src/c && printf 1 > src/a/b/x && printf 2 > src/c/y && for i in $(seq 130); do printf $i > src/c/z$i; done", root);
    const hidden = 'mount -t tmpfs none "$1" && test ! -e "$1/src" && shift && exec "$@"';
    const r = run(["unshare", "-m", "sh", "-c", hidden, "sh", ROOT, `${bin}/blit`, "-a", "--stats", "-j", "3", `${root}/src`, `${root}/dst`], { cwd: "/" });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout).workers).toBe("3");
    expect(stats(r.stdout).backend).toBe("linux");
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

describe("growing the pool", () => {
  // Whether a real copy waits on the disk is the machine's to say; BLIT_GROW=always
  // makes every check find the workers waiting, so the growth itself is tested.
  const cpus = availableParallelism();
  // Its 400 processes take seconds on a busy machine: the tests below allow for it.
  const tree200 = "mkdir src && cd src && for d in $(seq 200); do mkdir d$d; for f in $(seq 15); do printf $d$f > d$d/f$f; done; ln -s f1 d$d/l; done";

  test(`without -j, workers waiting on the disk: more are added, up to twice the CPUs (${cpus}), and the tree is whole`, () => {
    const root = sandbox("grow");
    sh(tree200, root);
    const r = run([BLIT, "-a", "--stats", "src", "dst"], { cwd: root, env: { BLIT_GROW: "always" } });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const workers = Number(stats(r.stdout).workers);
    expect(workers).toBeGreaterThan(cpus);
    expect(workers).toBeLessThanOrEqual(2 * cpus);
    expect(stats(r.stdout)["files per worker"]!.split(" ").length).toBe(workers);
    expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  }, 30_000);

  // Bun reads /proc/stat for the machine's CPU times; a container may hide it.
  testIf(noNamespace)("with /proc/stat unreadable, the pool keeps its size and the tree is whole (it ended in an uncaught error)", () => {
    const root = sandbox("grow-no-proc-stat");
    sh(tree200, root);
    const r = run(["unshare", "-m", "sh", "-c", 'mount --bind /dev/null /proc/stat && exec "$0" -a --stats src dst', BLIT], { cwd: root, env: { BLIT_GROW: "always" } });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  }, 30_000);

  // A shared CI runner: other programs keep every CPU busy, so the workers use
  // little CPU time for want of a CPU, not of the disk. A worker more would
  // only wait for a CPU too (a warm second run took 0.55 s with 4 workers
  // where 2 took 0.30 s). On a tmpfs nothing waits on a disk.
  testIf(tmpfsUnavailable)("without -j, on CPUs other programs keep busy, the pool keeps its size", () => {
    const root = mountTmpfs("size=256m");
    sh("mkdir src && cd src && for d in $(seq 300); do mkdir d$d; for f in $(seq 40); do printf $d$f > d$d/f$f; done; done", root);
    const hogs = Array.from({ length: cpus }, () => Bun.spawn(["sh", "-c", "while :; do :; done"]));
    try {
      Bun.sleepSync(300);
      const r = run([BLIT, "-a", "--stats", "src", "dst"], { cwd: root });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(stats(r.stdout).workers).toBe(String(cpus));
      expect(stats(r.stdout).files).toBe("12000");
    } finally {
      for (const hog of hogs) hog.kill("SIGKILL");
    }
  }, 60_000);

  // Without BLIT_GROW: the disk is made slow for real, 200 reads a second
  // from its loop device, nothing of it cached, and the workers wait on it.
  // Other programs keeping the CPUs busy meanwhile (a build beside the
  // tests) rightly keep the pool as it is (the test below): three tries.
  testIf(slowDiskUnavailable)("without -j, workers waiting on a slow disk: more are added, and the tree is whole", () => {
    const make = "mkdir src && cd src && for d in $(seq 20); do mkdir d$d; for f in $(seq 15); do head -c 3000 /dev/urandom > d$d/f$f; done; done";
    const tries: number[] = [];
    for (let attempt = 0; attempt < 3 && !tries.some((workers) => workers > cpus); attempt++) {
      const disk = mountSlowDisk((dir) => sh(make, dir), 200);
      const dst = `${sandbox("slow-disk")}/dst`;
      const r = run([...disk.throttled, BLIT, "-a", "--stats", "src", dst], { cwd: disk.dir });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(stats(r.stdout).files).toBe("300");
      expect(snapshot(dst, { times: true })).toEqual(snapshot(`${disk.dir}/src`, { times: true }));
      tries.push(Number(stats(r.stdout).workers));
    }
    expect(tries.some((workers) => workers > cpus && workers <= 2 * cpus)).toBe(true);
  }, 90_000);

  for (const [label, args] of [["-j 2", ["-j", "2"]], ["-i", ["-i"]]] as const) {
    test(`${label}: the pool keeps its size`, () => {
      const root = sandbox("no-grow");
      sh(tree200, root);
      const r = run([BLIT, "-a", "--stats", ...args, "src", "dst"], { cwd: root, env: { BLIT_GROW: "always" } });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      // -i asks its questions from one worker.
      expect(stats(r.stdout).workers).toBe(label === "-i" ? "1" : "2");
    }, 30_000);
  }

  // A cold second run (--skip-unchanged into the tree it made): the walks
  // stat both trees, waiting on the disk, and another worker's start-up and
  // compiles only take CPU time from them. It starts with half the workers.
  // A warm one, and a copy into a DEST that is there but empty, start with
  // all of them. CPUs other programs keep busy hold the pool at the size it
  // starts with; the disk is slowed for real (200 reads a second) so that
  // the walks wait on it. How much they wait by the time the first worker
  // is up is the machine's to say (once in a few runs here, under 10 % of
  // their listings had): three tries, as for the slow disk below.
  testIf(slowDiskUnavailable)("without -j, a cold second run starts with half the workers (at least one); a warm one, and a first copy, with all of them", () => {
    const make = "mkdir src empty && cd src && for d in $(seq 200); do mkdir d$d; for f in $(seq 25); do printf $d$f > d$d/f$f; done; done && cd .. && cp -a src dst";
    const half = Math.max(1, Math.floor(cpus / 2));
    let disk = mountSlowDisk((dir) => sh(make, dir), 200);
    const copy = (dst: string, how: { throttled?: boolean; busy?: boolean } = {}) => {
      const hogs = how.busy ? Array.from({ length: cpus }, () => Bun.spawn(["sh", "-c", "while :; do :; done"])) : [];
      try {
        if (how.busy) Bun.sleepSync(300);
        const r = run([...(how.throttled ? disk.throttled : []), BLIT, "-aT", "--skip-unchanged", "--stats", "src", dst], { cwd: disk.dir });
        const s = stats(r.stdout);
        return { stderr: r.stderr, exitCode: r.exitCode, workers: Number(s.workers), files: s.files, unchanged: s.unchanged };
      } finally {
        for (const hog of hogs) hog.kill("SIGKILL");
      }
    };
    const cold: number[] = [];
    for (let attempt = 0; attempt < 3 && !cold.includes(half); attempt++) {
      if (attempt > 0) disk = mountSlowDisk((dir) => sh(make, dir), 200);
      const { workers, ...rest } = copy("dst", { throttled: true, busy: true });
      expect(rest).toEqual({ stderr: "", exitCode: 0, files: "0", unchanged: "5000" });
      cold.push(workers);
    }
    expect(cold).toContain(half);
    // Warm now, without busy loops, which would slow its walks as much as
    // the check: all the workers, and as many more as the pool may grow to.
    const warm = copy("dst");
    expect({ ...warm, workers: warm.workers >= cpus }).toEqual({ stderr: "", exitCode: 0, workers: true, files: "0", unchanged: "5000" });
    // At least all of them: where another program loads the machine too, the pool may still grow past them (seen in a CI run beside other work).
    for (const dst of ["new", "empty"]) {
      const first = copy(dst, { busy: true });
      expect({ ...first, workers: first.workers >= cpus }).toEqual({ stderr: "", exitCode: 0, workers: true, files: "5000", unchanged: "0" });
    }
    expect(snapshot(`${disk.dir}/dst`, { times: true })).toEqual(snapshot(`${disk.dir}/src`, { times: true }));
  }, 120_000);

  test("a second run's pool still grows while its workers wait, past the half it starts with", () => {
    const root = sandbox("grow-second-run");
    sh(tree200, root);
    expect(run([BLIT, "-a", "src", "dst"], { cwd: root }).exitCode).toBe(0);
    const r = run([BLIT, "-aT", "--skip-unchanged", "--stats", "src", "dst"], { cwd: root, env: { BLIT_GROW: "always" } });
    expect([r.stderr, r.exitCode, stats(r.stdout).unchanged]).toEqual(["", 0, "3200"]);
    expect(Number(stats(r.stdout).workers)).toBeGreaterThan(Math.max(1, Math.floor(cpus / 2)));
  }, 30_000);
});

// A container's pids limit, a user's ulimit -u: no thread for a worker.
describe("no thread to be had", () => {
  testIf(isRoot && hasCommand("setpriv") ? undefined : "needs root, to run as a user whose ulimit -u counts (setpriv)")("not one worker: a one-line error, exit 1, nothing half done", () => {
    const root = sandbox("no-threads");
    // Past the 128 entries a tree may have to be copied on the main thread.
    sh("mkdir -p src/d cache && printf x > src/d/f && for i in $(seq 130); do printf $i > src/d/g$i; done && chmod 777 . && chown 54321 cache && chmod 700 cache", root);
    const r = run(["bash", "-c", 'ulimit -u 5 && exec setpriv --reuid=54321 --regid=54321 --clear-groups "$@"', "sh", BLIT, "-r", "src", "dst"], { cwd: root, env: { HOME: `${root}/cache`, TMPDIR: `${root}/cache`, XDG_CACHE_HOME: undefined } });
    expect(r).toEqual({ stdout: "", stderr: "blit: cannot start worker 0: no thread could be created (a limit on processes or threads?)\n", exitCode: 1 });
    expect(readdirSync(root).sort()).toEqual(["cache", "src"]);
  });

  testIf(isRoot && hasCommand("setpriv") ? undefined : "needs root, to run as a user whose ulimit -u counts (setpriv)")("a small tree needs no worker: copied on the main thread", () => {
    const root = sandbox("no-threads-small");
    sh("mkdir -p src/d cache && printf x > src/d/f && printf y > src/g && chmod 777 . && chown 54321 cache && chmod 700 cache && chmod -R a+rX src", root);
    const r = run(["bash", "-c", 'ulimit -u 5 && exec setpriv --reuid=54321 --regid=54321 --clear-groups "$@"', "sh", BLIT, "-r", "src", "dst"], { cwd: root, env: { HOME: `${root}/cache`, TMPDIR: `${root}/cache`, XDG_CACHE_HOME: undefined } });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(`${root}/dst/d/f`, "utf8")).toBe("x");
    expect(readFileSync(`${root}/dst/g`, "utf8")).toBe("y");
  });
});

// A container's nofile limit: the batches of small files each worker opens at
// once shrink to fit (at 128, 2 workers of 128 files each ran out).
test("under ulimit -n 96, a wide tree is copied whole", () => {
  const root = sandbox("few-files");
  sh("mkdir -p src && cd src && for f in $(seq 300); do printf $f > f$f; done && for d in $(seq 10); do mkdir d$d; for f in $(seq 30); do printf $f > d$d/f$f; done; done", root);
  const r = run(["bash", "-c", 'ulimit -n 96 && exec "$@"', "sh", BLIT, "-a", "src", "dst"], { cwd: root });
  expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
});

// A very low limit (ulimit -n 32): fewer workers than CPUs, one at the
// least, each with room for its directories (two a level, eight levels) and
// files; below what one needs, a one-line error before any starts (the
// runtime's own start-up would fail in many lines), and nothing made. A
// plain file is copied on the main thread all the same.
// Bun's JIT reserves most of a ulimit -v of 3,000,000 KiB; each worker takes
// tens of MB more, and one that finds none aborts the whole process (the build
// before: exit 134 with Bun's crash report from -j 10 up).
describe("under a limit on address space", () => {
  test("ulimit -v 3000000, -j 32: lowered to what the limit leaves room for, said on one line, the tree copied whole", () => {
    const root = sandbox("as-limit-jobs");
    sh("mkdir src && cd src && for d in $(seq 40); do mkdir d$d; for f in $(seq 20); do printf $f > d$d/f$f; done; done", root);
    const r = run(["bash", "-c", 'ulimit -v 3000000 && exec "$@"', "sh", BLIT, "-a", "-j", "32", "src", "dst"], { cwd: root });
    expect([r.stdout, r.stderr.replace(/lowered to \d+: (.*) room for \d+ workers?/, "lowered to N: $1 room for N workers"), r.exitCode]).toEqual(["", "blit: warning: -j 32 lowered to N: the limit on address space (ulimit -v 3000000) leaves room for N workers\n", 0]);
    expect(snapshot(`${root}/dst`)).toEqual(snapshot(`${root}/src`));
  });
});

describe("under a very low limit on open files", () => {
  const TREE = "mkdir -p src/a/b/c/d/e/f/g && printf deep > src/a/b/c/d/e/f/g/h && cd src && for d in $(seq 20); do mkdir d$d; for f in $(seq 100); do printf $f > d$d/f$f; done; done";
  test.each([[32], [40]])("ulimit -n %d: a tree 8 levels deep copied whole, as cp copies it", (limit) => {
    const root = sandbox("fd-limit");
    sh(TREE, root);
    const r = run(["bash", "-c", `ulimit -n ${limit} && exec "$@"`, "sh", BLIT, "-r", "src", "dst"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(snapshot(`${root}/dst`)).toEqual(snapshot(`${root}/src`));
  });

  // Given -j N, N workers there would fail files with "Too many open files" (100s of lines before).
  test.each([[32, 4, 1], [40, 8, 1], [60, 8, 2]])("ulimit -n %d, -j %d: lowered to %d, said on one line, the tree copied whole", (limit, jobs, fitting) => {
    const root = sandbox("fd-limit-jobs");
    sh(TREE, root);
    const r = run(["bash", "-c", `ulimit -n ${limit} && exec "$@"`, "sh", BLIT, "-r", "-j", String(jobs), "src", "dst"], { cwd: root });
    const room = `leaves room for ${fitting} worker${fitting === 1 ? "" : "s"}`;
    expect(r).toEqual({ stdout: "", stderr: `blit: warning: -j ${jobs} lowered to ${fitting}: the limit on open files (ulimit -n ${limit}) ${room}\n`, exitCode: 0 });
    expect(snapshot(`${root}/dst`)).toEqual(snapshot(`${root}/src`));
  });

  // A sandbox that refuses to raise the limit (seccomp, as systemd's
  // SystemCallFilter=~@resources): the soft limit in force is the one the
  // pool fits under. The build before took the refusal's -1 for the limit
  // and copied nothing.
  test("ulimit -S -n 60 that may not be raised, -j 4: lowered to 2 as under the limit itself, the tree copied whole", () => {
    const root = sandbox("fd-limit-kept");
    sh(`${TREE} && cd .. && gcc -O2 -Wall -Werror -o no-raising-limits ${ROOT}/tests/helpers/no-raising-limits.c`, root);
    const r = run(["bash", "-c", 'ulimit -S -n 60 && exec ./no-raising-limits "$@"', "sh", BLIT, "-r", "-j", "4", "src", "dst"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: "blit: warning: -j 4 lowered to 2: the limit on open files (ulimit -n 60) leaves room for 2 workers\n", exitCode: 0 });
    expect(snapshot(`${root}/dst`)).toEqual(snapshot(`${root}/src`));
  });

  // A worker 300 levels down holds 600 directories open: the small-file
  // batches sized at the start (and a worker added while it waits) no longer
  // fit. The build before failed most of the 3,000 files with "Too many open
  // files", and under growth Bun itself ended the run ("bun ran out of file
  // descriptors"): now the files go one at a time, the batches shrink, and
  // the pool does not grow past what is left.
  test.each([["-j 1", ["-j", "1"]], ["-j 2", ["-j", "2"]], ["no -j, the pool growing", []]] as const)("ulimit -n 700, a tree 300 levels deep with 3,000 files at its bottom, %s: copied whole", (_, jobs) => {
    const root = sandbox("fd-limit-deep");
    run(["python3", "-c", "import os\np='src'+''.join('/level%03d' % i for i in range(300))\nos.makedirs(p)\nfor i in range(3000): open('%s/%d' % (p, i), 'w').write(str(i))"], { cwd: root });
    const r = run(["bash", "-c", `ulimit -n 700 && exec "$@"`, "sh", BLIT, "-a", ...jobs, "src", "dst"], { cwd: root, env: { BLIT_GROW: "always" } });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(snapshot(`${root}/dst`)).toEqual(snapshot(`${root}/src`));
  });

  test.each([[10], [20], [31]])("ulimit -n %d: one line, exit 1, nothing made; a plain file is still copied", (limit) => {
    const root = sandbox("fd-limit-low");
    sh(`${TREE} && printf x > ../f`, root);
    const r = run(["bash", "-c", `ulimit -n ${limit} && exec "$@"`, "sh", BLIT, "-r", "src", "dst"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: `blit: cannot start worker 0: the limit on open files (ulimit -n ${limit}) is below the 32 a worker needs\n`, exitCode: 1 });
    expect(readdirSync(root).sort()).toEqual(["f", "src"]);
    expect(run(["bash", "-c", `ulimit -n ${limit} && exec "$@"`, "sh", BLIT, "f", "g"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(`${root}/g`, "utf8")).toBe("x");
  });
});

describe("sharing work", () => {
  test("one large directory is shared between workers", () => {
    const root = sandbox("one-big-dir");
    run(["python3", "-c", "import os\nos.mkdir('src')\nfor i in range(20000):\n    with open(f'src/f{i:05d}', 'w') as f: f.write(str(i))"], { cwd: root });
    const r = run([BLIT, "-a", "-j", "2", "--stats", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const perWorker = stats(r.stdout)["files per worker"]!.split(" ").map(Number);
    expect(perWorker).toHaveLength(2);
    expect(perWorker[0]! + perWorker[1]!).toBe(20000);
    expect(Math.min(...perWorker)).toBeGreaterThan(0);
    expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  }, 60_000);

  // A new directory inside the operand's copy is filled under a temporary
  // name; one with subdirectories goes into place as soon as another worker
  // waits, and the rest of its listing is shared (with 3,000 files, one run in
  // eight ended before the second worker asked; with 10,000, none of twelve).
  test("one large directory with subdirectories, below the operand, is put in place and shared between workers", () => {
    const root = sandbox("one-big-staged-dir");
    run(["python3", "-c", "import os\nos.makedirs('src/big')\nfor d in ('s1', 's2', 's3'): os.mkdir(f'src/big/{d}')\nfor i in range(10000):\n    with open(f'src/big/f{i:05d}', 'w') as f: f.write(str(i))"], { cwd: root });
    const r = run([BLIT, "-a", "-j", "2", "--stats", "src", "dst"], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    const perWorker = stats(r.stdout)["files per worker"]!.split(" ").map(Number);
    expect(perWorker).toHaveLength(2);
    expect(perWorker[0]! + perWorker[1]!).toBe(10000);
    expect(Math.min(...perWorker)).toBeGreaterThan(0);
    expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  }, 60_000);

  // A worker goes down into the tree itself (up to 32 levels in one task)
  // until another waits for work, then hands back what it has not started:
  // each directory's times are set only once everything below it, whoever
  // copied it, is written.
  test("a tree 60 levels deep, shared as workers join while one is down in it: every directory's times as SOURCE's", () => {
    const root = sandbox("deep-shared");
    const make = [
      "import os",
      "path = 'src'",
      "dirs = []",
      "for level in range(60):",
      "    os.makedirs(path)",
      "    dirs.append(path)",
      "    for side in range(3):",
      "        leaf = f'{path}/side{side}'",
      "        os.mkdir(leaf)",
      "        dirs.append(leaf)",
      "        for f in range(20):",
      "            with open(f'{leaf}/f{f}', 'w') as out: out.write(f'{level} {side} {f}')",
      "    path += '/next'",
      "for i, d in enumerate(reversed(dirs)):",
      "    os.utime(d, ns=(1_000_000_000 * (i + 1) + 7, 1_000_000_000 * (i + 1) + 123_456_789))",
    ].join("\n");
    run(["python3", "-c", make], { cwd: root });
    const src = snapshot(`${root}/src`, { times: true });
    // Where the first worker is when the others join varies from run to run: five runs.
    for (let i = 0; i < 5; i++) {
      const r = run([BLIT, "-a", "-j", "4", "--stats", "src", `dst${i}`], { cwd: root });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(stats(r.stdout).files).toBe(String(60 * 3 * 20));
      // More than one worker copied files: the first handed part of the tree back.
      const perWorker = stats(r.stdout)["files per worker"]!.split(" ").map(Number);
      expect(perWorker.filter((n) => n > 0).length).toBeGreaterThan(1);
      expect(snapshot(`${root}/dst${i}`, { times: true })).toEqual(src);
    }
  }, 120_000);

  testIf(sandboxClones)("a large file is copied in ranges by both workers, and comes out whole", () => {
    const root = sandbox("big-file");
    // 512 MiB with no holes (so not the sparse path) and distinct bytes in every MiB.
    run(["python3", "-c", "import os\nfd = os.open('src', os.O_WRONLY | os.O_CREAT, 0o640)\nos.posix_fallocate(fd, 0, 512 << 20)\nfor i in range(512): os.pwrite(fd, os.urandom(4096), (i << 20) + 12345)"], { cwd: root });
    sh("touch -d '2001-02-03 04:05:06.123456789' src", root);
    const r = run([BLIT, "-a", "-j", "2", "--stats", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const s = stats(r.stdout);
    expect(s["method kernel (copy_file_range)"]).toBe("1");
    expect(Number(s["ranges copied by helpers"])).toBeGreaterThan(0);
    expect(sh("cmp src dst && stat -c '%s %a %y' dst", root)).toBe(sh("stat -c '%s %a %y' src", root));
    expect(readdirSync(root).sort()).toEqual(["dst", "src"]);
  }, 60_000);

  // src/collector.ts: 4,096 entries listed between collections for all the
  // workers together, counted a listing's chunk at a time (here a directory
  // of 100). A budget for each worker made at most 4 collections for these
  // 16,000 entries (each worker lists about 4,000); shared by four, 12-13.
  test("four workers collect garbage four times as often as one would, sharing one budget", () => {
    const root = sandbox("collections");
    sh("mkdir src && cd src && for d in $(seq 160); do mkdir d$d && (cd d$d && seq -f f%g 100 | xargs touch); done", root);
    const r = run([BLIT, "-a", "--stats", "-j", "4", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const s = stats(r.stdout);
    expect(s.files).toBe("16000");
    expect(s.workers).toBe("4");
    expect(Number(s["garbage collections in workers"])).toBeGreaterThanOrEqual(8);
  }, 120_000);

  test("the tiniest limits (--queue-depth 2 --max-in-flight 1 --buffer-size 4K) give the same tree", () => {
    const root = sandbox("limits");
    sh("mkdir -p src/a/b && for i in $(seq 1 300); do head -c $((i * 37)) /dev/urandom > src/a/f$i; done && head -c 5000000 /dev/urandom > src/a/b/big", root);
    const r = run([BLIT, "-a", "--queue-depth", "2", "--max-in-flight", "1", "--buffer-size", "4K", "src", "dst"], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  });

  test("with io_uring off (BLIT_NO_URING=1) the engine makes the same tree", () => {
    const root = sandbox("no-uring");
    sh("mkdir -p src/x/y && for i in $(seq 1 200); do head -c $((i * 53)) /dev/urandom > src/x/f$i; ln -s f$i src/x/l$i; done && ln src/x/f1 src/x/y/hard", root);
    const r = run([BLIT, "-a", "--stats", "src", "dst"], { cwd: root, env: { BLIT_NO_URING: "1" } });
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout)["io_uring ops"]).toBe("0");
    expect(stats(r.stdout)["method batched (io_uring)"]).toBe("0");
    expect(tree(`${root}/dst`, { times: true })).toEqual(tree(`${root}/src`, { times: true }));
  });
});
