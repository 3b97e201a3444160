// Names are bytes and paths have no length limit: every operation is relative
// to an open directory descriptor.

import { describe, expect, test } from "bun:test";
import { BLIT, blit, run, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { tree } from "../helpers/tree.ts";

describe("names", () => {
  test("invalid UTF-8, newlines, U+2028 and U+2029, leading dashes, 255 bytes, NFC and NFD twins: byte-exact, listed like cp -v", () => {
    const root = sandbox("names");
    sh(
      `mkdir src && cd src && touch -- "$(printf 'bad-\\377\\376')" "$(printf 'new\\nline')" -dash "$(printf '%0255d' 5)" \
        "$(printf 'caf\\303\\251')" "$(printf 'cafe\\314\\201')" "it's" 'sp ace' "$(printf 'tab\\there')" \
        "$(printf 'line\\342\\200\\250sep')" "$(printf 'para\\342\\200\\251sep')"`,
      root,
    );
    const mine = blit(["-av", "-j1", "src", "by-blit"], { cwd: root });
    const theirs = run(["cp", "-av", "src", "by-cp"], { cwd: root });
    expect(mine.exitCode).toBe(0);
    const lines = (text: string, dst: string) => text.replaceAll(dst, "DST").split("\n").sort();
    expect(lines(mine.stdout, "by-blit")).toEqual(lines(theirs.stdout, "by-cp"));
    expect(tree(`${root}/by-blit`, { times: true })).toEqual(tree(`${root}/src`, { times: true }));
    expect(Object.keys(tree(`${root}/by-blit`).entries)).toContain("bad-\\xff\\xfe");
  });

  test("an error names a non-UTF-8 path unambiguously", () => {
    const root = sandbox("names-error");
    sh(`mkdir src && touch "src/$(printf 'bad\\377')" && mkdir -p "dst/src/$(printf 'bad\\377')"`, root);
    const r = blit(["-r", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("blit: cannot overwrite directory 'dst/src/bad'$'\\377' with non-directory\n");
    expect(r.exitCode).toBe(1);
    const cp = run(["cp", "-r", "src", "dst"], { cwd: root });
    expect(cp.stderr.replace("cp:", "blit:")).toBe(r.stderr);
  });
});

describe("operands that are not UTF-8", () => {
  // Bun decodes arguments as UTF-8, turning other bytes into U+FFFD; blit
  // reads the bytes back from the kernel. Bun.spawn takes text too, so the
  // bytes are made by the shell's printf, and DST is "mine" or "theirs".
  const cases = [
    { what: "a file named in Latin-1, to a new name", args: `-a "$(printf 'caf\\351')" "DST/$(printf 'to-\\377')"`, status: 0 },
    { what: "a directory into a directory", args: `-a "$(printf 'dir\\377')" DST/`, status: 0 },
    { what: "a directory, with -t", args: `-a -t "DST/$(printf 'into\\376')" "$(printf 'dir\\377')"`, status: 0 },
    { what: "a UTF-8 sequence cut short", args: `-a "$(printf 'eur\\342\\202')" DST/`, status: 0 },
    { what: "a byte-order mark beside a bad byte", args: `-a "$(printf '\\357\\273\\277bom\\377')" DST/`, status: 0 },
    { what: "an encoded surrogate", args: `-a "$(printf 'sur\\355\\240\\200')" DST/`, status: 0 },
    { what: "one that does not exist", args: `-a "$(printf 'gone\\377')" DST/x`, status: 1 },
  ];

  test.each(cases)("$what: the same bytes, messages and status as cp", ({ args, status }) => {
    const root = sandbox("operands");
    sh(
      `printf latin > "$(printf 'caf\\351')" && printf euro > "$(printf 'eur\\342\\202')" && printf bom > "$(printf '\\357\\273\\277bom\\377')" && printf sur > "$(printf 'sur\\355\\240\\200')" && mkdir "$(printf 'dir\\377')" && printf inner > "$(printf 'dir\\377/f\\376')" &&
        mkdir -p "mine/$(printf 'into\\376')" "theirs/$(printf 'into\\376')"`,
      root,
    );
    const mine = run(["sh", "-c", `exec "$0" ${args.replaceAll("DST", "mine")}`, BLIT], { cwd: root });
    const theirs = run(["sh", "-c", `exec cp ${args.replaceAll("DST", "theirs")}`], { cwd: root });
    expect({ ...mine, stderr: mine.stderr.replaceAll("blit:", "cp:") }).toEqual(theirs);
    expect(mine.exitCode).toBe(status);
    // The directory made at set-up has the time of its last change in either copy.
    const options = { times: true, skipTimesOf: ["into\\xfe"] };
    expect(tree(`${root}/mine`, options)).toEqual(tree(`${root}/theirs`, options));
    const copied = Object.keys(tree(`${root}/mine`).entries).filter((name) => name !== "." && name !== "into\\xfe");
    expect(copied.length > 0 && copied.every((name) => /\\x[89a-f][0-9a-f]/.test(name))).toBe(status === 0);
  });
});

describe("paths longer than PATH_MAX", () => {
  test("a tree 8,000 bytes deep copies whole (cp -a and rsync -a stop at PATH_MAX)", () => {
    const root = sandbox("deep");
    run(["python3", "-c", `
import os
fd = os.open(".", os.O_RDONLY)
os.mkdir("src", dir_fd=fd)
fd = os.open("src", os.O_RDONLY, dir_fd=fd)
for level in range(40):
    f = os.open("file", os.O_WRONLY | os.O_CREAT, 0o640, dir_fd=fd)
    os.write(f, b"level %d" % level)
    os.close(f)
    os.symlink("file", "link", dir_fd=fd)
    os.mkdir("d" * 200, 0o750, dir_fd=fd)
    fd = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
`], { cwd: root });
    const r = blit(["-a", "src", "dst"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const src = tree(`${root}/src`, { times: true });
    expect(Object.keys(src.entries).length).toBe(1 + 40 * 3);
    expect(tree(`${root}/dst`, { times: true })).toEqual(src);
    expect(run(["cp", "-a", "src", "by-cp"], { cwd: root }).exitCode).toBe(1);
  });
});
