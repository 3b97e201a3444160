// Reading a tree ahead of the workers (src/engine/read-ahead.ts, the Linux
// shim's walking threads): what is walked and what is left alone, and whose
// data is read ahead, counted by --stats' "entries read ahead" and "bytes
// read ahead", and that the copy they run beside is the same copy.

import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { BLIT, blit, hasCommand, ROOT, run, sh, stats } from "../helpers/blit.ts";
import { mountTmpfs, mountXfs, remountCold, tmpfsUnavailable, xfsUnavailable } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { startSwapper } from "../helpers/swapper.ts";
import { snapshot, tree } from "../helpers/tree.ts";

/**
 * 30 directories of 10 files each, 2 levels deep, with a symlink to / and
 * one to src's parent: 335 entries and 900 bytes of data below src.
 */
const TREE = `mkdir src && cd src && for d in 1 2 3; do for e in 0 1 2 3 4 5 6 7 8 9; do mkdir -p d$d/e$e;
  for f in 0 1 2 3 4 5 6 7 8 9; do printf "$d$e$f" > d$d/e$e/f$f; done; done; done && ln -s / root && ln -s .. up`;
const TREE_ENTRIES = 3 + 30 + 300 + 2;
const TREE_BYTES = 900;

function readAhead(args: string[]): { entries: number; bytes: number; stderr: string; exitCode: number } {
  const r = blit(["--stats", ...args]);
  const counts = stats(r.stdout);
  return { entries: Number(counts["entries read ahead"]), bytes: Number(counts["bytes read ahead"]), stderr: r.stderr, exitCode: r.exitCode };
}

describe("reading ahead", () => {
  // The walk follows no symlink and stays on the tree's own filesystem: it
  // never counts more entries than the tree has.
  testIf(xfsUnavailable)("a cold tree on a disk is walked beside the copy, no further than the tree, and the copy is the same", () => {
    const disk = mountXfs();
    sh(TREE, disk);
    remountCold(disk);
    const out = sandbox("ahead");
    const r = readAhead(["-a", `${disk}/src`, `${out}/dst`]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.entries).toBeGreaterThan(0);
    expect(r.entries).toBeLessThanOrEqual(TREE_ENTRIES);
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.bytes).toBeLessThanOrEqual(TREE_BYTES);
    expect(snapshot(`${out}/dst`, { times: true })).toEqual(snapshot(`${disk}/src`, { times: true }));
  });

  // A file of several names is read ahead once, whichever name the walk
  // meets first, where -a reads it once: 20 files of 1,000 bytes, each with
  // two names in the tree and one outside it.
  testIf(xfsUnavailable)("a file of several names is read ahead once", () => {
    const disk = mountXfs();
    sh("mkdir -p src/x src/y outside && for i in $(seq 1 20); do head -c 1000 /dev/urandom > src/x/f$i && ln src/x/f$i src/y/g$i && ln src/x/f$i outside/h$i; done", disk);
    remountCold(disk);
    const out = sandbox("ahead-linked");
    const r = readAhead(["-a", `${disk}/src`, `${out}/dst`]);
    expect({ stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stderr: "", exitCode: 0 });
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.bytes).toBeLessThanOrEqual(20 * 1000);
    expect(snapshot(`${out}/dst`, { times: true })).toEqual(snapshot(`${disk}/src`, { times: true }));
  });

  // Data is read ahead only where the copy will read all of it. Each case
  // that reads none would read it but for its own rule (--reflink=never, or
  // a DEST on another filesystem, where nothing clones).
  const data: [string, string[], "read" | "not read", number][] = [
    ["onto another filesystem", ["-a", "src", "OUT/dst"], "read", 0],
    ["within XFS, which clones", ["-a", "src", "dst"], "not read", 0],
    ["within XFS with --reflink=never", ["-a", "--reflink=never", "src", "dst"], "read", 0],
    // Every file fails to clone there, as with cp: exit 1.
    ["onto another filesystem with --reflink=always", ["-a", "--reflink=always", "src", "OUT/dst"], "not read", 1],
    ["as hard links (-l)", ["-al", "--reflink=never", "src", "dst"], "not read", 0],
    ["as symlinks (-s)", ["-as", "--reflink=never", "src", "dst"], "not read", 0],
    ["with --attributes-only", ["-a", "--attributes-only", "src", "OUT/dst"], "not read", 0],
    ["in a dry run", ["-a", "--dry-run", "src", "OUT/dst"], "not read", 0],
  ];
  for (const [name, args, expected, exitCode] of data) {
    testIf(xfsUnavailable)(`a cold tree's data copied ${name} is ${expected} ahead`, () => {
      const disk = mountXfs();
      sh(TREE, disk);
      remountCold(disk);
      const out = sandbox("ahead");
      const place: Record<string, string> = { src: `${disk}/src`, dst: `${disk}/dst`, "OUT/dst": `${out}/dst` };
      const r = readAhead(args.map((a) => place[a] ?? a));
      if (exitCode === 0) expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(exitCode);
      expect(r.entries).toBeGreaterThan(0);
      if (expected === "read") expect(r.bytes).toBeGreaterThan(0);
      else expect(r.bytes).toBe(0);
    });
  }

  // A second run reads only what changed: SOURCE is walked, none of its data read.
  testIf(xfsUnavailable ?? tmpfsUnavailable)("a cold tree copied into a DEST that is there already has no data read ahead", () => {
    const disk = mountXfs();
    sh(TREE, disk);
    const mem = mountTmpfs();
    expect(blit(["-a", `${disk}/src`, `${mem}/dst`]).exitCode).toBe(0);
    remountCold(disk);
    const r = readAhead(["-aT", "--skip-unchanged", `${disk}/src`, `${mem}/dst`]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.entries).toBeGreaterThan(0);
    expect(r.bytes).toBe(0);
  });

  // The walk lists each directory, and reads each file's head, before its
  // worker reads the times -a copies: the access times must be left as they
  // were (O_NOATIME; readahead(2) sets none), as cp copies them.
  testIf(xfsUnavailable)("-a copies each directory's and file's access time as it was before the walk", () => {
    const disk = mountXfs();
    sh(TREE, disk);
    // Older than the modification time: relatime updates it at the next listing or read.
    sh("find src ! -type l -exec touch -a -d 2001-02-03T04:05:06 {} +", disk);
    remountCold(disk);
    const out = sandbox("ahead");
    const r = readAhead(["-a", `${disk}/src`, `${out}/dst`]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.entries).toBeGreaterThan(0);
    expect(r.bytes).toBeGreaterThan(0);
    const atimes = (type: string) => sh(`find ${out}/dst -type ${type} -printf '%A+\n' | cut -c1-19 | sort | uniq -c`).trim();
    expect(atimes("d")).toBe("34 2001-02-03+04:05:06");
    expect(atimes("f")).toBe("300 2001-02-03+04:05:06");
  });

  // The walks' directories would come out of what the workers' batches need.
  testIf(xfsUnavailable)("under an open-file limit below 1,024 nothing is walked", () => {
    const disk = mountXfs();
    sh(TREE, disk);
    remountCold(disk);
    const r = run(["bash", "-c", 'ulimit -n 512 && exec "$@"', "sh", BLIT, "--stats", "-a", `${disk}/src`, `${sandbox("ahead")}/dst`]);
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout)["entries read ahead"]).toBe("0");
  });

  // cp -a copies what is mounted inside the tree; the walk leaves it to the workers.
  testIf(xfsUnavailable ?? tmpfsUnavailable)("a filesystem mounted inside the tree is not walked into", () => {
    const disk = mountXfs();
    sh(TREE, disk);
    const inner = mountTmpfs();
    sh("for f in $(seq 1 500); do : > f$f; done", inner);
    remountCold(disk);
    sh(`mkdir -p ${disk}/src/m && mount --bind ${inner} ${disk}/src/m`);
    try {
      const out = sandbox("ahead");
      const r = readAhead(["-a", `${disk}/src`, `${out}/dst`]);
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(r.entries).toBeGreaterThan(0);
      expect(r.entries).toBeLessThanOrEqual(TREE_ENTRIES + 1);
    } finally {
      sh(`umount ${disk}/src/m`);
    }
  });

  // A second run stats DEST's entries too: DEST is walked, here the only tree on a disk.
  testIf(xfsUnavailable ?? tmpfsUnavailable)("a destination tree that is there already is walked too", () => {
    const mem = mountTmpfs();
    sh(TREE, mem);
    const disk = mountXfs();
    const first = blit(["-a", `${mem}/src`, `${disk}/dst`]);
    expect(first.exitCode).toBe(0);
    remountCold(disk);
    const r = readAhead(["-aT", "--skip-unchanged", `${mem}/src`, `${disk}/dst`]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.entries).toBeGreaterThan(0);
    expect(r.entries).toBeLessThanOrEqual(TREE_ENTRIES);
    // A second run reads only what changed: no data ahead.
    expect(r.bytes).toBe(0);
    expect(snapshot(`${disk}/dst`, { times: true })).toEqual(snapshot(`${mem}/src`, { times: true }));
  });

  // A second run into a tree that is there takes the walks' stats of both
  // trees (ReadAheadCapability.walked) and counts the files they show
  // unchanged without statting them again. Each change below is found as
  // a run that walks nothing finds it (the same trees on tmpfs): content,
  // size, mtime, mode and owner on either side, an xattr on either side, a
  // file missing from DEST, a new one; and DEST's file that differs with
  // SOURCE's size and mtime is left, as rsync's quick check leaves it.
  const CHANGES = `printf X > src/d1/e0/f0 && printf 999 > src/d1/e0/f1 && touch -d 2001-01-01 src/d1/e0/f2 && chmod 600 src/d1/e0/f3 &&
    chown 1:1 src/d1/e0/f4 && setfattr -n user.k -v v src/d1/e0/f5 && setfattr -n user.k -v v dst/d1/e0/f6 &&
    printf 999 > dst/d1/e0/f7 && touch -r src/d1/e0/f7 dst/d1/e0/f7 && chmod 600 dst/d1/e1/f0 && chown 2:2 dst/d1/e1/f1 &&
    touch -d 2002-02-02 dst/d1/e1/f2 && rm dst/d2/e0/f0 && printf new > src/d2/e0/new`;
  const COUNTS = ["files", "directories", "skipped", "unchanged", "attributes set on unchanged", "errors"];

  /**
   * The second run of disk's src into its dst, cold; of copies of both on
   * tmpfs, which is not walked (the shim stats the names it lists itself);
   * and of other copies there with --itemize, where the engine decides each
   * file: all succeed and count the same, and the two on tmpfs leave the
   * same DEST.
   */
  function againWithAndWithoutWalks(disk: string, mem: string): { walked: ReturnType<typeof blit>; unwalked: ReturnType<typeof blit> } {
    sh(`cp -a ${disk}/src ${disk}/dst ${mem}/ && mkdir ${mem}/listed && cp -a ${disk}/src ${disk}/dst ${mem}/listed/`);
    remountCold(disk);
    const walked = blit(["--stats", "-aT", "--skip-unchanged", `${disk}/src`, `${disk}/dst`]);
    // However slow a stat on a busy machine, the shim stats every listing (BLIT_STAT_WAIT_NS).
    const unwalked = blit(["--stats", "-aT", "--skip-unchanged", `${mem}/src`, `${mem}/dst`], { env: { BLIT_STAT_WAIT_NS: "3600000000000" } });
    const listed = blit(["--stats", "--itemize", "-aT", "--skip-unchanged", `${mem}/listed/src`, `${mem}/listed/dst`]);
    expect([walked.stderr, walked.exitCode, unwalked.stderr, unwalked.exitCode, listed.stderr, listed.exitCode]).toEqual(["", 0, "", 0, "", 0]);
    const counts = (stdout: string) => COUNTS.map((name) => `${name}: ${stats(stdout)[name]}`);
    expect(counts(walked.stdout)).toEqual(counts(unwalked.stdout));
    expect(counts(listed.stdout)).toEqual(counts(unwalked.stdout));
    expect(Number(stats(unwalked.stdout)["files found unchanged as listed, statted then"])).toBeGreaterThan(0);
    expect(stats(listed.stdout)["files found unchanged as listed, statted then"]).toBe("0");
    expect(tree(`${mem}/listed/dst`, { times: true })).toEqual(tree(`${mem}/dst`, { times: true }));
    return { walked, unwalked };
  }
  testIf(xfsUnavailable ?? tmpfsUnavailable ?? (hasCommand("setfattr") ? undefined : "setfattr (attr) is not installed"))(
    "a cold second run: the walks' stats leave the files they show unchanged, and every change is copied as without them",
    () => {
      const disk = mountXfs();
      const mem = mountTmpfs();
      sh(TREE, disk);
      expect(blit(["-a", `${disk}/src`, `${disk}/dst`]).exitCode).toBe(0);
      sh(CHANGES, disk);
      const { walked, unwalked } = againWithAndWithoutWalks(disk, mem);
      // 300 files and 2 symlinks, less the 5 whose data is copied (6 files copied with the new one).
      expect(stats(walked.stdout).unchanged).toBe("297");
      expect(Number(stats(walked.stdout)["stats taken from the walks"])).toBeGreaterThan(0);
      expect(stats(unwalked.stdout)["stats taken from the walks"]).toBe("0");
      // Most of them counted as listed, from the two walks' listings of the directory (listUnchanged).
      expect(Number(stats(walked.stdout)["files found unchanged from the walks' listings"])).toBeGreaterThan(0);
      expect(stats(unwalked.stdout)["files found unchanged from the walks' listings"]).toBe("0");
      expect(snapshot(`${disk}/dst`, { times: true })).toEqual(snapshot(`${mem}/dst`, { times: true }));
      expect(sh("cat dst/d1/e0/f7", disk)).toBe("999");
    },
  );

  // A listing decided against both walks' listings as it is read leaves its
  // other entries to be copied as a listing's chunks are. Here 300
  // subdirectories of 100-character names, more than a chunk of the listing
  // holds and more than a worker holds before it goes below them
  // (CHILDREN_HELD), then 1,000 files of such names: the rest of the
  // listing is read on after the subdirectories, a chunk at a time, decided
  // against the walks' listings where DEST's is recent enough.
  // A change in a subdirectory and in the first, the middle and the last
  // files is copied, a new file too; a file of two names in DEST is never
  // "the same" to the walks, and is left by the quick check as without them;
  // two names of one file in SOURCE, copied apart in DEST, are linked again.
  testIf(xfsUnavailable ?? tmpfsUnavailable)("a cold second run of a directory of 300 subdirectories and 1,000 files finds each change as without the walks", () => {
    const disk = mountXfs();
    const mem = mountTmpfs();
    const long = "d".repeat(100);
    sh(`mkdir -p src/wide && for i in $(seq 1 300); do mkdir src/wide/${long}$i && printf $i > src/wide/${long}$i/f; done &&
      for i in $(seq 1 1000); do printf $i > src/wide/x${long}$i; done && for i in $(seq 1 40); do printf $i > src/f$i; done && ln src/f10 src/f10-too`, disk);
    expect(blit(["-a", `${disk}/src`, `${disk}/dst`]).exitCode).toBe(0);
    sh(`printf x > src/wide/${long}1/f && printf new > src/wide/${long}300/new && printf y > src/wide/x${long}1 && printf yy > src/wide/x${long}500 &&
      touch -d 2001-01-01 src/wide/x${long}1000 && printf z > src/f7 && ln dst/f9 dst/f9-too && cp -p dst/f10-too dst/apart && mv dst/apart dst/f10-too`, disk);
    const { walked } = againWithAndWithoutWalks(disk, mem);
    // 1,341 names of files, less the 5 whose data is copied and f10-too, linked again; the new one copied too.
    expect([stats(walked.stdout).files, stats(walked.stdout)["hard links"], stats(walked.stdout).unchanged]).toEqual(["6", "1", "1335"]);
    expect(Number(stats(walked.stdout)["files found unchanged from the walks' listings"])).toBeGreaterThan(0);
    expect(snapshot(`${disk}/dst`, { times: true })).toEqual(snapshot(`${mem}/dst`, { times: true }));
    expect(sh(`cat dst/wide/${long}1/f dst/wide/${long}300/new dst/wide/x${long}1 dst/wide/x${long}500 dst/f7 && stat -c %h dst/f9`, disk)).toBe("xnewyyyz2\n");
    expect(statSync(`${disk}/dst/f10-too`).ino).toBe(statSync(`${disk}/dst/f10`).ino);
  });

  // A second run's walk of DEST lists each directory whole: where it saw no
  // temporary name the worker does not list it again for a dead run's
  // leftovers; where it saw one, those are removed as without the walk.
  testIf(xfsUnavailable)("a cold second run removes a dead run's temporary files where DEST's walk saw them, and leaves a live run's", () => {
    const disk = mountXfs();
    sh(TREE, disk);
    expect(blit(["-a", `${disk}/src`, `${disk}/dst`]).exitCode).toBe(0);
    const deadPid = Number(sh("sh -c 'echo $$'").trim());
    sh(`printf partial > dst/d1/e0/.blit-${deadPid}-deadbeef-0-0.tmp && printf partial > dst/d3/e9/.blit-${deadPid}-deadbeef-1-a.tmp &&
      printf live > dst/d2/e5/.blit-1-deadbeef-0-1.tmp && touch -r src/d2/e5 dst/d2/e5 && touch -r src/d1/e0 dst/d1/e0 && touch -r src/d3/e9 dst/d3/e9`, disk);
    remountCold(disk);
    const r = blit(["--stats", "-aT", "--skip-unchanged", `${disk}/src`, `${disk}/dst`]);
    expect([r.stderr, r.exitCode, stats(r.stdout).unchanged]).toEqual(["", 0, "302"]);
    expect(Number(stats(r.stdout)["stats taken from the walks"])).toBeGreaterThan(0);
    expect(sh("find dst -name '.blit-*'", disk)).toBe("dst/d2/e5/.blit-1-deadbeef-0-1.tmp\n");
  });

  // A second run copies what differs in size or mtime (or is missing), and
  // reads the data of those files ahead, found by comparing the listings of
  // the two walks; nothing else (-a's mode is set without reading any). A
  // directory DEST lacks is never listed by DEST's walk: its files, and
  // those of the directories below it, are all read. On two disks, where
  // nothing clones. `here` holds src and dst as symlinks to the two trees.
  const changedCases: { name: string; change: string; counts: Record<string, string>; most: number }[] = [
    {
      // 6 files of 3 bytes but one: 16 bytes.
      name: "the files that differ in size or mtime, and nothing else",
      change: `printf X > src/d1/e0/f0 && printf 999 > src/d1/e0/f1 && touch -d 2001-01-01 src/d1/e0/f2 &&
        chmod 600 src/d1/e0/f3 && touch -d 2002-02-02 dst/d1/e1/f2 && rm dst/d2/e0/f0 && printf new > src/d2/e0/new`,
      counts: { files: "6", unchanged: "297" },
      most: 16,
    },
    {
      name: "the files of directories DEST lacks, as deep as they go",
      change: "mkdir -p src/d3/new/sub && printf abcd > src/d3/new/x && printf efghi > src/d3/new/sub/y",
      counts: { files: "2", directories: "2" },
      most: 9,
    },
  ];
  for (const { name, change, counts, most } of changedCases) {
    testIf(xfsUnavailable)(`a cold second run onto another disk reads ahead ${name}`, () => {
      const [a, b] = [mountXfs(), mountXfs()];
      sh(TREE, a);
      expect(blit(["-a", `${a}/src`, `${b}/dst`]).exitCode).toBe(0);
      sh(`ln -s ${a}/src src && ln -s ${b}/dst dst && ${change}`, sandbox("ahead-changed"));
      remountCold(a);
      remountCold(b);
      const r = blit(["--stats", "-aT", "--skip-unchanged", `${a}/src`, `${b}/dst`]);
      const counted = Object.fromEntries(Object.keys(counts).map((key) => [key, stats(r.stdout)[key]]));
      expect({ stderr: r.stderr, exitCode: r.exitCode, counted }).toEqual({ stderr: "", exitCode: 0, counted: counts });
      const bytes = Number(stats(r.stdout)["bytes read ahead"]);
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThanOrEqual(most);
      expect(snapshot(`${b}/dst`, { times: true })).toEqual(snapshot(`${a}/src`, { times: true }));
    });
  }

  // Operands merged into one directory are copied in turn: the later must
  // find what the earlier wrote, not what a walk saw before it.
  testIf(xfsUnavailable)("operands merged into one directory: none takes the walks' stats", () => {
    const disk = mountXfs();
    sh(`mkdir -p a/x b/x d/x && printf old > d/x/f && touch -d 2001-01-01 d/x/f && cp -a d/x/f b/x/f && printf new > a/x/f &&
      for i in $(seq 1 50); do mkdir -p a/x/s$i b/x/s$i d/x/s$i; printf $i > b/x/s$i/f; cp -a b/x/s$i/f d/x/s$i/f; done`, disk);
    remountCold(disk);
    const r = blit(["--stats", "-a", "--skip-unchanged", `${disk}/a/.`, `${disk}/b/.`, `${disk}/d`]);
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(stats(r.stdout)["stats taken from the walks"]).toBe("0");
    // a's copy replaced it, and b's replaced that: b's is the one there, as cp leaves it.
    expect(sh("cat d/x/f", disk)).toBe("old");
  });

  // A walk lists directories opened by their paths from the tree's root,
  // several at once in a walk of metadata: one swapped for a symlink after
  // its parent was listed, at the end of the path or on the way, is not
  // followed, also where openat2 is missing (before Linux 5.6) and each is
  // opened a component at a time. The symlinks lead to a directory of
  // 2,000 entries on the same filesystem, which a walk that followed one
  // would count.
  const swapped: [string, "copy" | "second run", string[]][] = [
    ["a walk that reads data (one thread)", "copy", []],
    ["a walk of metadata (four threads)", "second run", []],
    ["a walk of metadata without openat2", "second run", ["--before-5.6"]],
  ];
  for (const [name, kind, kernel] of swapped) {
    testIf(xfsUnavailable ?? tmpfsUnavailable)(`${name}: directories swapped for symlinks while the tree is walked are not followed`, async () => {
      const disk = mountXfs();
      const mem = mountTmpfs();
      sh(
        `mkdir -p outside/sub && for f in $(seq 1 2000); do : > outside/sub/f$f; done && mkdir src &&
         for d in 1 2 3 4 5 6; do mkdir -p src/victim$d/sub; for f in $(seq 1 10); do : > src/victim$d/f$f; : > src/victim$d/sub/f$f; done;
           ln -s ../outside src/bait$d; done`,
        disk,
      );
      const older = kernel.length ? [`${mem}/older-kernel`, ...kernel] : [];
      sh(`gcc -O2 -Wall -Werror -o older-kernel ${ROOT}/tests/helpers/older-kernel.c`, mem);
      // Per pair: its two names, and the directory's 11 entries and sub's 10
      // under each name, as the two swap between one listing and the next.
      const treeEntries = 6 * (2 + 2 * (11 + 10));
      for (let round = 0; round < 6; round++) {
        const dst = `${mem}/dst${round}`;
        // DEST on tmpfs, which is not walked: the count is SOURCE's alone.
        if (kind === "second run") expect(blit(["-a", `${disk}/src`, dst]).exitCode).toBe(0);
        remountCold(disk);
        const swappers = [1, 2, 3, 4, 5, 6].map((d) => startSwapper(`${disk}/src`, `victim${d}`, `bait${d}`));
        try {
          await Bun.sleep(150);
          const args = kind === "second run" ? ["-aT", "--skip-unchanged"] : ["-a"];
          const r = run([...older, BLIT, "--stats", ...args, `${disk}/src`, dst]);
          const entries = Number(stats(r.stdout)["entries read ahead"]);
          expect(entries).toBeGreaterThan(0);
          expect(entries).toBeLessThanOrEqual(treeEntries);
        } finally {
          for (const s of swappers) s.kill();
          await Promise.all(swappers.map((s) => s.exited));
        }
      }
    });
  }

  const notWalked: [string, (src: string, dst: string) => string[]][] = [
    // The rules leave out trees the walk would read for nothing.
    ["with --exclude", (src, dst) => ["-a", "--exclude=d2", src, dst]],
    ["with --filter", (src, dst) => ["-a", "--filter=- e1/", src, dst]],
  ];
  for (const [name, args] of notWalked) {
    testIf(xfsUnavailable)(`a cold tree copied ${name} is not walked`, () => {
      const disk = mountXfs();
      sh(TREE, disk);
      remountCold(disk);
      const r = readAhead(args(`${disk}/src`, `${sandbox("ahead")}/dst`));
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(r.entries).toBe(0);
      expect(r.bytes).toBe(0);
    });
  }

  // Nothing there to wait for: memory is not read ahead.
  testIf(tmpfsUnavailable)("a tree on tmpfs is not walked", () => {
    const mem = mountTmpfs();
    sh(TREE, mem);
    const r = readAhead(["-a", `${mem}/src`, `${sandbox("ahead")}/dst`]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.entries).toBe(0);
  });
});
