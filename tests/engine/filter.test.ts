// --include, --exclude and their -from files, rule by rule against rsync
// itself: the same filter arguments, `rsync -a ARGS src/ r` and
// `blit -aT ARGS src b`, must leave the same trees (names compared as bytes).
// Arguments go through sh so that bytes that are not UTF-8 reach both as bytes.

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { BLIT, blit, hasCommand, run, sh, stats } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { tree } from "../helpers/tree.ts";

const noRsync = hasCommand("rsync") ? undefined : "rsync is not installed";

const TREE = `mkdir -p src/dir1/sub src/dir2/build src/build src/logs src/.cache src/keep.txt.d &&
  cd src && for f in a.txt b.log c.o README .hidden dir1/a.txt dir1/x.log dir1/sub/deep.o dir1/sub/y.txt dir2/build/out.o \\
    dir2/keep.txt build/f logs/l1.log logs/l22.log .cache/c 'name with space.txt' '[br]acket' 'q?mark' qXmark 'star*' keep.txt.d/in 'back\\' 'f]x' ':x' a-name-longer-than-thirty-bytes-to-match.txt; do
    printf '%s' "$f" > "$f"; done &&
  printf x > "$(printf 'bad-\\377.bin')" && printf x > "$(printf 'caf\\351.txt')" && mkdir "$(printf 'dir-\\376')" && printf x > "$(printf 'dir-\\376/f.o')"`;

// Each case: the filter arguments, as sh words (single-quoted where needed).
const CASES: string[] = [
  "--exclude='*.log'",
  "--exclude='*.o' --exclude='build/'",
  "--exclude=/build",
  "--exclude=build",
  "--exclude=dir1/sub",
  "--exclude='dir*/*.txt'",
  "--exclude='**/sub'",
  "--exclude='dir1/**'",
  "--exclude='dir2/**/out.o'",
  "--include='*.txt' --include='*/' --exclude='*'",
  "--include='dir1/***' --exclude='*'",
  "--include='*/' --include='*.o' --exclude='*'",
  "--exclude='?.txt'",
  "--exclude='[ab].*'",
  "--exclude='[!a]*.txt'",
  "--exclude='[^ab]*.log'",
  "--exclude='l[[:digit:]].log'",
  "--exclude='l[0-9][0-9].log'",
  // A range's ends are in it: c.o goes, as a.txt and b.log do.
  "--exclude='[a-c].*'",
  "--exclude='l[0-2][1-2].log'",
  "--exclude='.*'",
  "--exclude='keep.txt/' --exclude='keep.txt.d/'",
  "--exclude='dir2/build/'",
  "--exclude='/dir2/build/***'",
  "--exclude='*/sub/*'",
  "--exclude='q\\?mark'",
  "--exclude='star\\*'",
  // A lone backslash at the end of a wildcard pattern matches nothing, as wildmatch; without wildcards, the name itself.
  "--exclude='*\\'",
  "--exclude='b?ck\\'",
  "--exclude='back\\'",
  "--exclude='[[]br]acket'",
  "--exclude='name with space.txt'",
  "--exclude='sub/deep.o'",
  "--include='a.txt' --exclude='a.*' --exclude='dir1/a.txt'",
  "--exclude=\"$(printf 'bad-\\377.bin')\"",
  "--exclude='bad-?.bin' --exclude=\"$(printf 'dir-\\376')/\"",
  "--exclude='caf?.txt'",
  "--exclude=\"$(printf 'caf\\351')*\"",
  "--exclude='- *.o' --include='+ *.log' --exclude='*.log'",
  // A leading ** matches at the top too: rsync matches such a pattern against the path with a / in front.
  "--exclude='**/build'",
  "--exclude='**/a.txt'",
  "--exclude='**build/'",
  // A lone "!" clears the rules before it.
  "--exclude='*.o' --exclude='!' --exclude='*.log'",
  "--exclude='*.log' --include='!' --exclude='*.o'",
  "--filter='- *.txt' --filter='!' --filter='- *.o'",
  // dir/*** is the directory dir (as dir/) and what is below it: a file of that name stays.
  "--exclude='keep.txt/***' --exclude='dir1/***'",
  "--exclude='**/keep.txt/***'",
  "--include='**/sub/***' --include='*/' --exclude='*'",
  // Any pattern ending in *** matches a directory as its path and a '/', the slash of `pattern/` taken off first (rsync's WILD3_SUFFIX).
  "--exclude='dir1/***/'",
  "--include='dir1/***/' --exclude='*'",
  "--exclude='dir1/****'",
  "--exclude='dir1//***'",
  "--exclude='dir2/**/***'",
  // Classes as wildmatch reads them: a range from high to low holds its first byte only; `]` first is a member;
  // `[:` without `:]` is a `[`; an unknown class name, or a class never closed, makes the pattern match nothing.
  "--exclude='[z-a]*'",
  "--exclude='[s-a]tar*'",
  "--exclude='[a-[:digit:]]*'",
  "--exclude='[[:foo:]]*'",
  "--exclude='[]q]?mark'",
  "--exclude='[!]]*.txt'",
  "--exclude='[[:a]*'",
  "--exclude='[abc'",
  // A slash in a class counts among the pattern's slashes, as rsync counts them: the pattern is matched against
  // that many components and one more from the end, and a path with fewer matches nothing (a.txt, build/f stay).
  "--exclude='[^/]*.txt'",
  "--exclude='build/[^/]'",
  "--exclude='[/a].txt'",
  // One trailing slash comes off, as rsync takes it: `logs//` matches no path.
  "--exclude='logs//'",
  // More steps than a word of bits holds (wildmatch.ts then keeps a list).
  "--exclude='a-name-longer-than-thirty-bytes-to-match.t?t'",
  "--exclude='*-longer-than-thirty-bytes-to-*' --exclude='*-longer-than-thirty-bytes-to-x*'",
];

function both(root: string, args: string): { rsync: ReturnType<typeof tree>; blit: ReturnType<typeof tree>; stderr: string; exitCode: number } {
  sh(`rm -rf r b && rsync -a ${args} src/ r`, root);
  const r = run(["sh", "-c", `"${BLIT}" -aT ${args} src b`], { cwd: root });
  return { rsync: tree(`${root}/r`), blit: tree(`${root}/b`), stderr: r.stderr, exitCode: r.exitCode };
}

describe("filters against rsync", () => {
  for (const args of CASES) {
    testIf(noRsync)(args, () => {
      const root = sandbox("filter");
      sh(TREE, root);
      const r = both(root, args);
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(Object.keys(r.blit.entries).sort()).toEqual(Object.keys(r.rsync.entries).sort());
    });
  }

  // A .gitignore in SOURCE is anyone's to write: a class wildmatch gives up
  // on matches nothing there, as rsync reads it, and the copy goes on.
  testIf(noRsync)("a per-directory file with a range from high to low, or an unknown class: the copy goes on, as rsync's", () => {
    const root = sandbox("filter-bad-class");
    sh("mkdir -p src/a src/z && cd src && touch a/1 a/2 z/1 z/z top && printf '[z-a]\\n[[:foo:]]\\n' > z/.gitignore", root);
    const r = both(root, "--filter=':- .gitignore'");
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(Object.keys(r.blit.entries).sort()).toEqual(Object.keys(r.rsync.entries).sort());
    expect(Object.keys(r.blit.entries)).not.toContain("z/z");
  });

  // Matching follows every place a pattern could be at once, a byte at a
  // time: a pattern with many stars against a long name is no slower than
  // another. A backtracking matcher (regular expressions) ran past the
  // limit here, for minutes; the limit is a bound on running at all, not a
  // measure of speed.
  testIf(noRsync)("many stars against long names: matched at once, as rsync matches them", () => {
    const root = sandbox("filter-stars");
    sh("mkdir src && cd src && for i in 1 2 3; do touch $(printf 'a%.0s' $(seq 200))$i $(printf 'a%.0s' $(seq 100))b$i; done", root);
    for (const pattern of ["*a*a*a*a*b*", "*a*a*a*a*a*a*a*a*a*a*a*b", "**a**a**a**a**a**a**a**c"]) {
      sh(`rm -rf r && rsync -a --exclude='${pattern}' src/ r`, root);
      const r = run(["timeout", "60", BLIT, "-aT", `--exclude=${pattern}`, "src", "b"], { cwd: root });
      expect([pattern, r.stderr, r.exitCode]).toEqual([pattern, "", 0]);
      expect(Object.keys(tree(`${root}/b`).entries).sort()).toEqual(Object.keys(tree(`${root}/r`).entries).sort());
      sh("rm -rf b", root);
    }
  });

  testIf(noRsync)("--exclude-from and --include-from: comments, blank lines, +/- prefixes, a name that is not UTF-8, first match wins across options", () => {
    const root = sandbox("filter-from");
    sh(TREE, root);
    sh(`printf '# comment\\n; another\\n\\n*.o\\n+ logs/l1.log\\nlogs/\\n%s\\n' "$(printf 'bad-\\377.bin')" > ex && printf 'dir1/x.log\\n- README\\n' > in`, root);
    const r = both(root, "--include-from=in --exclude='*.log' --exclude-from=ex");
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(Object.keys(r.blit.entries).sort()).toEqual(Object.keys(r.rsync.entries).sort());
  });

  testIf(noRsync)("CR line ends: in --exclude-from and every kind of per-directory file a \\r ends the line, as rsync reads them (a .gitignore from a Windows checkout)", () => {
    const root = sandbox("filter-crlf");
    sh(`mkdir -p src/sub && cd src && for f in a junk x.o y.log z.c sub/w.o sub/v.log sub/u.tmp; do printf x > $f; done &&
      printf '*.o\\r\\n*.log\\r\\n' > .gitignore && printf -- '- junk\\r\\n' > .ff && printf '*.tmp\\r*.c\\n' > sub/.gitignore && printf 'junk\\r\\n' > ../ex`, root);
    for (const args of ["--filter=':- .gitignore'", "--filter=': .ff'", "--exclude-from=ex", "--filter=':+ .gitignore' --exclude='*.?'"]) {
      const r = both(root, args);
      expect([args, r.stderr, r.exitCode]).toEqual([args, "", 0]);
      expect([args, Object.keys(r.blit.entries).sort()]).toEqual([args, Object.keys(r.rsync.entries).sort()]);
    }
    expect(Object.keys(both(root, "--filter=':- .gitignore'").blit.entries).sort()).toEqual([".", ".ff", ".gitignore", "a", "junk", "sub", "sub/.gitignore", "z.c"]);
  });

  testIf(noRsync)("a NUL in a line of --exclude-from or a per-directory file ends its pattern, as rsync reads it", () => {
    const root = sandbox("filter-nul");
    sh("mkdir src && touch src/junk src/junkXYZ src/keep src/kept && printf 'junk\\0XYZ\\n' > ex && printf 'keep\\0t\\n' > src/.gitignore", root);
    for (const args of ["--exclude-from=ex", "--filter=':- .gitignore'"]) {
      const r = both(root, args);
      expect([args, r.stderr, r.exitCode]).toEqual([args, "", 0]);
      expect([args, Object.keys(r.blit.entries).sort()]).toEqual([args, Object.keys(r.rsync.entries).sort()]);
    }
    expect(Object.keys(both(root, "--exclude-from=ex").blit.entries).sort()).toEqual([".", ".gitignore", "junkXYZ", "keep", "kept"]);
  });

  // Windows editors' UTF-8 byte order mark would be the first pattern's first bytes (rsync keeps it, and that rule matches nothing).
  test("a UTF-8 byte order mark before the first rule of --exclude-from or a per-directory file is not part of it", () => {
    const root = sandbox("filter-bom");
    sh("mkdir -p src dst && touch src/b.tmp src/keep && touch dst/a.log && printf '\\357\\273\\277*.log\\r\\n' > ex && printf '\\357\\273\\277*.tmp\\n' > src/.gitignore", root);
    const r = blit(["-rT", "--delete", "--exclude-from=ex", "--filter=:- .gitignore", "src", "dst"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readdirSync(`${root}/dst`).sort()).toEqual([".gitignore", "a.log", "keep"]);
  });

  // PowerShell 5's `>` writes UTF-16: its NULs would cut every pattern short, and --delete remove what they keep.
  test.each([
    ["--exclude-from", ["--exclude-from=ex"], "blit: filter file 'ex': UTF-16 text, where rules are read as UTF-8 (save it as UTF-8)\nTry 'blit --help' for more information.\n", 2],
    ["a per-directory file", ["--filter=: .rules"], "blit: 'src/.rules' line 1: UTF-16 text, where rules are read as UTF-8 (save it as UTF-8); 'src' not copied\n", 1],
  ])("a UTF-16 file of rules (%s) is refused, nothing deleted", (_, options, stderr, exitCode) => {
    const root = sandbox("filter-utf16");
    sh("mkdir -p src dst && touch src/a dst/x.log && printf '\\377\\376-\\0 \\0*\\0.\\0l\\0o\\0g\\0\\n\\0' | tee ex > src/.rules", root);
    expect(blit(["-rT", "--delete", ...options, "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr, exitCode });
    expect(readdirSync(`${root}/dst`)).toEqual(["x.log"]);
  });

  testIf(noRsync)("a per-directory pattern with a slash matches the whole path, an anchored one below its directory; '!' in a file of rules clears what that file's name gave, as rsync", () => {
    const root = sandbox("filter-dir-slash");
    sh(`mkdir -p src/a/b/c src/a/b/d && cd src && for f in a/b/secret a/b/f a/b/anch a/b/c/tail a/b/c/t.o a/b/c/t.log a/b/d/k.o a/b/d/k.log; do printf x > $f; done &&
      printf 'a/b/secret\\n/b/anch\\nc/tail\\n' > a/.gitignore && printf -- '- *.o\\n' > a/.rules && printf -- '!\\n- *.log\\n' > a/b/c/.rules && printf '!\\n' > a/b/d/.gitignore`, root);
    for (const args of ["--filter=':- .gitignore'", "--filter=': .rules'", "--filter=': .rules' --filter=':- .gitignore'"]) {
      const r = both(root, args);
      expect([args, r.stderr, r.exitCode]).toEqual([args, "", 0]);
      expect([args, Object.keys(r.blit.entries).sort()]).toEqual([args, Object.keys(r.rsync.entries).sort()]);
    }
    const names = Object.keys(both(root, "--filter=': .rules' --filter=':- .gitignore'").blit.entries);
    expect(names.filter((name) => /secret|anch|tail|t\.|k\./.test(name)).sort()).toEqual(["a/b/c/t.o", "a/b/d/k.log"]);
  });

  testIf(noRsync)("--delete: DEST's own per-directory files keep what they exclude, as rsync's receiver reads them; SOURCE's keep it too", () => {
    const root = sandbox("filter-dest-rules");
    sh("mkdir -p src/z && printf f > src/z/f && printf 'mine\\n' > src/.gitignore && mkdir -p dst/z && printf s > dst/z/secret && printf 'secret\\n' > dst/z/.gitignore && printf o > dst/z/other && printf m > dst/mine && cp -a dst dst-r && mv dst dst-b", root);
    const args = ["--delete", "--filter=:- .gitignore", "--exclude=.gitignore"];
    expect(run(["rsync", "-a", ...args, "src/", "dst-r/"], { cwd: root }).exitCode).toBe(0);
    const r = blit(["-aT", "-v", ...args, "src", "dst-b"], { cwd: root });
    expect(r).toEqual({ stdout: "'src/z/f' -> 'dst-b/z/f'\nremoved 'dst-b/z/other'\n", stderr: "", exitCode: 0 });
    // rsync keeps z/secret by DEST's file; it removes "mine", which only SOURCE's file names (DEST has no copy of it yet).
    expect(readdirSync(`${root}/dst-r`).sort()).toEqual(["z"]);
    expect(readdirSync(`${root}/dst-b`).sort()).toEqual(["mine", "z"]);
    expect(readdirSync(`${root}/dst-b/z`).sort()).toEqual(readdirSync(`${root}/dst-r/z`).sort());
    expect(readdirSync(`${root}/dst-b/z`).sort()).toEqual([".gitignore", "f", "secret"]);
  });

  // rsync's receiver reads them in a directory it deletes too: blit removed all of one SOURCE lacks.
  testIf(noRsync)("--delete: DEST's per-directory files in a directory SOURCE lacks keep what they exclude, and the directory with it, as rsync's", () => {
    const root = sandbox("filter-dest-rules-gone");
    sh("mkdir -p src dst/old/deep && printf p > dst/old/precious && printf j > dst/old/junk && printf 'precious\\n' > dst/old/.gitignore && printf d > dst/old/deep/precious && printf e > dst/old/deep/else && cp -a dst dst-r && mv dst dst-b", root);
    const args = ["--delete", "--filter=:- .gitignore"];
    expect(run(["rsync", "-a", ...args, "src/", "dst-r/"], { cwd: root }).exitCode).toBe(0);
    const r = blit(["-aT", "-v", ...args, "src", "dst-b"], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual(["removed 'dst-b/old/.gitignore'", "removed 'dst-b/old/deep/else'", "removed 'dst-b/old/junk'"]);
    expect(Object.keys(tree(`${root}/dst-b`).entries).sort()).toEqual([".", "old", "old/deep", "old/deep/precious", "old/precious"]);
    expect(Object.keys(tree(`${root}/dst-b`).entries).sort()).toEqual(Object.keys(tree(`${root}/dst-r`).entries).sort());
  });

  // An include in DEST's own file decides, as in rsync's receiver: blit also asked the chain without DEST's files,
  // which went past it to a later exclude (SOURCE's `- *.tmp`, the command line's `--exclude=a`), and kept the file (helper-190).
  test.skipIf(noRsync !== undefined).each([
    ["an include under SOURCE's exclude", "printf -- '- *.tmp\\n' > src/.rsync-filter && touch src/a && mkdir -p dst/old && printf -- '+ keep.tmp\\n' > dst/old/.rsync-filter && printf s > dst/old/keep.tmp && cp src/.rsync-filter src/a dst/", ["--filter=: .rsync-filter"]],
    ["an include before the command line's exclude", "touch src/k && mkdir -p dst/x && printf -- '+ a\\n' > dst/x/.r && printf s > dst/x/a", ["--filter=: .r", "--exclude=a"]],
  ])("--delete: %s in a directory SOURCE lacks: removed, as rsync's", (_what, setup, rules) => {
    const root = sandbox("filter-dest-include");
    sh(`mkdir src && ${setup} && cp -a dst dst-r && mv dst dst-b`, root);
    expect(run(["rsync", "-r", "--delete", ...rules, "src/", "dst-r/"], { cwd: root }).exitCode).toBe(0);
    expect(blit(["-rT", "--delete", ...rules, "src", "dst-b"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(Object.keys(tree(`${root}/dst-b`).entries).sort()).toEqual(Object.keys(tree(`${root}/dst-r`).entries).sort());
    expect(existsSync(`${root}/dst-b/${rules.length === 1 ? "old" : "x"}`)).toBe(false);
  });

  // A .gitignore linked to a shared one: read through the link, as rsync reads it (it was taken for no file at all).
  testIf(noRsync)("a per-directory file that is a symlink is read through it, in SOURCE and with --delete in DEST, as rsync's", () => {
    const root = sandbox("filter-dir-symlink");
    sh("mkdir -p src/sub dst/old && printf 'top\\n' > src/shared && printf t > src/top && printf t > src/sub/top && ln -s shared src/.gitignore && ln -s ../shared src/sub/.gitignore", root);
    sh("printf 'keepme\\n' > dst/rules && printf p > dst/old/keepme && ln -s ../rules dst/old/.gitignore && cp -a dst dst-r && mv dst dst-b", root);
    const args = ["--delete", "--exclude=/rules", "--filter=:- .gitignore"];
    expect(run(["rsync", "-a", ...args, "src/", "dst-r/"], { cwd: root }).exitCode).toBe(0);
    expect(blit(["-aT", ...args, "src", "dst-b"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(Object.keys(tree(`${root}/dst-b`).entries).sort()).toEqual(Object.keys(tree(`${root}/dst-r`).entries).sort());
    expect(Object.keys(tree(`${root}/dst-b`).entries).sort()).toEqual([".", ".gitignore", "old", "old/keepme", "rules", "shared", "sub", "sub/.gitignore"]);
  });

  // Whoever may write SOURCE could point one at a file only this user may read (/etc/shadow, for root): its lines are not shown.
  test("a per-directory file of rules reached through a symlink, not rules: said without its text, the directory not copied", () => {
    const root = sandbox("filter-dir-symlink-bad");
    sh("mkdir -p src/sub && printf x > src/sub/f && printf 'topsecret\\n' > secret && ln -s ../../secret src/sub/.rules", root);
    expect(blit(["-aT", "--filter=: .rules", "src", "dst"], { cwd: root })).toEqual({
      stdout: "",
      stderr: "blit: 'src/sub/.rules' line 1: not a filter rule blit knows (its text is not shown: the file is reached through a symbolic link); 'src/sub' not copied\n",
      exitCode: 1,
    });
  });

  test("--delete: a per-directory file of DEST's that is not rules, in a directory SOURCE lacks: said, and nothing in that directory deleted", () => {
    const root = sandbox("filter-dest-rules-bad");
    sh("mkdir -p src dst/old/bad && printf j > dst/old/junk && printf x > dst/old/bad/f && printf 'bogus\\n' > dst/old/bad/.rules", root);
    const r = blit(["-aT", "-v", "--delete", "--filter=: .rules", "src", "dst"], { cwd: root });
    expect(r).toEqual({
      stdout: "removed 'dst/old/junk'\n",
      stderr: "blit: 'dst/old/bad/.rules' line 1: unsupported filter rule 'bogus' (blit knows '- PATTERN', '+ PATTERN', 'exclude PATTERN', 'include PATTERN' and '!', and in --filter ':- FILE', ':+ FILE' and ': FILE'); 'dst/old/bad' not deleted\n",
      exitCode: 1,
    });
    expect(Object.keys(tree(`${root}/dst`).entries).sort()).toEqual([".", "old", "old/bad", "old/bad/.rules", "old/bad/f"]);
  });

  // Per-directory rule files (rsync's dir-merge): .gitignore files at three levels, and .rules files of +/- and exclude/include lines.
  const PER_DIRECTORY_TREE = `mkdir -p src/a/b/c src/build src/a/build src/d src/a/secret src/d/secret && cd src &&
    printf '*.o\\n/build\\n# comment\\nsecret/\\n' > .gitignore && printf '*.tmp\\n/local\\nb/c/x.txt\\n' > a/.gitignore &&
    printf 'keep.o\\nc\\n' > a/b/.gitignore && printf '+ *.tmp\\n- *.txt\\n' > d/.rules && printf '+ keep.o\\n' > .rules && printf 'exclude local\\ninclude x.tmp\\n' > a/b/.rules &&
    for f in x.o y.txt build/f a/x.o a/y.tmp a/local a/b/local a/b/x.tmp a/b/c/x.txt a/b/c/y.txt a/build/z d/keep.o d/w.tmp d/v.txt a/secret/s d/secret/s; do
      printf '%s' "$f" > "$f"; done`;
  const PER_DIRECTORY: string[] = [
    "--filter=':- .gitignore'",
    "--include='*.o' --filter=':- .gitignore'",
    "--filter=':- .gitignore' --include='*.o'",
    "--exclude='*.txt' --filter=':- .gitignore'",
    "--filter=': .rules'",
    "--filter=': .rules' --filter=':- .gitignore'",
    "--filter=':- .gitignore' --filter=': .rules'",
    "--filter='- *.tmp' --filter='+ a/' --filter=':- .gitignore'",
  ];
  for (const args of PER_DIRECTORY) {
    testIf(noRsync)(`per-directory files: ${args}`, () => {
      const root = sandbox("filter-dir");
      sh(PER_DIRECTORY_TREE, root);
      const r = both(root, args);
      expect([r.stderr, r.exitCode]).toEqual(["", 0]);
      expect(Object.keys(r.blit.entries).sort()).toEqual(Object.keys(r.rsync.entries).sort());
    });
  }

  testIf(noRsync)("--delete keeps what a per-directory file excludes, as rsync does", () => {
    const root = sandbox("filter-dir-delete");
    sh(PER_DIRECTORY_TREE, root);
    sh("cp -a src dst && printf x > dst/a/new.tmp && printf y > dst/a/gone && printf z > dst/gone.o && mkdir dst/a/b/c/old && cp -a dst dst-r && mv dst dst-b", root);
    expect(run(["rsync", "-a", "--delete", "--filter=:- .gitignore", "src/", "dst-r/"], { cwd: root }).exitCode).toBe(0);
    const r = run([BLIT, "-aT", "--delete", "--skip-unchanged", "--filter=:- .gitignore", "src", "dst-b"], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(Object.keys(tree(`${root}/dst-b`).entries).sort()).toEqual(Object.keys(tree(`${root}/dst-r`).entries).sort());
  });

  // `: DIR/NAME` (rsync's -F is `: /.rsync-filter`): NAME in every directory
  // copied, and in those from DIR down to the one above SOURCE, DIR taken
  // from SOURCE where relative; an anchored line read above is matched from
  // its own directory (`/src/x1` in top/.rules is SOURCE's x1).
  const ABOVE_TREE = `mkdir -p top/src/d/sub top/src/sub && printf -- '- a*\\n- /src/x1\\n- /d/c1\\n' > top/.rules && printf -- '- b*\\n' > .rules &&
    printf -- '- c*\\n' > top/src/sub/.rules && printf -- '- y*\\n' > top/src/d/.rules && printf 'z*\\n' > top/.ign &&
    for f in a1 b1 c1 x1 y1 z1; do printf x > top/src/$f && printf x > top/src/d/$f && printf x > top/src/sub/$f; done`;
  const ABOVE: string[] = [
    "--filter=': /.rules'",
    "--filter=': ../.rules'",
    "--filter=': ../../.rules'",
    "--filter=': ./.rules'",
    "--filter=': top/.rules'",
    "--filter=': sub/.rules'",
    "--filter=': ../../../nowhere/.rules'",
    "--filter=\": $PWD/top/.rules\"",
    "--filter=':- ../.ign'",
    "--filter=': /.rules' --filter=':- /.ign' --include='a1'",
  ];
  for (const args of ABOVE) {
    testIf(noRsync)(`per-directory files read above SOURCE: ${args}`, () => {
      const root = sandbox("filter-above");
      sh(ABOVE_TREE, root);
      sh(`rsync -a ${args} top/src/ r`, root);
      const r = run(["sh", "-c", `"${BLIT}" -aT ${args} top/src b`], { cwd: root });
      expect([r.stderr, r.exitCode]).toEqual(["", 0]);
      expect(Object.keys(tree(`${root}/b`).entries).sort()).toEqual(Object.keys(tree(`${root}/r`).entries).sort());
    });
  }

  testIf(noRsync)("--delete: files read above DEST keep what they exclude, anchored lines from their own directory, as rsync's receiver reads them", () => {
    const root = sandbox("filter-above-dest");
    sh("mkdir -p s dd/d && printf x > s/x && printf -- '- keep*\\n- /d/mine\\n- /mine2\\n' > dd/.rules && for f in keep1 mine mine2 gone; do printf x > dd/d/$f; done && cp -a dd dr", root);
    expect(run(["rsync", "-a", "--delete", "--filter=: /.rules", "s/", "dr/d/"], { cwd: root }).exitCode).toBe(0);
    const r = blit(["-aT", "-v", "--delete", "--filter=: /.rules", "s", "dd/d"], { cwd: root });
    expect([r.stdout.split("\n").sort(), r.stderr, r.exitCode]).toEqual([["", "'s/x' -> 'dd/d/x'", "removed 'dd/d/gone'", "removed 'dd/d/mine2'"], "", 0]);
    expect(Object.keys(tree(`${root}/dd/d`).entries).sort()).toEqual(Object.keys(tree(`${root}/dr/d`).entries).sort());
  });

  // rsync's -F: `: /.rsync-filter`; a second -F adds `- .rsync-filter`, in its place among the rules.
  for (const flags of ["-F", "-FF", "-FFF", "-F --exclude=c", "--exclude=c -FF", "-F --include='*.tmp'"]) {
    testIf(noRsync)(`${flags}, as rsync's`, () => {
      const root = sandbox("filter-F");
      sh(`mkdir -p top/src/d && printf -- '- *.o\\n' > top/.rsync-filter && printf -- '- *.tmp\\n' > top/src/.rsync-filter && printf -- '- keep\\n' > top/src/d/.rsync-filter &&
        touch top/src/a.o top/src/b.tmp top/src/c top/src/keep top/src/d/x.o top/src/d/keep top/src/d/y top/src/d/z.tmp && rsync -a ${flags} top/src/ r`, root);
      const r = run(["sh", "-c", `"${BLIT}" -aT ${flags} top/src b`], { cwd: root });
      expect([r.stdout, r.stderr, r.exitCode]).toEqual(["", "", 0]);
      expect(Object.keys(tree(`${root}/b`).entries).sort()).toEqual(Object.keys(tree(`${root}/r`).entries).sort());
    });
  }

  // A deploy's `current -> releases/7`, the rules beside `current`: rsync climbs the path as given.
  testIf(noRsync)("SOURCE and DEST through a symlink: the files above the link's name are read, not those above where it leads, as rsync", () => {
    const root = sandbox("filter-above-link");
    sh(`mkdir -p top1/src top2 dt1/d dt2 && touch top1/src/a top1/src/b top1/src/c && printf -- '- a\\n' > top1/.rf && printf -- '- b\\n' > top2/.rf &&
      ln -s ../top1/src top2/link && ln -s ../dt1/d dt2/dl && printf -- '- keepA\\n' > dt1/.rf && printf -- '- keepB\\n' > dt2/.rf`, root);
    for (const rule of [": /.rf", ": ../.rf"]) {
      sh(`rm -rf r b && rsync -a --filter='${rule}' top2/link/ r`, root);
      expect(blit(["-aT", `--filter=${rule}`, "top2/link/", "b"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(readdirSync(`${root}/b`).sort()).toEqual(readdirSync(`${root}/r`).sort());
      expect(readdirSync(`${root}/b`).sort()).toEqual(["a", "c"]);
      sh("touch dt1/d/keepA dt1/d/keepB dt1/d/junk", root);
      expect(blit(["-aT", "--delete", `--filter=${rule}`, "top1/src", "dt2/dl/"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      const mine = readdirSync(`${root}/dt1/d`).sort();
      sh(`touch dt1/d/keepA dt1/d/keepB dt1/d/junk && rsync -a --delete --filter='${rule}' top1/src/ dt2/dl/`, root);
      expect(mine).toEqual(readdirSync(`${root}/dt1/d`).sort());
      expect(mine).toEqual(["b", "c", "keepB"]);
    }
  });

  test("a file read above SOURCE that is not rules: said with its path, SOURCE not copied; a name ending in '/' is a usage error", () => {
    const root = sandbox("filter-above-bad");
    sh("mkdir -p top/src && printf x > top/src/f && printf 'bogus\\n' > top/.rules", root);
    expect(blit(["-aT", "--filter=: ../.rules", "top/src", "dst"], { cwd: root })).toEqual({
      stdout: "",
      stderr: `blit: '${realpathSync(root)}/top/.rules' line 1: unsupported filter rule 'bogus' (blit knows '- PATTERN', '+ PATTERN', 'exclude PATTERN', 'include PATTERN' and '!', and in --filter ':- FILE', ':+ FILE' and ': FILE'); 'top/src' not copied\n`,
      exitCode: 1,
    });
    expect(Object.keys(tree(`${root}/dst`).entries)).toEqual(["."]);
    expect(blit(["-aT", "--filter=: sub/", "top/src", "dst2"], { cwd: root })).toEqual({ stdout: "", stderr: "blit: per-directory file name 'sub/' ends in '/'\nTry 'blit --help' for more information.\n", exitCode: 2 });
  });

  // rsync stops the whole run at a bad line (exit 1); blit says where it is and copies nothing of that
  // directory. A file naming another is rsync's, not blit's: refused the same way.
  test.each([
    ["b", "unsupported filter rule 'b' (blit knows '- PATTERN', '+ PATTERN', 'exclude PATTERN', 'include PATTERN' and '!', and in --filter ':- FILE', ':+ FILE' and ': FILE')", 1],
    ["- ", "filter rule '- ' has no pattern", 1],
    [":- .gitignore", "a per-directory file cannot name another", 0],
  ])("a line %j in a ': NAME' file is an error naming the file and line; that directory is not copied", (line, problem, rsyncExit) => {
    const root = sandbox("filter-dir-bad");
    sh(`mkdir -p src/sub/deep && printf a > src/a && printf b > src/sub/b && printf c > src/sub/deep/c && printf '# rules\\n\\n- a\\r\\n%s\\n' '${line}' > src/sub/.rules`, root);
    if (!noRsync) expect(run(["rsync", "-a", "--filter=: .rules", "src/", "r/"], { cwd: root }).exitCode).toBe(rsyncExit);
    expect(blit(["-aT", "--filter=: .rules", "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: `blit: 'src/sub/.rules' line 4: ${problem}; 'src/sub' not copied\n`, exitCode: 1 });
    expect(Object.keys(tree(`${root}/dst`).entries).sort()).toEqual([".", "a", "sub"]);
  });

  // Its times are not set (they would make it look complete): --itemize told them as set, on every run.
  test("--skip-unchanged: a directory that was there whose rules cannot be read gets its mode, not its times, and --itemize tells only the mode", () => {
    const root = sandbox("filter-dir-bad-again");
    sh("mkdir -p src/sub && printf b > src/sub/b && cp -a src dst && printf 'bogus\\n' > src/sub/.rules && chmod 700 src/sub && touch -d 2002-01-01 src/sub src", root);
    const stderr = "blit: 'src/sub/.rules' line 1: unsupported filter rule 'bogus' (blit knows '- PATTERN', '+ PATTERN', 'exclude PATTERN', 'include PATTERN' and '!', and in --filter ':- FILE', ':+ FILE' and ': FILE'); 'src/sub' not copied\n";
    const mtime = () => sh("stat -c %y dst/sub", root);
    const before = mtime();
    expect(blit(["-aT", "--skip-unchanged", "--itemize", "--filter=: .rules", "src", "dst"], { cwd: root })).toEqual({ stdout: ".d..t...... dst/\n.d...p..... dst/sub/\n", stderr, exitCode: 1 });
    expect([sh("stat -c %a dst/sub", root), mtime()]).toEqual(["700\n", before]);
    expect(blit(["-aT", "--skip-unchanged", "--itemize", "--filter=: .rules", "src", "dst"], { cwd: root })).toEqual({ stdout: ".d          dst/\n.d          dst/sub/\n", stderr, exitCode: 1 });
  });

  test("a rules file with old Mac line ends (a lone \\r): the bad line's number counts them", () => {
    const root = sandbox("filter-dir-cr");
    sh("mkdir -p src/sub && printf b > src/sub/b && printf -- '- a\\r# c\\r- \\r' > src/sub/.rules", root);
    expect(blit(["-aT", "--filter=: .rules", "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "blit: 'src/sub/.rules' line 3: filter rule '- ' has no pattern; 'src/sub' not copied\n", exitCode: 1 });
  });

  // Rules and the names of rules files are shown as names are ($'\033' segments), never raw: a line
  // of a ': NAME' file in SOURCE could otherwise retitle or clear the terminal of whoever copies the tree.
  const KNOWS = "(blit knows '- PATTERN', '+ PATTERN', 'exclude PATTERN', 'include PATTERN' and '!', and in --filter ':- FILE', ':+ FILE' and ': FILE')";
  const USAGE = "\nTry 'blit --help' for more information.\n";
  test.each([
    ["a line of a ': NAME' file", ["--filter=: .rules"], `blit: 'src/.rules' line 1: unsupported filter rule ''$'\\033'']0;x'$'\\a\\033''[2J'$'\\377' ${KNOWS}; 'src' not copied\n`, 1],
    ["a --filter rule", ["--filter=\x1b[2J"], `blit: unsupported filter rule ''$'\\033''[2J' ${KNOWS}${USAGE}`, 2],
    ["a --exclude-from file that is missing", ["--exclude-from=\x1b[2J"], `blit: cannot read filter file ''$'\\033''[2J': No such file or directory${USAGE}`, 2],
    ["an --exclude-from file with a rule of no pattern", ["--exclude-from=r\x1b[1m"], `blit: filter rule '- ' has no pattern in 'r'$'\\033''[1m'${USAGE}`, 2],
  ])("%s is quoted in the message, no control byte raw", (_, options, stderr, exitCode) => {
    const root = sandbox("filter-quoted");
    sh(`mkdir src && printf '\\033]0;x\\007\\033[2J\\377\\n' > src/.rules && printf -- '- \\n' > "$(printf 'r\\033[1m')"`, root);
    expect(blit(["-aT", ...options, "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr, exitCode });
  });

  test("a --filter rule blit does not know is a usage error", () => {
    const r = run([BLIT, "-a", "--filter=merge rules", "src", "dst"], { cwd: sandbox("filter-bad") });
    expect(r.stderr).toBe("blit: unsupported filter rule 'merge rules' (blit knows '- PATTERN', '+ PATTERN', 'exclude PATTERN', 'include PATTERN' and '!', and in --filter ':- FILE', ':+ FILE' and ': FILE')\nTry 'blit --help' for more information.\n");
    expect(r.exitCode).toBe(2);
  });

  test("a rule with no pattern ('- ', '+ ') is a usage error, as rsync's 'unexpected end of filter rule'; an empty filter option adds no rule, as rsync ignores it", () => {
    const root = sandbox("filter-no-pattern");
    sh("mkdir src && printf a > src/a && printf 'x\\n- \\n' > rules", root);
    for (const option of ["--filter=- ", "--filter=+ ", "--exclude=- ", "--include=+ ", "--exclude-from=rules"]) {
      const rule = option.endsWith("rules") ? "'- ' has no pattern in 'rules'" : `'${option.slice(option.indexOf("=") + 1)}' has no pattern`;
      expect(blit(["-a", option, "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: `blit: filter rule ${rule}\nTry 'blit --help' for more information.\n`, exitCode: 2 });
    }
    expect(existsSync(`${root}/dst`)).toBe(false);
    // A script passing an empty variable: rsync copies everything, and so does blit.
    for (const option of ["--exclude=", "--include=", "--filter=", "--exclude-from=", "--include-from="]) {
      const dst = `dst${option.replace(/\W/g, "")}`;
      expect({ option, ...blit(["-a", option, "src", dst], { cwd: root }) }).toEqual({ option, stdout: "", stderr: "", exitCode: 0 });
      expect(readdirSync(`${root}/${dst}`)).toEqual(["a"]);
    }
  });

  test("an excluded directory is not entered: its entries are neither copied nor looked at", () => {
    const root = sandbox("filter-skip");
    sh("mkdir -p src/secret/deeper && printf x > src/secret/deeper/f && printf x > src/secret/h && printf y > src/g", root);
    const r = run([BLIT, "-aT", "--stats", "--exclude=secret", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    // Entered, its two entries would have been counted as copied or excluded too.
    const s = stats(r.stdout);
    expect([s.files, s.directories, s.excluded]).toEqual(["1", "1", "1"]);
  });

  test("--skip-unchanged: a file excluded that DEST holds unchanged (copied before the rule) is counted as excluded, not as unchanged", () => {
    const root = sandbox("filter-again");
    sh("mkdir -p src/sub && printf a > src/sub/a.log && printf b > src/sub/b && cp -a src dst", root);
    const r = run([BLIT, "-aT", "--stats", "--skip-unchanged", "--exclude=*.log", "src", "dst"], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    const s = stats(r.stdout);
    expect([s.files, s.excluded, s.unchanged]).toEqual(["0", "1", "1"]);
  });

  test("--exclude-from=- reads its patterns from standard input", () => {
    const root = sandbox("filter-stdin");
    sh("mkdir -p src/sub && printf a > src/a && printf b > src/b.log && printf c > src/sub/c.log", root);
    const r = blit(["-a", "--exclude-from=-", "src", "dst"], { cwd: root, stdin: "# logs\n*.log\n" });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readdirSync(`${root}/dst`, { recursive: true }).sort()).toEqual(["a", "sub"]);
  });

  test("a filter file that cannot be read is a usage error", () => {
    const root = sandbox("filter-missing");
    const r = run([BLIT, "-a", "--exclude-from=nope", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("blit: cannot read filter file 'nope': No such file or directory\nTry 'blit --help' for more information.\n");
    expect(r.exitCode).toBe(2);
  });
});
