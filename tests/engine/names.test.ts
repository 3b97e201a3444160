// Names are bytes and paths have no length limit: every operation is relative
// to an open directory descriptor.

import { describe, expect, test } from "bun:test";
import { blit, run, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { tree } from "../helpers/tree.ts";

describe("names", () => {
  test("invalid UTF-8, newlines, leading dashes, 255 bytes, NFC and NFD twins: byte-exact, listed like cp -v", () => {
    const root = sandbox("names");
    sh(
      `mkdir src && cd src && touch -- "$(printf 'bad-\\377\\376')" "$(printf 'new\\nline')" -dash "$(printf '%0255d' 5)" \
        "$(printf 'caf\\303\\251')" "$(printf 'cafe\\314\\201')" "it's" 'sp ace' "$(printf 'tab\\there')"`,
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
