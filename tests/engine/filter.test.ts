// --include, --exclude and their -from files, rule by rule against rsync
// itself: the same filter arguments, `rsync -a ARGS src/ r` and
// `blit -aT ARGS src b`, must leave the same trees (names compared as bytes).
// Arguments go through sh so that bytes that are not UTF-8 reach both as bytes.

import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { BLIT, blit, hasCommand, run, sh, stats } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { tree } from "../helpers/tree.ts";

const noRsync = hasCommand("rsync") ? undefined : "rsync is not installed";

const TREE = `mkdir -p src/dir1/sub src/dir2/build src/build src/logs src/.cache src/keep.txt.d &&
  cd src && for f in a.txt b.log c.o README .hidden dir1/a.txt dir1/x.log dir1/sub/deep.o dir1/sub/y.txt dir2/build/out.o \\
    dir2/keep.txt build/f logs/l1.log logs/l22.log .cache/c 'name with space.txt' '[br]acket' 'q?mark' qXmark 'star*' keep.txt.d/in; do
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
  "--exclude='.*'",
  "--exclude='keep.txt/' --exclude='keep.txt.d/'",
  "--exclude='dir2/build/'",
  "--exclude='/dir2/build/***'",
  "--exclude='*/sub/*'",
  "--exclude='q\\?mark'",
  "--exclude='star\\*'",
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
  // dir/*** is the directory dir (as dir/) and what is below it: a file of that name stays.
  "--exclude='keep.txt/***' --exclude='dir1/***'",
  "--exclude='**/keep.txt/***'",
  "--include='**/sub/***' --include='*/' --exclude='*'",
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

  testIf(noRsync)("--exclude-from and --include-from: comments, blank lines, +/- prefixes, a name that is not UTF-8, first match wins across options", () => {
    const root = sandbox("filter-from");
    sh(TREE, root);
    sh(`printf '# comment\\n; another\\n\\n*.o\\n+ logs/l1.log\\nlogs/\\n%s\\n' "$(printf 'bad-\\377.bin')" > ex && printf 'dir1/x.log\\n- README\\n' > in`, root);
    const r = both(root, "--include-from=in --exclude='*.log' --exclude-from=ex");
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(Object.keys(r.blit.entries).sort()).toEqual(Object.keys(r.rsync.entries).sort());
  });

  testIf(noRsync)("CRLF lines: --exclude-from and a per-directory file of rules drop the \\r (their names stay protected from --delete), a per-directory file of patterns keeps it, as rsync", () => {
    const root = sandbox("filter-crlf");
    sh(`mkdir src && printf a > src/a && printf j > src/junk && printf 'extra\\r\\nfile9\\r\\n' > ex && printf 'gone\\r\\n' > src/.rules && printf -- '- junk\\r\\n' > src/.ff`, root);
    const mirror = (args: string, out: string, tool: string) =>
      sh(`mkdir ${out} && touch ${out}/extra ${out}/file9 ${out}/gone && ${tool === "rsync" ? `rsync -a --delete ${args} src/ ${out}/` : `"${BLIT}" -aT --delete ${args} src ${out}`}`, root);
    for (const [args, name] of [["--exclude-from=ex", "from"], ["--filter=':- .rules'", "merge"]] as const) {
      mirror(args, `r-${name}`, "rsync");
      mirror(args, `b-${name}`, "blit");
      expect(readdirSync(`${root}/b-${name}`).sort()).toEqual(readdirSync(`${root}/r-${name}`).sort());
    }
    expect(readdirSync(`${root}/b-from`).sort()).toEqual([".ff", ".rules", "a", "extra", "file9", "junk"]);
    // A file of rules: "- junk\r" excludes junk. (Compared without --delete: rsync reads per-directory
    // rules for its deletions from DEST's copy of the file, which is not there yet.)
    sh(`rsync -a --filter=': .ff' src/ r-rules/ && "${BLIT}" -aT --filter=': .ff' src b-rules`, root);
    expect(readdirSync(`${root}/b-rules`).sort()).toEqual(readdirSync(`${root}/r-rules`).sort());
    expect(readdirSync(`${root}/b-rules`).sort()).toEqual([".ff", ".rules", "a"]);
  });

  // Per-directory rule files (rsync's dir-merge): .gitignore files at three levels, and a .rules file of +/- lines.
  const PER_DIRECTORY_TREE = `mkdir -p src/a/b/c src/build src/a/build src/d src/a/secret src/d/secret && cd src &&
    printf '*.o\\n/build\\n# comment\\nsecret/\\n' > .gitignore && printf '*.tmp\\n/local\\nb/c/x.txt\\n' > a/.gitignore &&
    printf 'keep.o\\nc\\n' > a/b/.gitignore && printf '+ *.tmp\\n- *.txt\\n' > d/.rules && printf '+ keep.o\\n' > .rules &&
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

  test("a --filter rule blit does not know is a usage error", () => {
    const r = run([BLIT, "-a", "--filter=merge rules", "src", "dst"], { cwd: sandbox("filter-bad") });
    expect(r.stderr).toBe("blit: unsupported filter rule 'merge rules' (blit knows '- PATTERN', '+ PATTERN', ':- FILE', ':+ FILE' and ': FILE')\nTry 'blit --help' for more information.\n");
    expect(r.exitCode).toBe(2);
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
