// The command line: getopt-style parsing, values, and usage errors (exit 2).

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { BLIT, blit, run, sh, stats } from "./helpers/blit.ts";
import { sandbox } from "./helpers/sandbox.ts";
import { snapshot } from "./helpers/tree.ts";

const pkg = JSON.parse(readFileSync(`${import.meta.dir}/../package.json`, "utf8")) as { version: string };

describe("information", () => {
  test("--version", () => {
    const r = blit(["--version"]);
    // The version from package.json, the commit built (-dirty with changes; a
    // commit of this repository) and the target.
    const match = /^blit (\S+) \(commit ([0-9a-f]{12})(-dirty)?, linux-x64\)\n$/.exec(r.stdout);
    expect({ ...r, stdout: match ? "" : r.stdout }).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(match![1]).toBe(pkg.version);
    expect(run(["git", "-C", `${import.meta.dir}/..`, "cat-file", "-e", `${match![2]}^{commit}`]).exitCode).toBe(0);
    // After other options too.
    expect(blit(["-v", "--version"])).toEqual(r);
  });

  test("--help shows usage, every option, examples and exit codes", () => {
    const r = blit(["--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    for (const text of ["Usage:", "blit doctor [PATH]", "-a, --archive", "-r, -R, --recursive", "-n, --no-clobber", "--reflink[=WHEN]", "-l, --link", "-s, --symbolic-link", "--remove-destination", "-x, --one-file-system", "--strip-trailing-slashes", "-j, --jobs=N", "Examples:", "Exit status:", "  2    the command line was wrong", "  24   everything else was copied"]) {
      expect(r.stdout).toContain(text);
    }
    expect(r.stdout).not.toContain("\u001b[");
    // Each line fits an 80-column terminal, as cp's and rsync's --help do.
    expect(r.stdout.split("\n").filter((line) => line.length >= 80)).toEqual([]);
  });

  // cp's getopt loop exits at whichever of the two comes first.
  test("--help and --version together: the first one says its piece, as cp", () => {
    const help = blit(["--help"]);
    const version = blit(["--version"]);
    expect(blit(["--version", "--help"])).toEqual(version);
    expect(blit(["--help", "--version"])).toEqual(help);
    expect(blit(["--vers", "-h", "a", "b"])).toEqual(version);
  });

  // cp's getopt loop takes options in order: what follows --help or --version
  // is never read, and a bad option or value before it is reported instead.
  // What cp checks after the loop comes in cp's order. "cp": blit's message is
  // cp's (first line), exit 2 where cp's is 1.
  const IN_ORDER: [args: string[], says: "help" | "version" | "cp"][] = [
    [["--help", "--bogus"], "help"],
    [["--help", "-Q"], "help"],
    [["--help", "--verbose=1"], "help"],
    [["--help", "--target-directory"], "help"],
    [["--version", "--bogus"], "version"],
    [["--sparse=bogus", "--help"], "cp"],
    [["--preserve=bogus", "--help"], "cp"],
    [["-t", "a", "-t", "b", "--help"], "cp"],
    [["--sparse=bogus", "--bogus"], "cp"],
    [["--reflink=bogus", "-Q"], "cp"],
    [["-t", "a", "-t", "b", "--preserve=bogus"], "cp"],
    [["-l", "-s", "-t", "e", "-T", "f"], "cp"],
    [["-b", "-n", "-t", "e", "-T", "f"], "cp"],
    [["-t", "e", "-T"], "cp"],
  ];
  test.each(IN_ORDER)("%p: %s, as cp's getopt loop takes them", (args, says) => {
    const root = sandbox("usage-order");
    const r = blit(args, { cwd: root });
    if (says !== "cp") {
      expect(r).toEqual(blit([`--${says}`]));
      return;
    }
    const cp = run(["cp", ...args], { cwd: root, env: { LC_ALL: "C" } });
    const first = (text: string) => text.split("\n")[0]!.replace(/^cp:/, "blit:");
    expect({ stdout: r.stdout, stderr: first(r.stderr), exitCode: r.exitCode }).toEqual({ stdout: "", stderr: first(cp.stderr), exitCode: cp.exitCode === 1 ? 2 : cp.exitCode });
  });
});

// Those cp reports without pointing to --help (its die(), not its usage()) say false.
const USAGE_ERRORS: [args: string[], message: string, tryHelp?: false][] = [
  [["--bogus", "a", "b"], "unrecognized option '--bogus'"],
  // Shown as cp shows it but where a terminal or GitHub's runner would obey it (a file named so, met by a shell glob).
  [["--##[stop-commands]x", "a", "b"], "unrecognized option '--##\\133stop-commands]x'"],
  [["--x\n::error::forged", "a", "b"], "unrecognized option '--x\\n::error::forged'"],
  [["-J", "a", "b"], "invalid option -- 'J'"],
  [["--reflink=sometimes", "a", "b"], "invalid argument 'sometimes' for '--reflink'\nValid arguments are:\n  - 'auto'\n  - 'always'\n  - 'never'"],
  [["-j", "0", "a", "b"], "invalid number of jobs: '0' (expected 1 to 1024)"],
  [["--jobs=many", "a", "b"], "invalid number of jobs: 'many' (expected 1 to 1024)"],
  [["--json-interval=5", "a", "b"], "invalid value '5' for '--json-interval' (expected 10 to 3600000)"],
  [["--json-interval", "a", "b"], "invalid value 'a' for '--json-interval' (expected 10 to 3600000)"],
  [["--json=yes", "a", "b"], "option '--json' doesn't allow an argument"],
  [["--no-progress=x", "a", "b"], "option '--no-progress' doesn't allow an argument"],
  [["a", "b", "-j"], "option requires an argument -- 'j'"],
  [["--verbose=yes", "a", "b"], "option '--verbose' doesn't allow an argument"],
  [["-t", "d", "-T", "a"], "cannot combine --target-directory (-t) and --no-target-directory (-T)", false],
  [["-t", "d", "-t", "e", "a"], "multiple target directories specified", false],
  [["a"], "missing destination file operand after 'a'"],
  [[], "missing file operand"],
  [["-l", "-s", "a", "b"], "cannot make both hard and symbolic links"],
  [["--symbolic", "--link", "a", "b"], "cannot make both hard and symbolic links"],
  [["--modify-window=1.5", "a", "b"], "invalid value '1.5' for '--modify-window' (expected -2147483648 to 2147483647)"],
  [["--modify-window=-1.5", "a", "b"], "invalid value '-1.5' for '--modify-window' (expected -2147483648 to 2147483647)"],
  [["--modify-window=2147483648", "a", "b"], "invalid value '2147483648' for '--modify-window' (expected -2147483648 to 2147483647)"],
  [["--modify-window=-2147483649", "a", "b"], "invalid value '-2147483649' for '--modify-window' (expected -2147483648 to 2147483647)"],
  [["--delete", "--max-delete=-1.5", "a", "b"], "invalid value '-1.5' for '--max-delete' (expected -2147483648 to 2147483647)"],
  [["--delete", "--max-delete=2147483648", "a", "b"], "invalid value '2147483648' for '--max-delete' (expected -2147483648 to 2147483647)"],
  [["--delete", "--max-delete=-2147483649", "a", "b"], "invalid value '-2147483649' for '--max-delete' (expected -2147483648 to 2147483647)"],
  [["--dry-run", "--parents", "a", "b"], "cannot combine --dry-run and --parents"],
  [["--exclude-from", "no-such-file", "a", "b"], "cannot read filter file 'no-such-file': No such file or directory"],
  [["--exclude"], "option '--exclude' requires an argument"],
];

describe("usage errors exit 2 and say what was wrong", () => {
  for (const [args, message, tryHelp] of USAGE_ERRORS) {
    test(args.join(" ") || "(no arguments)", () => {
      const r = blit(args, { cwd: sandbox("usage") });
      const hint = tryHelp === false ? "" : "Try 'blit --help' for more information.\n";
      expect(r).toEqual({ stdout: "", stderr: `blit: ${message}\n${hint}`, exitCode: 2 });
    });
  }

  // Text decoding would turn the byte into U+FFFD on both sides: compare bytes.
  test("an option that is not UTF-8 is quoted as the bytes given, as cp quotes it", () => {
    const firstLineBytes = (command: string) =>
      run(["sh", "-c", `${command} "--bog$(printf '\\377')" a b 2>&1 >/dev/null | head -n 1 | sed 's/^cp:/blit:/' | od -An -tx1`, BLIT], { cwd: sandbox("usage") }).stdout;
    const expected = Buffer.concat([Buffer.from("blit: unrecognized option '--bog"), Buffer.from([0xff]), Buffer.from("'\n")]);
    const hex = (text: string) => text.split(/\s+/).filter(Boolean).join("");
    expect(hex(firstLineBytes('"$0"'))).toBe(expected.toString("hex"));
    expect(hex(firstLineBytes("cp"))).toBe(expected.toString("hex"));
    expect(run(["sh", "-c", `exec "$0" "--bog$(printf '\\377')" a b`, BLIT]).exitCode).toBe(2);
  });

  // cp's argument errors (C locale) escape what would not print or would be
  // ambiguous: compare the first line's bytes with cp's.
  const ODD_VALUES: [label: string, printf: string][] = [
    ["a byte that is not UTF-8", "x\\377y"],
    ["a tab", "a\\tb"],
    ["a single quote", "it's"],
    ["a backslash", "back\\\\slash"],
    ["a letter outside ASCII", "caf\\303\\251"],
  ];
  test.each(ODD_VALUES)("an invalid --sparse value with %s is escaped as cp escapes it", (_label, printf) => {
    const firstLine = (command: string) =>
      run(["sh", "-c", `LC_ALL=C ${command} --sparse="$(printf '${printf.replaceAll("'", "'\\''")}')" a b 2>&1 >/dev/null | head -n 1 | sed 's/^cp:/blit:/' | od -An -c`, BLIT], { cwd: sandbox("usage") }).stdout;
    const mine = firstLine('"$0"');
    expect(mine).toContain("i   n   v   a   l   i   d");
    expect(mine).toBe(firstLine("cp"));
  });
});

// getopt_long and argmatch take any prefix that names one option or one value.
describe("abbreviations, as cp takes them", () => {
  // Each refused as cp refuses it: the first line of the message is cp's, byte for byte.
  const LIKE_CP = [["--no-=x"], ["--ver"], ["--bogus=x"], ["--reflink=a"], ["--sparse="], ["--preserve="], ["--recur=x"], ["--preserve=m,q"], ["--li=x"], ["--sym=x"], ["--one=x"], ["--strip=x"], ["--remove=x"], ["--backup=x"], ["--backup=n"], ["--suffix"], ["--su"], ["-S"], ["--i=x"], ["--st=x"], ["--b=x"], ["--f=x"], ["--in=x"], ["--path=x"], ["--pat=x"], ["--pa=x"]];
  // A value refused: the whole message, with the valid values listed as cp lists them.
  test.each([["--sparse=x"], ["--reflink=a"], ["--preserve=mode,q"], ["--no-preserve="]])("%s: the whole message is cp's", (option) => {
    const message = (command: string) =>
      run(["sh", "-c", `LC_ALL=C ${command} '${option}' a b 2>&1 >/dev/null | sed 's/^cp:/blit:/; s/'"'"'cp --help'"'"'/'"'"'blit --help'"'"'/'`, BLIT], { cwd: sandbox("abbrev") }).stdout;
    const mine = message('"$0"');
    expect(mine).toContain("Valid arguments are:\n  - '");
    expect(mine).toBe(message("cp"));
  });

  test.each(LIKE_CP)("%s is refused with cp's words", (option) => {
    const firstLine = (command: string) =>
      run(["sh", "-c", `LC_ALL=C ${command} '${option}' a b 2>&1 >/dev/null | head -n 1 | sed 's/^cp:/blit:/'`, BLIT], { cwd: sandbox("abbrev") }).stdout;
    const mine = firstLine('"$0"');
    expect(mine).toStartWith("blit: ");
    expect(mine).toBe(firstLine("cp"));
    expect(run(["sh", "-c", `exec "$0" '${option}' a b`, BLIT]).exitCode).toBe(2);
  });

  test("a tree copied with abbreviated options and values comes out as cp's", () => {
    const root = sandbox("abbrev-copy");
    sh("mkdir -p src/sub && printf one > src/sub/f && chmod 640 src/sub/f && touch -d '2001-02-03 04:05:06.789' src/sub/f src/sub && mkdir by-cp by-blit", root);
    const args = ["--recur", "--no-clob", "--sparse=al", "--reflink=nev", "--preserve=m,t", "src", "dst"];
    const theirs = run(["cp", ...args], { cwd: root });
    expect(theirs.exitCode).toBe(0);
    sh("mv dst by-cp/", root);
    const mine = blit(args, { cwd: root });
    expect(mine).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(snapshot(`${root}/dst`)).toEqual(snapshot(`${root}/by-cp/dst`));
  });

  // cp 9.x still takes --path for --parents, unlisted; a prefix of both names one option (getopt_long's rule).
  test.each([["--path"], ["--pat"], ["--pa"]])("%s is --parents, as cp takes it", (option) => {
    const root = sandbox("path-option");
    sh("mkdir -p a/b by-cp by-blit && printf x > a/b/f", root);
    expect(run(["cp", option, "a/b/f", "by-cp"], { cwd: root }).exitCode).toBe(0);
    expect(blit([option, "a/b/f", "by-blit"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(snapshot(`${root}/by-blit`)).toEqual(snapshot(`${root}/by-cp`));
    expect(readFileSync(`${root}/by-blit/a/b/f`, "utf8")).toBe("x");
  });

  const REFUSED: [string, string][] = [
    ["--x", "unrecognized option '--x'"],
    // Named in the order of cp's table, as getopt_long names them.
    ["--co", "option '--co' is ambiguous; possibilities: '--copy-contents' '--context'"],
    ["--re", "option '--re' is ambiguous; possibilities: '--recursive' '--remove-destination' '--reflink'"],
    ["--u=x", "invalid argument 'x' for '--update'\nValid arguments are:\n  - 'all'\n  - 'none'\n  - 'none-fail'\n  - 'older'"],
    ["--parents=x", "option '--parents' doesn't allow an argument"],
    ["--backup=ne=w", "invalid argument 'ne=w' for 'backup type'\nValid arguments are:\n  - 'none', 'off'\n  - 'simple', 'never'\n  - 'existing', 'nil'\n  - 'numbered', 't'"],
    ["-bn", "options --backup and --no-clobber are mutually exclusive"],
  ];
  test.each(REFUSED)("%s is refused", (option, message) => {
    const r = blit([option, "a", "b"], { cwd: sandbox("abbrev") });
    expect(r).toEqual({ stdout: "", stderr: `blit: ${message}\nTry 'blit --help' for more information.\n`, exitCode: 2 });
  });

  test("--reflink=always with --sparse=never or always is refused, as cp refuses it; --reflink=auto with either is not", () => {
    const root = sandbox("reflink-sparse");
    sh("printf x > a", root);
    for (const sparse of ["never", "always"]) {
      const cp = run(["cp", "--reflink=always", `--sparse=${sparse}`, "a", "b"], { cwd: root });
      // Exit 2, as blit's every usage error (cp's is 1).
      expect(blit(["--reflink=always", `--sparse=${sparse}`, "a", "b"], { cwd: root })).toEqual({ stdout: "", stderr: cp.stderr.replaceAll("cp", "blit"), exitCode: 2 });
      expect(cp.exitCode).toBe(1);
      expect(blit(["--reflink=auto", `--sparse=${sparse}`, "a", `b-${sparse}`], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    }
  });
});

describe("parsing", () => {
  test("-- ends options: names that start with '-' are files", () => {
    const root = sandbox("dashdash");
    sh("printf x > ./-f && printf y > ./--no-clobber", root);
    const r = blit(["--", "-f", "--no-clobber", "out"], { cwd: root });
    expect(r.stderr).toBe("blit: target 'out': No such file or directory\n");
    sh("mkdir out", root);
    const ok = blit(["-v", "--", "-f", "--no-clobber", "out"], { cwd: root });
    expect(ok.stdout).toBe("'-f' -> 'out/-f'\n'--no-clobber' -> 'out/--no-clobber'\n");
    expect(ok.exitCode).toBe(0);
  });

  test("POSIXLY_CORRECT: options end at the first operand, as cp's; without it they go anywhere", () => {
    const root = sandbox("posixly");
    sh("printf x > f && mkdir d", root);
    const byCp = run(["cp", "f", "d", "-v"], { cwd: root, env: { POSIXLY_CORRECT: "1", LC_ALL: "C" } });
    expect(byCp).toEqual({ stdout: "", stderr: "cp: target '-v': No such file or directory\n", exitCode: 1 });
    expect(blit(["f", "d", "-v"], { cwd: root, env: { POSIXLY_CORRECT: "1" } })).toEqual({ ...byCp, stderr: byCp.stderr.replace("cp:", "blit:") });
    expect(sh("ls -A d", root)).toBe("");
    expect(blit(["f", "d", "-v"], { cwd: root })).toEqual({ stdout: "'f' -> 'd/f'\n", stderr: "", exitCode: 0 });
  });

  test("grouped short options and attached values: -rvj1", () => {
    const root = sandbox("grouped");
    // Past the 128 entries a tree may have to be copied on the main thread, where -j has no say.
    sh("mkdir src && printf x > src/x && for i in $(seq 130); do printf $i > src/y$i; done", root);
    const r = blit(["-rvj1", "--stats", "src", "dst"], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("'src/x' -> 'dst/x'\n");
    expect(stats(r.stdout).workers).toBe("1");
  });

  test("--no-clobber, --no-dereference and --no-target-directory are options, not negations", () => {
    const root = sandbox("long-no");
    sh("printf new > f && printf old > g && ln -s f l && mkdir d", root);
    expect(blit(["--no-clobber", "f", "g"], { cwd: root }).exitCode).toBe(0);
    expect(readFileSync(`${root}/g`, "utf8")).toBe("old");
    expect(blit(["--no-dereference", "l", "d"], { cwd: root }).exitCode).toBe(0);
    expect(sh("readlink d/l", root)).toBe("f\n");
    expect(blit(["-r", "--no-target-directory", "d", "e"], { cwd: root }).exitCode).toBe(0);
    expect(sh("readlink e/l", root)).toBe("f\n");
  });

  test("a file named doctor is copied with ./doctor", () => {
    const root = sandbox("doctor-file");
    sh("printf x > doctor", root);
    const r = blit(["./doctor", "copy"], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(`${root}/copy`, "utf8")).toBe("x");
  });
});

describe("tuning values", () => {
  const BAD: [args: string[], message: string][] = [
    [["--queue-depth", "1", "a", "b"], "invalid value '1' for '--queue-depth' (expected 2 to 4096)"],
    [["--max-in-flight", "0", "a", "b"], "invalid value '0' for '--max-in-flight' (expected 1 to 65536)"],
    [["--buffer-size", "12", "a", "b"], "invalid size '12' for '--buffer-size' (expected 4K to 2G)"],
    [["--buffer-size", "lots", "a", "b"], "invalid size 'lots' for '--buffer-size' (expected 4K to 2G)"],
  ];
  for (const [args, message] of BAD) {
    test(args.join(" "), () => {
      expect(blit(args)).toEqual({ stdout: "", stderr: `blit: ${message}\nTry 'blit --help' for more information.\n`, exitCode: 2 });
    });
  }
});

