// GNU cp semantics, case by case: the same command runs through cp and
// through blit on identical trees; the trees, exit statuses and messages
// that result must agree.

import { describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { blit, run, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { snapshot, tree } from "../helpers/tree.ts";

const FIXTURE = `
mkdir -p src/sub/deep d empty
printf hello > src/a
printf world > src/sub/b
: > src/zero
ln -s a src/rel-link
ln -s /etc/hostname src/abs-link
ln -s nowhere src/dangling
ln -s sub src/dir-link
mkfifo src/fifo
chmod 640 src/a
chmod 750 src/sub
printf x > f
printf y > g
mkdir sub2 && printf z > sub2/f
touch -d '2001-02-03 04:05:06.123456789' src/a src/sub/b src/sub/deep src/sub src
`;

interface Case {
  name: string;
  args: string[];
  /** Extra set-up after the fixture. */
  setup?: string;
  /** Compare nanosecond mtimes (cases that preserve them), except of these paths. */
  times?: boolean;
  skipTimesOf?: string[];
  /** cp says 1 for usage errors; blit says 2 (documented). */
  usage?: boolean;
  /**
   * blit refuses before writing anything, where cp copies part of the tree
   * and then fails: the tree must be left as it was.
   */
  refusedWhole?: boolean;
}

const CASES: Case[] = [
  { name: "file to a new file", args: ["f", "new"] },
  { name: "file over an existing file", args: ["f", "g"] },
  { name: "file into a directory", args: ["f", "d"] },
  { name: "files into a directory", args: ["f", "g", "d"] },
  { name: "-r directory to a new name", args: ["-r", "src", "new"] },
  { name: "-r directory into an existing directory", args: ["-r", "src", "d"] },
  { name: "-r source with trailing slash", args: ["-r", "src/", "d"] },
  { name: "-r new destination with trailing slash", args: ["-r", "src", "new/"] },
  { name: "-r contents through src/.", args: ["-r", "src/.", "d"] },
  { name: "-R is -r", args: ["-R", "src", "new"] },
  { name: "-a tree", args: ["-a", "src", "out"], times: true },
  { name: "-a into an existing directory", args: ["-a", "src", "d"], times: true, skipTimesOf: ["d"] },
  { name: "-a directory without write permission", setup: "chmod 555 src/sub", args: ["-a", "src", "out"], times: true },
  { name: "-p file", args: ["-p", "src/a", "out"], times: true },
  { name: "-rL follows every symlink", args: ["-rL", "src", "out"] },
  { name: "-rH follows a symlink operand", args: ["-rH", "src/dir-link", "out"] },
  { name: "-r copies a symlink operand as a link", args: ["-r", "src/dir-link", "out"] },
  { name: "without -r a symlink operand is followed", args: ["src/rel-link", "out"] },
  { name: "-P copies a symlink operand as a link", args: ["-P", "src/rel-link", "out"] },
  { name: "-aL: the last of -a/-L wins", args: ["-aL", "src", "out"], times: true, skipTimesOf: ["out/dir-link", "out/rel-link", "out/abs-link"] },
  { name: "-n keeps an existing file", args: ["-n", "f", "g"] },
  { name: "-n copies what does not exist", args: ["-rn", "src", "d"] },
  { name: "-t directory", args: ["-t", "d", "f", "g"] },
  { name: "-T treats an existing directory as the name", args: ["-rT", "src", "d"] },
  { name: "-f replaces", args: ["-f", "f", "g"] },
  { name: "odd names", setup: `mkdir names && cd names && touch -- 'sp ace' '-dash' "$(printf 'new\\nline')" "$(printf 'bad\\377\\376')" "$(printf 'caf\\303\\251')" "$(printf 'cafe\\314\\201')" "$(printf '%0255d' 7)"`, args: ["-a", "names", "out"], times: true },
  { name: "symlink over an existing file", args: ["-P", "src/rel-link", "f"] },
  // Without -r cp reads a fifo or a device like a file; with -r it makes a new one.
  { name: "without -r a device is read: /dev/null gives an empty file", args: ["/dev/null", "out"] },
  { name: "-p keeps a device's mode and times on the file read from it", args: ["-p", "/dev/null", "out"], times: true },
  { name: "with -r a device is made anew", args: ["-r", "/dev/null", "out"] },
  { name: "DEST a socket cannot be written", setup: "python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('sock')\"", args: ["f", "sock"] },
  { name: "without -r a socket cannot be opened", setup: "python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('sock')\"", args: ["sock", "out"] },
  // Refusals: nothing is written, one message, exit 1.
  { name: "directory without -r", args: ["src", "out"] },
  { name: "directory into itself", args: ["-r", "src", "src/sub"], refusedWhole: true },
  { name: "directory into itself through .", args: ["-r", ".", "d"], refusedWhole: true },
  { name: "same file", args: ["f", "f"] },
  { name: "same file through a symlink", args: ["src/rel-link", "src/a"] },
  { name: "missing source", args: ["nope", "out"] },
  { name: "missing source among others", args: ["nope", "f", "d"] },
  { name: "target of several sources missing", args: ["f", "g", "nope"] },
  { name: "target of several sources not a directory", args: ["f", "g", "src/a"] },
  { name: "file over a directory", setup: "mkdir -p d/f", args: ["f", "d"] },
  { name: "directory over a file", args: ["-r", "src", "f"] },
  { name: "file into a missing directory", args: ["f", "missing/"] },
  { name: "same source twice", args: ["f", "f", "d"] },
  { name: "two sources with one name", args: ["f", "sub2/f", "d"] },
  { name: "-rL dangling symlink", setup: "rm src/fifo", args: ["-rL", "src", "out"] },
  // Operand shapes: empty, "/", "..", repeated and trailing slashes, a leading "-".
  { name: "empty SOURCE", args: ["", "out"] },
  { name: "empty SOURCE into a directory", args: ["", "d"] },
  { name: "empty SOURCE and DEST", args: ["", ""] },
  { name: "empty DEST", args: ["f", ""] },
  { name: "empty DEST with -T", args: ["-T", "f", ""] },
  { name: "empty DEST among several sources", args: ["f", "", "d"] },
  { name: "empty target directory", args: ["-t", "", "f"] },
  { name: "empty target directory and SOURCE", args: ["-t", "", ""] },
  { name: "/ without -r", args: ["/", "out"] },
  { name: "a directory's .. goes into DEST itself, not DEST/..", args: ["-r", "src/sub/..", "d"] },
  { name: "a directory's ../ with -a", args: ["-a", "src/sub/../", "d"], times: true, skipTimesOf: ["d"] },
  { name: ".. into a directory inside it", args: ["-r", "..", "d"], refusedWhole: true },
  { name: "repeated slashes on both operands", args: ["-r", "src//", "d//"] },
  { name: "DEST named through /.", args: ["f", "d/."] },
  { name: "target directory with a trailing slash", args: ["-t", "d/", "f"] },
  { name: "SOURCE starting with - after --", setup: "printf q > ./-dash", args: ["--", "-dash", "d"] },
  // The same file, or not, when SOURCE is not followed (cp's same_file_ok).
  { name: "-d two symlinks to one file: the link is copied", setup: "ln -s a src/rel-link2", args: ["-d", "src/rel-link", "src/rel-link2"] },
  { name: "-P two symlinks to one file", setup: "ln -s a src/rel-link2", args: ["-P", "src/rel-link", "src/rel-link2"] },
  { name: "-d two names of one symlink: nothing to do", setup: "ln src/rel-link src/link-name", args: ["-d", "src/rel-link", "src/link-name"] },
  { name: "-d a symlink onto itself", args: ["-d", "src/rel-link", "src/rel-link"] },
  { name: "-P a symlink onto the file it names", args: ["-P", "src/rel-link", "src/a"] },
  { name: "-d a file onto a symlink to it", args: ["-d", "src/a", "src/rel-link"] },
  { name: "-d a file onto another name of it", setup: "ln src/a src/a-name", args: ["-d", "src/a", "src/a-name"] },
  { name: "-P a symlink onto the symlink it names", setup: "ln -s rel-link src/link-link", args: ["-P", "src/link-link", "src/rel-link"] },
  { name: "-H two symlinks to one file are the same file", setup: "ln -s a src/rel-link2", args: ["-H", "src/rel-link", "src/rel-link2"] },
  // --preserve=links also links files reached through symlinks that are followed.
  { name: "--preserve=links -R -H: a file and a symlink operand to it become one inode", args: ["--preserve=links", "-R", "-H", "src/a", "src/rel-link", "d"] },
  { name: "--preserve=links without -r: two operands naming one file", args: ["--preserve=links", "src/a", "src/rel-link", "d"] },
  { name: "-a -L: a file and a symlink to it in the tree become one inode", setup: "rm src/fifo src/dangling", args: ["-a", "-L", "src", "out"], times: true, skipTimesOf: ["out/dir-link", "out/rel-link", "out/abs-link"] },
  { name: "-T with a third operand", args: ["-T", "f", "g", "d"], usage: true },
  { name: "missing destination operand", args: ["f"], usage: true },
  { name: "no operands", args: [], usage: true },
  { name: "unknown long option", args: ["--bogus", "f", "g"], usage: true },
  { name: "unknown short option", args: ["-J", "f", "g"], usage: true },
];

/** Sorted lines: workers may report in any order. */
function normalise(stderr: string, tool: string): string[] {
  return stderr
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.replaceAll(`${tool}: `, "TOOL: ").replaceAll(`'${tool} --help'`, "'TOOL --help'"))
    .sort();
}

describe("blit agrees with cp", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const root = sandbox("cp");
      sh(`mkdir ref mine && cd ref && ${FIXTURE} ${c.setup ?? ""}`, root);
      // The same tree twice, times and all.
      sh("rmdir mine && cp -a ref mine", root);
      const before = snapshot(`${root}/mine`, { times: true });
      const byCp = run(["cp", ...c.args], { cwd: `${root}/ref` });
      const byBlit = blit(c.args, { cwd: `${root}/mine` });

      if (c.refusedWhole) {
        expect(snapshot(`${root}/mine`, { times: true })).toEqual(before);
      } else {
        const options = { times: c.times, skipTimesOf: c.skipTimesOf };
        expect(tree(`${root}/mine`, options)).toEqual(tree(`${root}/ref`, options));
      }
      expect(normalise(byBlit.stderr, "blit")).toEqual(normalise(byCp.stderr, "cp"));
      expect(byBlit.stdout).toBe(byCp.stdout);
      expect(byBlit.exitCode).toBe(c.usage ? 2 : byCp.exitCode);
    });
  }
});

// A regression here would write into the real root directory, so the tree
// copied holds one file with a name nothing else uses, looked for there.
describe("an empty DEST names nothing, not /", () => {
  for (const args of [["-v", "-r"], ["-v", "-rT"], ["-a"]]) {
    test(`blit ${args.join(" ")} SRC ''`, () => {
      const root = sandbox("empty-dest");
      const probe = `blit-empty-dest-probe-${process.pid}`;
      sh(`mkdir src && printf x > src/${probe}`, root);
      try {
        const r = blit([...args, "src", ""], { cwd: root });
        expect(r.stderr).toBe("blit: cannot create directory '': No such file or directory\n");
        expect(r.stdout).toBe("");
        expect(r.exitCode).toBe(1);
        expect(existsSync(`/${probe}`)).toBe(false);
      } finally {
        rmSync(`/${probe}`, { force: true });
      }
    });
  }
});

// Workers list in any order: the lines are compared as sets.
describe("-v lists what it creates, as cp -v", () => {
  const VERBOSE: { name: string; setup: string; args: string[] }[] = [
    { name: "a directory that exists in DEST is not listed", setup: "mkdir -p A/sub B/A && printf x > A/f", args: ["-av", "A", "B"] },
    { name: "a new tree is listed whole", setup: "mkdir -p A/sub B && printf x > A/sub/f", args: ["-rv", "A", "B"] },
    { name: "a directory's .. into DEST: DEST itself is not listed", setup: "mkdir -p A/sub B && printf x > A/f", args: ["-rv", "A/sub/..", "B"] },
  ];
  for (const c of VERBOSE) {
    test(c.name, () => {
      const root = sandbox("verbose");
      sh(`mkdir ref mine && cd ref && ${c.setup} && cd ../mine && ${c.setup}`, root);
      const byCp = run(["cp", ...c.args], { cwd: `${root}/ref` });
      const byBlit = blit(c.args, { cwd: `${root}/mine` });
      expect(byBlit.stdout.split("\n").sort()).toEqual(byCp.stdout.split("\n").sort());
      expect(byBlit.stderr).toBe(byCp.stderr);
      expect(byBlit.exitCode).toBe(byCp.exitCode);
      expect(tree(`${root}/mine`)).toEqual(tree(`${root}/ref`));
    });
  }
});
