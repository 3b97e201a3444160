// --verify: each file written is read back and compared with its source
// before it takes its name; a copy that differs is an error and leaves
// nothing behind. /proc/self/io differs between two reads by blit itself
// (its rchar counts the first read), so it is a source whose copy never
// matches a second reading.

import { describe, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { BLIT, blit, ended, hasCommand, run, sh, stats } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { snapshot } from "../helpers/tree.ts";

describe("--verify", () => {
  test("a tree of small (batched), large and empty files: each verified, the copy equal to cp -a's", () => {
    const root = sandbox("verify");
    sh("mkdir -p src/sub && : > src/empty && printf x > src/one && head -c 3000000 /dev/urandom > src/sub/large && for i in $(seq 20); do head -c 5000 /dev/urandom > src/sub/s$i; done", root);
    const r = blit(["-a", "--verify", "--stats", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect([stats(r.stdout).files, stats(r.stdout).verified]).toEqual(["23", "23"]);
    sh("cp -a src by-cp", root);
    expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/by-cp`, { times: true }));
  });

  test("a file large enough to be compared in ranges by several workers (sparse, 640 MiB): verified, equal", () => {
    const root = sandbox("verify-ranges");
    sh(`mkdir src && truncate -s ${640 << 20} src/f && printf abc | dd of=src/f bs=1 seek=${500 << 20} conv=notrunc status=none`, root);
    const r = blit(["-a", "--verify", "--stats", "-j", "3", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect([stats(r.stdout).files, stats(r.stdout).verified]).toEqual(["1", "1"]);
    expect(sh("cmp src/f dst/f && echo same", root).trim()).toBe("same");
  });

  test("a copy that differs from its source is an error, and nothing is left under its name or a temporary one", () => {
    const root = sandbox("verify-bad");
    const r = blit(["--verify", "/proc/self/io", "/proc/version", root]);
    expect(r.stderr).toBe(`blit: verification failed: '${root}/io' differs from '/proc/self/io'\n`);
    expect(r.exitCode).toBe(1);
    expect(readdirSync(root)).toEqual(["version"]);
  });

  test("without --verify the same copy succeeds (the failure above is the comparison's)", () => {
    const root = sandbox("verify-off");
    const r = blit(["/proc/self/io", root]);
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(readdirSync(root)).toEqual(["io"]);
  });

  testIf(hasCommand("strace") ? undefined : "strace is not installed")("the copy is written to the disk and dropped from the page cache before it is read back", () => {
    const root = sandbox("verify-evict");
    sh("head -c 200000 /dev/urandom > f", root);
    const r = run(["strace", "-f", "-e", "trace=fdatasync,fadvise64,openat", BLIT, "--verify", "f", "g"], { cwd: root });
    expect(r.exitCode).toBe(0);
    const calls = r.stderr.split("\n").map((l) => l.replace(/^\[pid\s+\d+\] /, "").replace(/\s+= /, " = "));
    const temp = calls.find((l) => /openat\(.*\.blit-.*\.tmp", O_WRONLY/.test(l));
    const fd = /= (\d+)$/.exec(temp ?? "")?.[1];
    expect(fd).toBeDefined();
    const after = calls.slice(calls.indexOf(temp!));
    expect(after).toContain(`fdatasync(${fd}) = 0`);
    expect(after).toContain(`fadvise64(${fd}, 0, 0, POSIX_FADV_DONTNEED) = 0`);
  });
});

// A read-back's failure is the OS's error like any other: --json gives its
// errno, code and reason (strace makes the flush before it fail). They were
// missing from every --verify error.
testIf(hasCommand("strace") ? undefined : "strace is not installed")("--verify --json: a failed flush before the read-back carries the OS's error, the temporary removed", () => {
  const root = sandbox("verify-json");
  sh("head -c 100000 /dev/urandom > f", root);
  const r = run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync", "-e", "inject=fdatasync:error=EIO", BLIT, "--verify", "--json", "f", "g"], { cwd: root });
  const errors = r.stdout.trim().split("\n").map((line) => JSON.parse(line)).filter((event) => event.type === "error");
  expect({ errors, stderr: r.stderr, exitCode: r.exitCode }).toEqual({
    errors: [{ type: "error", message: "error writing 'g': Input/output error", path: "g", op: "write", errno: 5, code: "EIO", reason: "Input/output error" }],
    stderr: "blit: error writing 'g': Input/output error\n",
    exitCode: 1,
  });
  expect(readdirSync(root)).toEqual(["f"]);
});

// SOURCE changed between its copy and the read-back (held there by strace's delay on the flush before it):
// grown, the copy is what was read and is verified, where the whole of SOURCE was compared and the copy
// thrown away as differing; written over, it is SOURCE that is named as changed, not the copy (helper-185).
describe.skipIf(!hasCommand("strace"))("--verify, SOURCE changed before the read-back", () => {
  test.each([
    ["grown: the copy, what was read, is verified", "head -c 1000 /dev/urandom >> f", ""],
    ["written over: SOURCE is said to have changed, the copy removed", "printf X | dd of=f bs=1 seek=100 conv=notrunc status=none", "blit: verification failed: 'f' changed while it was copied to 'g'\n"],
    // The copy compared as far as it was written, not as far as it reaches now (helper-195: a cut copy passed).
    ["the copy cut short meanwhile: it differs", "truncate -s 1000 .blit-*", "blit: verification failed: 'g' differs from 'f'\n"],
  ])("%s", async (_what, change, said) => {
    const root = sandbox("verify-changed");
    sh("head -c 300000 /dev/urandom > f && cp f was", root);
    const proc = Bun.spawn(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync", "-e", "inject=fdatasync:delay_enter=1500000", BLIT, "--verify", "f", "g"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    const written = () => readdirSync(root).some((name) => name.startsWith(".blit-") && statSync(`${root}/${name}`, { throwIfNoEntry: false })?.size === 300000);
    for (const started = Date.now(); !written() && Date.now() - started < 20_000; ) await Bun.sleep(20);
    // Past the look at SOURCE right after the copy, well inside the flush's delay.
    await Bun.sleep(200);
    sh(change, root);
    const r = await ended(proc);
    expect(r).toEqual({ stdout: "", stderr: said, exitCode: said ? 1 : 0 });
    expect(readdirSync(root).sort()).toEqual(said ? ["f", "was"] : ["f", "g", "was"]);
    if (!said) expect(sh("cmp g was && echo same", root)).toBe("same\n");
  }, 30_000);
});
