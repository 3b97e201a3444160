// --dry-run: everything is decided and reported as the real run would
// report it (a sparse file's bytes too, counted as its length), and nothing is written: DEST is the same afterwards, entry for
// entry, contents, inode numbers, mtimes and ctimes (a ctime moves with any
// change, even of metadata only).

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { BLIT, blit, hasCommand, run, sh, stats } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { tree } from "../helpers/tree.ts";

/** Every entry below dir with its inode, mtime and ctime in ns. */
function inodesAndTimes(dir: string): string {
  const r = run(["find", dir, "-printf", "%P %i %T@ %C@ %m %U:%G %s %l\\n"]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return r.stdout.split("\n").sort().join("\n");
}

const SETUP = `mkdir -p src/sub/deep src/new-dir/in && printf a > src/a && printf b > src/sub/b && printf c > src/sub/deep/c &&
  printf n > src/new-dir/in/n && ln -s a src/l && ln src/a src/a-link && printf log > src/x.log && mkfifo src/fifo &&
  cp -a src dst && rm -rf dst/new-dir && printf changed > src/sub/b && chmod 600 dst/a && printf old > dst/extra &&
  mkdir -p dst/old/deeper && printf o > dst/old/deeper/o && mkdir outside && ln -s ../../outside dst/sub/etc-link && touch -d 2001-01-01 dst/sub/deep/c &&
  printf l > src/sub/linked && ln src/sub/linked src/linked-too && mkdir -p dst/sub && cp -p src/sub/linked src/linked-too dst/ && mv dst/linked dst/sub/linked &&
  truncate -s 1M src/sparse && printf data >> src/sparse &&
  mkdir src/k dst/k && printf s > src/k/split1 && ln src/k/split1 src/k/g2 && printf s > src/k/split2 &&
  printf s > dst/k/split1 && ln dst/k/split1 dst/k/split2 && printf g > dst/k/g2 && touch -d @1700000000 src/k/* dst/k/*`;

const CASES: string[][] = [
  ["-a"],
  ["-r"],
  ["-a", "--skip-unchanged"],
  ["-a", "--checksum"],
  ["-a", "--delete"],
  ["-a", "--delete", "--skip-unchanged", "--exclude=*.log"],
  ["-a", "--delete", "--max-delete=1"],
  // What stays keeps its directory: a backup, an excluded name.
  ["-a", "--delete", "-b"],
  ["-a", "--delete", "--exclude=o"],
  ["-rs"],
  ["-a", "-u"],
  ["-a", "-b"],
  ["-a", "--remove-destination"],
  ["-al"],
  ["-r", "--attributes-only"],
];

const listed = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("'") || l.startsWith("removed")).sort();
const COUNTED = ["files", "directories", "symlinks", "special files", "hard links", "bytes", "unchanged", "attributes set on unchanged", "deleted", "excluded"];

describe("--dry-run leaves DEST as it was and reports what the real run then does", () => {
  for (const args of CASES) {
    test(args.join(" "), () => {
      const root = sandbox("dry");
      sh(SETUP, root);
      const before = { tree: tree(`${root}/dst`, { times: true }), times: inodesAndTimes(`${root}/dst`) };
      const dry = blit([...args, "-Tv", "--stats", "--dry-run", "src", "dst"], { cwd: root });
      expect(stats(dry.stdout)["dry run"]).toBe("nothing was written or deleted");
      expect(tree(`${root}/dst`, { times: true })).toEqual(before.tree);
      expect(inodesAndTimes(`${root}/dst`)).toBe(before.times);
      const real = blit([...args, "-Tv", "--stats", "src", "dst"], { cwd: root });
      // The same errors too (-l and --attributes-only refuse to replace some entries without -f, --max-delete=1 the deletions),
      // in whatever order the workers met them.
      const lines = (stderr: string) => stderr.split("\n").sort();
      expect([lines(dry.stderr), dry.exitCode]).toEqual([lines(real.stderr), real.exitCode]);
      expect(listed(dry.stdout)).toEqual(listed(real.stdout));
      const counts = (stdout: string) => COUNTED.map((label) => `${label}: ${stats(stdout)[label]}`);
      expect(counts(dry.stdout)).toEqual(counts(real.stdout));
    });
  }

  test("into a DEST that does not exist, nothing is made", () => {
    const root = sandbox("dry-new");
    sh("mkdir -p src/a/b && printf x > src/a/b/f && printf y > f", root);
    const r = blit(["-av", "--dry-run", "src", "f", "absent"], { cwd: root });
    expect(r.stderr).toBe("blit: target 'absent': No such file or directory\n");
    const tree2 = blit(["-av", "--dry-run", "src", "new"], { cwd: root });
    expect(tree2.stderr).toBe("");
    expect(tree2.exitCode).toBe(0);
    expect(tree2.stdout).toBe("'src' -> 'new'\n'src/a' -> 'new/a'\n'src/a/b' -> 'new/a/b'\n'src/a/b/f' -> 'new/a/b/f'\n");
    const file = blit(["-v", "--dry-run", "f", "g"], { cwd: root });
    expect(file.stdout).toBe("'f' -> 'g'\n");
    expect(file.exitCode).toBe(0);
    expect([existsSync(`${root}/new`), existsSync(`${root}/g`)]).toEqual([false, false]);
  });

  test("--itemize: symlinks made anew are listed with their targets, as the real run lists them", () => {
    const root = sandbox("dry-itemize");
    sh("mkdir src && printf a > src/a && ln -s a src/lnk && ln -s /elsewhere src/abs", root);
    const dry = blit(["-r", "--itemize", "--dry-run", "src", "dst"], { cwd: root });
    const real = blit(["-r", "--itemize", "src", "dst"], { cwd: root });
    const lines = (stdout: string) => stdout.split("\n").sort();
    expect(lines(dry.stdout)).toEqual(lines(real.stdout));
    expect(real.stdout).toContain("cL+++++++++ dst/lnk -> a\n");
  });

  // Operands merged into one directory, and the directories below it that both have: listed and counted once, as the real run lists them.
  const MERGES: [string, string, string[], string[], number][] = [
    ["two directories", "mkdir -p x/s y/s d && printf 1 > x/s/one && printf 2 > y/s/two", ["x/s", "y/s", "d"], [">f+++++++++ d/s/one", ">f+++++++++ d/s/two", "cd+++++++++ d/s/"], 1],
    [
      "their contents, with subdirectories in both",
      "mkdir -p a/x/y b/x/y/w b/x/z d && printf 1 > a/x/f && printf 2 > b/x/g",
      ["a/.", "b/.", "d"],
      [">f+++++++++ d/./x/f", ">f+++++++++ d/./x/g", "cd+++++++++ d/./x/", "cd+++++++++ d/./x/y/", "cd+++++++++ d/./x/y/w/", "cd+++++++++ d/./x/z/"],
      4,
    ],
  ];
  test.each(MERGES)("%s merged into one: listed and counted once, as the real run lists it", (_, setup, operands, listed, directories) => {
    const root = sandbox("dry-merge");
    sh(setup, root);
    const args = ["-r", "--itemize", "--stats", ...operands];
    const dry = blit([...args, "--dry-run"], { cwd: root });
    expect(readdirSync(`${root}/d`)).toEqual([]);
    const real = blit(args, { cwd: root });
    const listing = (stdout: string) => stdout.split("\n").filter((line) => / d\//.test(line)).sort();
    expect(listing(dry.stdout)).toEqual(listed);
    expect(listing(real.stdout)).toEqual(listing(dry.stdout));
    expect([stats(dry.stdout).directories, stats(real.stdout).directories]).toEqual([String(directories), String(directories)]);
    expect([dry.exitCode, real.exitCode]).toEqual([0, 0]);
  });

  // Merged operands with a name in both: the second met as the first's copy
  // would have left it (a file replaced or kept, a directory or a file in
  // the way), not as DEST is before the run.
  const MERGED_NAMES: [string[], string][] = [
    [["-r", "--itemize"], ">f.sT...... d/./s/f"],
    [["-a", "-v"], "'b/./s/f' -> 'd/./s/f'"],
    [["-rn", "--itemize"], ">f+++++++++ d/./s/f"],
    [["-ru", "-v"], "'a/./s/f' -> 'd/./s/f'"],
    [["-ri", "-v"], "'b/./s/f' -> 'd/./s/f'"],
  ];
  test.each(MERGED_NAMES)("merged operands with names in both, %p: the second decided against the first's copy, as the real run", (args, line) => {
    const root = sandbox("dry-merge-names");
    sh("mkdir -p a/x a/s b/s d && printf 1 > a/x/in && printf 2 > b/x && printf 3 > a/y && mkdir b/y && printf 4 > b/y/z && printf 5 > a/s/f && printf 66 > b/s/f && touch -d '-1 day' b/s/f", root);
    const answered = (extra: string[]) => {
      const proc = Bun.spawnSync([BLIT, ...args, ...extra, "a/.", "b/.", "d"], { cwd: root, stdin: Buffer.from("y\ny\ny\n"), stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C" } });
      const sorted = (text: string) => text.split(/(?<=\n)|(?<=\? )/).sort();
      return { stdout: sorted(proc.stdout.toString()), stderr: sorted(proc.stderr.toString()), exitCode: proc.exitCode };
    };
    const dry = answered(["--dry-run"]);
    expect(readdirSync(`${root}/d`)).toEqual([]);
    expect(dry.stdout).toContain(`${line}\n`);
    expect(dry.stderr).toContain("blit: cannot overwrite non-directory 'd/./y' with directory 'b/./y'\n");
    expect(dry.exitCode).toBe(1);
    expect(answered([])).toEqual(dry);
  });

  // More of what the real run does meeting the first's copy: backups, removals, links refused, files left, kept symlinks followed.
  const MERGED_AS_REAL: [string, string[], string][] = [
    ["-b, DEST holding the name already", ["-rb", "-v"], "printf 1 > a/f && printf 22 > b/f && printf 0 > D/f"],
    ["--backup=numbered", ["-r", "--backup=numbered", "-v"], "printf 1 > a/f && printf 22 > b/f"],
    ["--remove-destination", ["-r", "--remove-destination", "-v"], "printf 1 > a/f && printf 22 > b/f"],
    ["symlinks", ["-r", "-v"], "ln -s t1 a/x && ln -s t2 b/x"],
    ["-l", ["-rl", "-v"], "printf 1 > a/f && printf 22 > b/f"],
    ["-s", ["-rs", "-v"], "printf 1 > a/f && printf 22 > b/f"],
    ["--skip-unchanged, the second as the first", ["-a", "--skip-unchanged", "--itemize"], "printf 1 > a/f && printf 1 > b/f && touch -d 2020-01-01 a/f b/f"],
    ["--skip-unchanged, the second of another size", ["-a", "--skip-unchanged", "--itemize"], "printf 1 > a/f && printf 22 > b/f && touch -d 2020-01-01 a/f b/f"],
    ["--keep-directory-symlink, the first a symlink", ["-r", "--keep-directory-symlink", "-v"], "mkdir a/sub b/x && ln -s sub a/x && printf 2 > b/x/y"],
    // DEST holding the name: the second still meets what the first would have put there.
    ["--skip-unchanged, DEST holding what the second holds", ["-a", "--skip-unchanged", "--itemize"], "printf 1 > a/f && printf 22 > b/f && printf 22 > D/f && touch -d 2020-01-01 a/f b/f D/f"],
    ["-u, DEST holding an older file", ["-ru", "-v"], "printf 0 > D/f && printf 1 > a/f && printf 22 > b/f && touch -d 2019-01-01 D/f && touch -d 2021-01-01 a/f && touch -d 2020-01-01 b/f"],
    ["-n, DEST holding the name", ["-rn", "-v"], "printf 0 > D/f && printf 1 > a/f && printf 22 > b/f"],
    ["a directory both hold: the second's times and mode told as set on the first's copy", ["-a", "--itemize"], "mkdir a/s b/s && printf 1 > a/s/f && printf 2 > b/s/g && touch -d 2020-01-01 a/s && touch -d 2021-01-01 b/s && chmod 700 b/s"],
    ["a directory both hold, --skip-unchanged: one the same listed as left", ["-a", "--skip-unchanged", "--itemize"], "mkdir a/s b/s a/t b/t && printf 1 > a/s/f && printf 2 > b/s/g && touch -d 2020-01-01 a/s a/t b/t && touch -d 2021-01-01 b/s"],
    ["-u, DEST holding a newer file", ["-ru", "-v"], "printf 0 > D/f && printf 1 > a/f && printf 22 > b/f && touch -d 2022-01-01 D/f && touch -d 2021-01-01 a/f && touch -d 2023-01-01 b/f"],
  ];
  test.each(MERGED_AS_REAL)("merged operands, %s: the dry run says what the real run does", (_, args, setup) => {
    const results = ["--dry-run", undefined].map((dry) => {
      const root = sandbox("dry-merge-real");
      // One time for the operands and DEST: whether they share a clock tick is no part of the case.
      sh(`mkdir a b D && ${setup} && touch -d 2019-01-01 a b D`, root);
      const r = blit([...args, ...(dry ? [dry] : []), "a/.", "b/.", "D"], { cwd: root });
      return { stdout: r.stdout.split("\n").sort(), stderr: r.stderr.split("\n").sort(), exitCode: r.exitCode };
    });
    expect(results[0]).toEqual(results[1]!);
  });

  // SOURCEs of one name: the real run decides each in turn (-n, -u, -i) by what the one before made.
  const REFUSED = "blit: will not overwrite just-created 'd/f' with 'b/f'\n";
  const ONE_NAME: [string, string[], string, string][] = [
    ["-n: the second is kept out", ["-nv"], "", ""],
    ["-u: the second, older than the first's copy, is kept", ["-uv"], "", ""],
    ["-u: the second, newer than the first's copy, is refused", ["-uv"], "touch -d '+1 day' b/f", REFUSED],
    ["-up: the second, newer than the first (whose mtime its copy keeps), is refused", ["-upv"], "touch -d '-1 hour' b/f", REFUSED],
    ["-up: the second, older than the first, is kept", ["-upv"], "touch -d '-2 day' b/f", ""],
    ["-i: the second asked about, and refused", ["-iv"], "", `blit: overwrite 'd/f'? ${REFUSED}`],
    ["-nP: the first a dangling symlink, the second refused before -n", ["-nPv"], "rm a/f && ln -s ../t a/f", "blit: will not copy 'b/f' through just-created symlink 'd/f'\n"],
    // As cp: a symlink that leads to a file takes the name for -n and -i, and for -u by what it leads to.
    ["-nP: the first a symlink to a file, the second kept out", ["-nPv"], "rm a/f && ln -s ../t a/f && printf t > t", ""],
    ["-iP: the first a symlink to a file, the second asked about, and refused as through it", ["-iPv"], "rm a/f && ln -s ../t a/f && printf t > t", "blit: overwrite 'd/f'? blit: will not copy 'b/f' through just-created symlink 'd/f'\n"],
    ["-uP: the first a symlink to a newer file, the second kept out", ["-uPv"], "rm a/f && ln -s ../t a/f && printf t > t", ""],
    ["-uP: the first a symlink to an older file, the second refused as through it", ["-uPv"], "rm a/f && ln -s ../t a/f && printf t > t && touch -d '-2 day' t", "blit: will not copy 'b/f' through just-created symlink 'd/f'\n"],
    // A symlink copied as one over the first is cp's "overwrite", not "through" (helper-192).
    ["-P: both symlinks, the second refused as overwriting", ["-Pv"], "rm a/f b/f && ln -s ../t a/f && ln -s ../t b/f && printf t > t", REFUSED],
  ];
  test.each(ONE_NAME)("two SOURCEs of one name, %s, as the real run", (_, args, setup, stderr) => {
    const root = sandbox("dry-one-name");
    sh(`mkdir a b d && printf a > a/f && printf b > b/f && touch -d '-1 day' a/f b/f ${setup ? `&& ${setup}` : ""}`, root);
    const answered = (extra: string[]) => {
      const proc = Bun.spawnSync([BLIT, ...args, ...extra, "a/f", "b/f", "d"], { cwd: root, stdin: Buffer.from("y\n"), stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C" } });
      return { stdout: proc.stdout.toString(), stderr: proc.stderr.toString(), exitCode: proc.exitCode };
    };
    const dry = answered(["--dry-run"]);
    expect(readdirSync(`${root}/d`)).toEqual([]);
    expect(dry).toEqual({ stdout: "'a/f' -> 'd/f'\n", stderr, exitCode: stderr ? 1 : 0 });
    expect(answered([])).toEqual(dry);
  });

  test("a directory, then a file of its name: the file refused as over the directory, as the real run", () => {
    const root = sandbox("dry-dir-then-file");
    sh("mkdir -p a/x c d && printf in > a/x/g && printf c > c/x", root);
    const dry = blit(["-rv", "--dry-run", "a/x", "c/x", "d"], { cwd: root });
    expect(readdirSync(`${root}/d`)).toEqual([]);
    expect(dry).toEqual({ stdout: "'a/x' -> 'd/x'\n'a/x/g' -> 'd/x/g'\n", stderr: "blit: cannot overwrite directory 'd/x' with non-directory\n", exitCode: 1 });
    expect(blit(["-rv", "a/x", "c/x", "d"], { cwd: root })).toEqual(dry);
  });

  test("--dry-run --progress: the summary line says nothing was written", () => {
    const root = sandbox("dry-progress");
    sh("mkdir src && printf abc > src/f", root);
    const r = blit(["-r", "--dry-run", "--progress", "src", "new"], { cwd: root });
    expect(r.stderr.split("\n").at(-2)).toMatch(/^blit: dry run, nothing written: would have copied 1 file \(3 bytes\), 1 directory in \S+( s)? \(\S+ \S+\), 0 errors$/);
    expect(r.exitCode).toBe(0);
    expect(existsSync(`${root}/new`)).toBe(false);
  });

  test("--dry-run with --parents is refused: those directories are made before the copy", () => {
    const r = blit(["--dry-run", "--parents", "a/b", "d"]);
    expect(r.stderr).toBe("blit: cannot combine --dry-run and --parents\nTry 'blit --help' for more information.\n");
    expect(r.exitCode).toBe(2);
  });
});

// Under a umask that takes the owner's bits, a directory the run would make is given them while filled: not in a
// dry run, which made a chmod of the name in DEST's real directory (helper-193; strace names fchmodat2 as 0x1c4 where it does not know it).
test.skipIf(!hasCommand("strace"))("--dry-run under umask 0200 makes no chmod", () => {
  const root = sandbox("dry-umask");
  sh("mkdir -p s/sub d && printf a > s/f", root);
  const r = run(["strace", "-f", "-qq", "-o", "trace", "-e", "trace=/chmod", "sh", "-c", `umask 0200 && exec "$0" -r --dry-run s d`, BLIT], { cwd: root });
  expect([r.stderr, r.exitCode]).toEqual(["", 0]);
  expect(sh("grep -e chmod -e syscall_0x1c4 trace || true", root)).toBe("");
  expect(readdirSync(`${root}/d`)).toEqual([]);
});
