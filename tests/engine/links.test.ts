// Hard-link groups: kept within one copy, across command-line operands and
// across workers; a destination that cannot hold that many links gets copies.

import { describe, expect, test } from "bun:test";
import { lstatSync } from "node:fs";
import { BLIT, blit, hasCommand, run, sh, shimFallbackIn, stats } from "../helpers/blit.ts";
import { immutableUnavailable, mountXfs, tmpfsUnavailable, xfsUnavailable } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { tree } from "../helpers/tree.ts";

describe("hard links", () => {
  test("linked operands stay linked, as with cp -a", () => {
    const root = sandbox("link-operands");
    sh("mkdir a b by-blit by-cp && printf x > a/x && ln a/x b/y && printf z > a/z", root);
    expect(blit(["-a", "a/x", "b/y", "a/z", "by-blit"], { cwd: root }).exitCode).toBe(0);
    expect(run(["cp", "-a", "a/x", "b/y", "a/z", "by-cp"], { cwd: root }).exitCode).toBe(0);
    const mine = tree(`${root}/by-blit`, { times: true });
    expect(mine.hardlinks).toEqual([["x", "y"]]);
    expect(mine).toEqual(tree(`${root}/by-cp`, { times: true }));
  });

  test("merged operands: a name linked to a first copy that a later operand replaced gets its own data, as with cp -a", () => {
    const root = sandbox("link-merged");
    // cp copies a directory's entries in inode order, and its result depends
    // on it. g met first is linked to the first copy of f, and f, then found
    // with two links, is unlinked and made anew: g keeps A. f met first is
    // overwritten in place, and g linked to that reads B (blit replaces f by
    // a rename either way, so g keeps A). Of two files made in b, the one with
    // the lower inode becomes g: made as they came, the order was the block
    // groups' (cp linked g in 3 runs of 40).
    sh(
      `mkdir -p a/s b/s by-blit by-cp && : > b/p && : > b/q &&
       if [ $(stat -c %i b/p) -lt $(stat -c %i b/q) ]; then mv b/p b/g && mv b/q b/f; else mv b/q b/g && mv b/p b/f; fi &&
       printf B > b/f && printf A > b/g && ln b/g a/f && printf C > a/s/x && ln a/s/x b/s/y`,
      root,
    );
    const r = blit(["-a", "a/.", "b/.", "by-blit"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(run(["cp", "-a", "a/.", "b/.", "by-cp"], { cwd: root }).exitCode).toBe(0);
    expect(sh("cat by-blit/f by-blit/g by-blit/s/x by-blit/s/y", root)).toBe("BACC");
    const mine = tree(`${root}/by-blit`, { times: true });
    expect(mine.hardlinks).toEqual([["s/x", "s/y"]]);
    expect(mine).toEqual(tree(`${root}/by-cp`, { times: true }));
  });

  test("many groups spread over directories copied by eight workers", () => {
    const root = sandbox("link-groups");
    sh(
      `mkdir src && for d in $(seq 1 40); do mkdir src/d$d; done &&
       for g in $(seq 1 200); do printf "group $g" > src/d$((g % 40 + 1))/g$g;
         ln src/d$((g % 40 + 1))/g$g src/d$(((g * 7) % 40 + 1))/l$g-a; ln src/d$((g % 40 + 1))/g$g src/d$(((g * 13) % 40 + 1))/l$g-b; done`,
      root,
    );
    const r = blit(["-a", "-j", "8", "--stats", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(stats(r.stdout)["hard links"]).toBe("400");
    const src = tree(`${root}/src`, { times: true });
    expect(src.hardlinks).toHaveLength(200);
    expect(tree(`${root}/dst`, { times: true })).toEqual(src);
  });

  // A table of 16 slots (BLIT_LINK_TABLE) stands for the million of a real run, which a test cannot fill.
  test.each([
    ["its slots", "16,4096", 16],
    // 200 bytes of paths: 22 of "dst/a/f1"..."dst/a/f40" fit.
    ["the room for its paths", "64,200", 22],
  ])("more groups than the link table holds (%s): those it holds stay linked, the rest are copies, with one warning", (_, table, kept) => {
    const root = sandbox("link-table");
    sh("mkdir -p src/a src/b && for i in $(seq 1 40); do printf $i > src/a/f$i && ln src/a/f$i src/b/g$i; done", root);
    const r = blit(["-a", "-j", "1", "src", "dst"], { cwd: root, env: { BLIT_LINK_TABLE: table } });
    expect(r.stderr).toBe("blit: warning: too many hard-linked files to keep track of: from here on, other names of one file are copied as separate files\n");
    expect(r.exitCode).toBe(0);
    const copy = tree(`${root}/dst`);
    expect(copy.hardlinks.length).toBe(kept);
    expect(Object.keys(copy.entries).sort()).toEqual(Object.keys(tree(`${root}/src`).entries).sort());
    expect(sh("diff -r src dst && echo same", root)).toBe("same\n");
  });

  // -as: the names are links of one symlink, which has the same limit.
  const PAST_LIMIT: [flag: string, instead: RegExp, made: string][] = [
    ["-a", /^blit: warning: cannot create hard link '.*': Too many links; copied instead$/, "files"],
    ["-as", /^blit: warning: cannot create hard link '.*': Too many links; a symbolic link of its own made instead$/, "symlinks"],
  ];
  for (const [flag, instead, made] of PAST_LIMIT) {
    testIf(xfsUnavailable)(`${flag} past ext4's 65000 links per inode: the rest are made apart, with a warning`, () => {
      const xfs = mountXfs(512);
      const root = sandbox("emlink");
      run(["python3", "-c", "import os\nos.mkdir('src')\nopen('src/f0', 'w').write('x')\nfor i in range(1, 65010): os.link('src/f0', f'src/f{i}')"], { cwd: xfs });
      const r = blit([flag, "--stats", `${xfs}/src`, `${root}/dst`]);
      expect(r.exitCode).toBe(0);
      const warnings = r.stderr.split("\n").filter(Boolean);
      expect(warnings.length).toBeGreaterThan(0);
      for (const line of warnings) expect(line).toMatch(instead);
      const s = stats(r.stdout);
      expect(Number(s["hard links"]) + Number(s[made])).toBe(65010);
      expect(Number(s["hard links"])).toBe(64999);
      // --json's warning events name the path each is about.
      if (flag !== "-a") return;
      const json = blit([flag, "--json", `${xfs}/src`, `${root}/dst2`]);
      const events = json.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line)).filter((event) => event.type === "warning");
      expect(events.length).toBe(warnings.length);
      for (const event of events) expect({ op: event.op, errno: event.errno, named: event.message.includes(`'${event.path}'`) }).toEqual({ op: "link", errno: 31, named: true });
    }, 120_000);
  }
});

// Names of one inode whose copies are on two filesystems (a mount in DEST): the second is made apart, as past the links per
// inode, and said; it was copied silently, `hard links: 0`, where cp and rsync -H fail on it (helper-191).
testIf(tmpfsUnavailable)("-a with a hard-linked pair whose second name's copy is on a filesystem mounted in DEST: copied instead, with a warning", () => {
  const root = sandbox("link-exdev");
  const mounted = `${root}/dst/m`;
  sh("mkdir -p src/m dst/m && printf data > src/f && ln src/f src/m/g", root);
  sh(`mount -t tmpfs -o size=1m tmpfs ${mounted}`);
  try {
    const r = blit(["-aT", "src", "dst"], { cwd: root });
    // Whichever name is copied first, the other is the link.
    expect(r).toEqual({ stdout: "", stderr: expect.stringMatching(/^blit: warning: cannot create hard link 'dst\/(f|m\/g)': Invalid cross-device link; copied instead\n$/), exitCode: 0 });
    expect(sh("cat dst/f dst/m/g", root)).toBe("datadata");
  } finally {
    if (run(["umount", mounted]).exitCode !== 0) run(["umount", "-l", mounted]);
  }
});

// -u following symlinks (-L, -H) keeps a DEST symlink to a newer file, which then stood for SOURCE's inode:
// its other names were made hard links of the symlink itself, and `f` a link of `a_sl -> f`, a loop, its data gone (helper-192).
describe("-u with hard links kept, following symlinks, a DEST symlink kept", () => {
  test("-Tau -L, SOURCE's a_sl -> f: a run that keeps everything changes nothing", () => {
    const root = sandbox("update-kept-symlink");
    sh("mkdir src && printf data > src/f && ln -s f src/a_sl && cp -a src dst && touch -d 2000-01-01 src/f", root);
    for (const dryRun of [["--dry-run"], []]) {
      expect(blit(["-Tau", "-L", ...dryRun, "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(sh("readlink dst/a_sl && cat dst/f && test ! -L dst/f && echo regular", root)).toBe("f\ndataregular\n");
    }
  });

  // The group's other names still take one first copy among themselves (helper-193: giving the group up split f and g).
  test.each([
    ["a newer symlink to another file", "printf other > dst/x && ln -s x dst/a_sl && touch -d @1600000000 dst/x", "new"],
    ["a symlink to a newer f", "ln -s f dst/a_sl && printf old > dst/f && touch -d @1600000000 dst/f", "old"],
  ])("-aLu, f and g one file and a_sl -> f, DEST's a_sl %s: f and g stay one file", (_what, setup, data) => {
    const root = sandbox("update-kept-symlink-group");
    sh(`mkdir src dst && printf new > src/f && ln src/f src/g && ln -s f src/a_sl && touch -d @1500000000 src/f && ${setup}`, root);
    expect(blit(["-aLu", "src/.", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sh("cat dst/f dst/g && test -L dst/a_sl && echo ' link kept'", root)).toBe(`${data}${data} link kept\n`);
    expect(lstatSync(`${root}/dst/f`).ino).toBe(lstatSync(`${root}/dst/g`).ino);
  });

  // A later name's symlink is linked over, as any kept later name (cp: "replace DST_NAME unconditionally"; helper-195).
  // Operands, so that f is the first name whatever order a directory lists them in.
  test.each([["-aLu src/f src/g dst"], ["-aHu src/f src/g dst"]])("%s, DEST's g (a later name of f's file) a symlink to a newer file: g becomes a link of f's copy", (command) => {
    const args = command.split(" ");
    const root = sandbox("update-kept-symlink-later");
    sh("mkdir src dst && printf new > src/f && ln src/f src/g && touch -d @1500000000 src/f && printf other > dst/x && ln -s x dst/g && touch -d @1600000000 dst/x", root);
    expect(blit(args, { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sh("cat dst/g && test ! -L dst/g && echo ' file'", root)).toBe("new file\n");
    expect(lstatSync(`${root}/dst/f`).ino).toBe(lstatSync(`${root}/dst/g`).ino);
  });

  test.each([["-au", "-L"], ["-au", "-H"], ["-u", "--preserve=links"]])("%s %s src/f src/hl, DEST's f a symlink to a newer file: hl is a copy, not a link of the symlink", (update, follow) => {
    const root = sandbox("update-kept-symlink-hl");
    sh("mkdir src dst && printf data > src/f && ln src/f src/hl && printf newer > n && touch -d 2030-01-01 n && ln -s ../n dst/f", root);
    expect(blit([update, follow, "src/f", "src/hl", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sh("readlink dst/f && cat dst/hl && test ! -L dst/hl && echo regular", root)).toBe("../n\ndataregular\n");
  });
});

// -H follows the operands only: below them cp does not follow (DEREF_NEVER), as -P. blit took the tree's
// entries as followed for its cp rules: -lH, -sH kept a symlink or fifo there (File exists), and -rHT
// replaced DEST's hard link of the file a SOURCE symlink names, where cp refuses it as the same file (helper-192).
describe("-H inside a tree, as -P, as cp", () => {
  const both = (root: string, args: string[]) => {
    const result = (tool: string, dst: string) => {
      const r = run([tool === "cp" ? "cp" : BLIT, ...args.join(" ").split(" "), dst], { cwd: root });
      // Each entry: its type, its link's target, and whether it is SOURCE's own inode (a hard link of it).
      const entries = sh(`cd ${dst} && for p in $(find . | sort); do printf '%s %s %s %s\\n' "$p" "$(stat -c %F "$p")" "$(readlink "$p")" "$([ "$(stat -c %i "$p")" = "$(stat -c %i "../src/$p" 2>/dev/null)" ] && echo =src)"; done`, root);
      return { said: r.stderr.replace(/^blit:/gm, "cp:").replaceAll(dst, "DST"), exitCode: r.exitCode, entries };
    };
    return { cp: result("cp", "by-cp"), blit: result("blit", "by-blit") };
  };
  test.each([["-rsH"], ["-asH"], ["-rlH"], ["-alH"]])("%s onto a DEST holding a symlink and a fifo where SOURCE has them", (flags) => {
    const root = sandbox("h-as-p");
    sh("mkdir src && printf data > src/f && ln -s f src/s && mkfifo src/p && for d in by-cp by-blit; do mkdir $d && ln -s f $d/s && mkfifo $d/p && printf data > $d/f; done", root);
    const r = both(root, ["-T", flags, `${root}/src`]);
    expect(r.blit).toEqual(r.cp);
  });

  test.each([["-rHT"], ["-aHT"], ["-rHT --preserve=links"], ["-aHlT"]])("%s, DEST's s a hard link of the file SOURCE's symlink s names", (flags) => {
    const root = sandbox("h-same-file");
    sh("mkdir src && printf data > src/f && ln -s f src/s && for d in by-cp by-blit; do mkdir $d && ln src/f $d/s; done", root);
    const r = both(root, [flags, "src"]);
    expect(r.blit).toEqual(r.cp);
  });
});

// Names of one inode that DEST holds already: what -u keeps stays kept, and a name that is a link of the first copy is listed as one, as cp -av lists it.
describe("hard links over what DEST holds", () => {
  test.each([["-u"], ["--inplace"], ["--attributes-only"]])("%s, a second run: the name already linked to the first copy is listed and counted as a link", (flag) => {
    const root = sandbox("linked-already");
    sh("mkdir -p src/d && printf x > src/a && ln src/a src/d/b", root);
    expect(blit(["-a", "src", "dst"], { cwd: root }).exitCode).toBe(0);
    const r = blit(["-aT", "-v", "--itemize", "--stats", flag, "src", "dst"], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout).toContain("'src/d/b' -> 'dst/d/b'\n");
    expect(r.stdout).toContain("hf          dst/d/b => dst/a\n");
    expect(stats(r.stdout)["hard links"]).toBe("1");
  });

  // A new name in a directory listed before the old one's is the first met (20 of
  // them: which comes first is the directory's hash order), made empty, as
  // --attributes-only makes a new file.
  test("--attributes-only, a second run where SOURCE's file gained names met first: the file there keeps its data", () => {
    const root = sandbox("attributes-only-links");
    sh("mkdir -p src/old && printf data > src/old/c", root);
    expect(blit(["-a", "src", "dst"], { cwd: root }).exitCode).toBe(0);
    sh("for i in $(seq 10 29); do mkdir src/d$i && ln src/old/c src/d$i/c; done && chmod 600 src/old/c", root);
    const r = blit(["-aT", "-j1", "--attributes-only", "src", "dst"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sh("cat dst/old/c && stat -c ' %a' dst/old/c", root)).toBe("data 600\n");
  });

  // Moved to its backup name or removed first, the file there has no data
  // left to keep: the later name is linked to the first's new empty copy, as
  // cp links it. (With -b the later name's backup was taken and then its
  // data written to, which failed: `cannot create regular file 'dst/./a': No
  // such file or directory`, the link lost.)
  test.each(["-b", "--backup=numbered", "--remove-destination"])("--attributes-only %s over a copy of a file with two names: both names one new empty file, as cp leaves them", (flag) => {
    const root = sandbox("attributes-only-backup-links");
    sh("mkdir src && printf data > src/a && ln src/a src/b && cp -a src dst && cp -a src by-cp && chmod 600 src/a", root);
    expect(blit(["-a", "--attributes-only", flag, "src/.", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    sh(`cp -a --attributes-only ${flag} src/. by-cp`, root);
    const shape = (dir: string) => sh(`cd ${dir} && find . -type f -printf '%P %n %s %m\n' | sort && cat $(find . -name '*~' | sort)`, root);
    expect(shape("dst")).toBe(shape("by-cp"));
    expect(sh("stat -c '%s %a %h' dst/a dst/b", root)).toBe("0 600 2\n0 600 2\n");
    expect(lstatSync(`${root}/dst/b`).ino).toBe(lstatSync(`${root}/dst/a`).ino);
  });

  // Operands are planned on the main thread, which has no link table: those of a hard-linked file must still reach it.
  test.each([
    ["-au", "cp -p src/a dst/", ".f          dst/a"],
    ["-a --skip-unchanged", "cp -p src/a src/b dst/", ".f          dst/a"],
    ["-a --checksum", "cp -p src/a src/b dst/", ".f          dst/a"],
  ])("%s, hard-linked file operands: the name left stands for the inode, the other is linked to it (as cp -au links it)", (flags, setup, left) => {
    const root = sandbox("linked-operands");
    sh(`mkdir src dst by-cp && printf hello > src/a && ln src/a src/b && ${setup} && ${setup.replace("dst/", "by-cp/")}`, root);
    const r = blit([...flags.split(" "), "--itemize", "src/a", "src/b", "dst/"], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual([left, `hf${flags === "-au" ? "+++++++++" : "         "} dst/b => dst/a`].sort());
    expect(lstatSync(`${root}/dst/b`).ino).toBe(lstatSync(`${root}/dst/a`).ino);
    if (flags === "-au") {
      sh("cp -au src/a src/b by-cp/", root);
      expect(lstatSync(`${root}/by-cp/b`).ino).toBe(lstatSync(`${root}/by-cp/a`).ino);
    }
  });

  // Left, the one inode would stand for both files: each run gave it one's mode, then the other's, and DEST kept a link SOURCE had dropped.
  test.each([
    // x: what was there had a's xattr, set on it as a moment before.
    ["--skip-unchanged", ">f...p....x"],
    // No c: its data was SOURCE's, as the quick check's line says.
    ["--checksum", ">f...p....x"],
    // Written into, the other name's file would take its data again on every run.
    ["--skip-unchanged --inplace", ">f...p....x"],
  ])("%s, two names SOURCE no longer links, DEST still does: the first keeps the inode, the other is copied anew", (flags, copied) => {
    const root = sandbox("links-split");
    sh("mkdir -p src/d && printf hello > src/a && ln src/a src/d/b && touch -d 2010-01-01 src/a && cp -a src dst", root);
    sh("cp -p src/d/b src/d/b.new && mv src/d/b.new src/d/b && chmod 600 src/d/b && setfattr -n user.k -v 1 src/a && touch -d 2010-01-01 src/d", root);
    const first = blit(["-aT", "-j1", "--itemize", ...flags.split(" "), "src", "dst"], { cwd: root });
    expect(first).toEqual({ stdout: `.d          dst/\n.f........x dst/a\n.d..t...... dst/d/\n${copied} dst/d/b\n`, stderr: "", exitCode: 0 });
    expect(tree(`${root}/dst`, { times: true })).toEqual(tree(`${root}/src`, { times: true }));
    const again = blit(["-aT", "-j1", "--itemize", ...flags.split(" "), "src", "dst"], { cwd: root });
    expect(again).toEqual({ stdout: ".d          dst/\n.f          dst/a\n.d          dst/d/\n.f          dst/d/b\n", stderr: "", exitCode: 0 });
  });

  // Written into, the inode left for dst/a took d/b's bytes: dst/a was wrong after every run.
  test.each([["--skip-unchanged", ">f.st......"], ["--checksum", ">fcst......"]])("--inplace %s: a changed file DEST links with a name left as another SOURCE file is made anew, not written into", (flag, written) => {
    const root = sandbox("links-split-inplace");
    sh("mkdir -p src/d && printf same > src/a && ln src/a src/d/b && touch -d 2010-01-01 src/a && cp -a src dst && rm src/d/b && printf changed > src/d/b && touch -d 2011-01-01 src/d/b src/d", root);
    for (let run = 0; run < 2; run++) {
      const r = blit(["-aT", "-j1", "--inplace", "--itemize", flag, "src", "dst"], { cwd: root });
      expect(r).toEqual({ stdout: run === 0 ? `.d          dst/\n.f          dst/a\n.d..t...... dst/d/\n${written} dst/d/b\n` : ".d          dst/\n.f          dst/a\n.d          dst/d/\n.f          dst/d/b\n", stderr: "", exitCode: 0 });
      expect(tree(`${root}/dst`, { times: true })).toEqual(tree(`${root}/src`, { times: true }));
    }
  });

  // Given SOURCE's older mtime through its other name, the newer data -u kept would pass the next quick check as SOURCE's.
  // With --checksum, where its data is SOURCE's too: -u keeps it all the same, as it keeps the first name.
  test.each([["--skip-unchanged", "y"], ["--checksum", "x"]])("-u %s: a name linked already to a file -u kept, newer, does not give it SOURCE's attributes and is listed as kept", (flag, data) => {
    const root = sandbox("links-kept-newer");
    sh(`mkdir -p src/a src/b dst/b && printf x > src/b/f && ln src/b/f src/a/g && touch -d 2010-01-01 src/b/f && printf ${data} > dst/b/f && touch -d 2020-01-01 dst/b/f`, root);
    expect(blit(["-aT", "-j1", "-u", flag, "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const r = blit(["-aT", "-j1", "-u", "--itemize", flag, "src", "dst"], { cwd: root });
    expect(r).toEqual({ stdout: ".d          dst/\n.d          dst/b/\n.f          dst/b/f\n.d          dst/a/\nhf          dst/a/g\n", stderr: "", exitCode: 0 });
    expect(sh("cat dst/a/g; stat -c ' %y %h' dst/b/f", root)).toBe(`${data} 2020-01-01 00:00:00.000000000 +0000 2\n`);
  });

  // dst/a passes the quick check, yet holds other bytes: replaced by the link without a backup, they were lost.
  test("-b --skip-unchanged: a name left in place that becomes a link of the first copy is kept under its backup name, as any file replaced; a dry run says so", () => {
    const root = sandbox("links-kept-backup");
    sh("mkdir src dst && printf same > src/a && ln src/a src/b && touch -d 2010-01-01 src/a && printf SAME > dst/a && printf same > dst/b && touch -d 2010-01-01 dst/a && touch -d 2011-01-01 dst/b", root);
    const said = "'src/b' -> 'dst/b' (backup: 'dst/b~')\n'src/a' -> 'dst/a' (backup: 'dst/a~')\n";
    expect(blit(["-aT", "-j1", "-bv", "--skip-unchanged", "--dry-run", "src", "dst"], { cwd: root })).toEqual({ stdout: said, stderr: "", exitCode: 0 });
    expect(blit(["-aT", "-j1", "-bv", "--skip-unchanged", "src", "dst"], { cwd: root })).toEqual({ stdout: said, stderr: "", exitCode: 0 });
    expect(sh("for f in a a~ b b~; do printf '%s=%s ' $f $(cat dst/$f); done; stat -c %h dst/a", root)).toBe("a=same a~=SAME b=same b~=same 2\n");
  });

  const noImmutable = immutableUnavailable(sandbox("links-chattr"));
  testIf(noImmutable)("-u: a newer name stays when the first copy of its inode could not be made, as cp -u keeps it (blit copied over it)", () => {
    const root = sandbox("kept-first-failed");
    sh("mkdir src dst && printf new > src/a && ln src/a src/b && touch -d 2020-01-01 src/a", root);
    sh("printf old > dst/b && touch -d 2019-01-01 dst/b && printf newer > dst/a && chattr +i dst/b", root);
    try {
      const r = blit(["-aTuf", "-j1", "src", "dst"], { cwd: root });
      expect([r.stderr, r.exitCode]).toEqual(["blit: cannot create regular file 'dst/b': Operation not permitted\n", 1]);
      expect(sh("cat dst/a; echo; cat dst/b", root)).toBe("newer\nold");
    } finally {
      sh("chattr -i dst/b", root);
    }
  });
});

// A stat of the first copy that fails (EIO here, by strace, at every
// position in turn) is that link's failure, said and counted. It was taken
// for "another run replaced the first copy": the name was copied anew,
// silently, exit 0, two inodes where SOURCE has one.
describe.skipIf(!hasCommand("strace"))("a stat failing while a hard link is made", () => {
  test("either the names are one inode, exit 0, or an error says which failed, exit 1", () => {
    const root = sandbox("link-stat-fails");
    sh("mkdir src && head -c 5000 /dev/urandom > src/a && ln src/a src/hl", root);
    const outcomes = new Set<string>();
    for (let n = 1; n <= 30; n++) {
      sh("rm -rf d", root);
      const r = run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=statx", "-e", `inject=statx:error=EIO:when=${n}`, BLIT, "-a", "-T", "src", "d"], { cwd: root, env: shimFallbackIn(root) });
      if (r.exitCode === 0) {
        expect({ n, stdout: r.stdout, stderr: r.stderr }).toEqual({ n, stdout: "", stderr: "" });
        expect(lstatSync(`${root}/d/a`).ino).toBe(lstatSync(`${root}/d/hl`).ino);
        outcomes.add("linked");
      } else {
        expect({ n, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({ n, exitCode: 1, stdout: "", stderr: expect.stringMatching(/^blit: cannot (stat|create hard link) '[^'\n]+': Input\/output error\n$/) });
        if (r.stderr.includes("cannot create hard link")) outcomes.add("link failed");
      }
    }
    expect([...outcomes].sort()).toEqual(["link failed", "linked"]);
  }, 60_000);
});
