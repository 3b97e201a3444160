// When the native shim cannot be loaded (here: every folder it could go to is
// on a noexec mount, as on hardened CI runners), blit says why and still
// copies, through Bun's own fs.

import { describe, expect } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { BLIT, blit, run, sh, stats } from "../helpers/blit.ts";
import { mountTmpfs, tmpfsUnavailable } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { snapshot, tree } from "../helpers/tree.ts";

function noexecEnvironment() {
  const noexec = mountTmpfs("size=16m,noexec");
  sh("mkdir home tmp", noexec);
  return { HOME: `${noexec}/home`, TMPDIR: `${noexec}/tmp`, XDG_CACHE_HOME: undefined };
}

describe("portable fallback", () => {
  testIf(tmpfsUnavailable)("copies a tree like cp -a, with a warning that says why", () => {
    const env = noexecEnvironment();
    const root = sandbox("fallback");
    sh(
      `mkdir -p src/sub && printf a > src/a && head -c 3000000 /dev/urandom > src/sub/big && ln -s a src/l &&
       chmod 751 src/sub && touch -d '2001-02-03 04:05:06.5' src/a src/sub && cp -a src by-cp`,
      root,
    );
    const r = blit(["-a", "--stats", "src", "by-blit"], { cwd: root, env });
    expect(r.stderr).toMatch(/^blit: warning: native copy engine unavailable \(.*(failed to map segment|Operation not permitted).*\); copying with Bun's fs, which is slower and, working by path, not proof against a directory swapped for a symlink meanwhile\n$/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("backend: portable\n");
    // node:fs sets times as floating-point seconds: equal to the microsecond here.
    const mine = snapshot(`${root}/by-blit`, { times: true });
    const ref = snapshot(`${root}/by-cp`, { times: true });
    for (const [path, entry] of Object.entries(ref)) {
      const ours = mine[path];
      expect(ours).toBeDefined();
      if (entry.mtime_ns && ours?.mtime_ns) {
        expect(Math.abs(Number(BigInt(ours.mtime_ns) - BigInt(entry.mtime_ns)))).toBeLessThan(1000);
        entry.mtime_ns = ours.mtime_ns;
      }
    }
    expect(mine).toEqual(ref);
  });

  // node:fs sets times as floating-point seconds, a few hundred ns off: -u takes them for SOURCE's, as --skip-unchanged does.
  testIf(tmpfsUnavailable)("-au after -a: nothing replaced, every run", () => {
    const env = noexecEnvironment();
    const root = sandbox("fallback-update");
    // A time whose copy lands below it (…01.123456716), so a comparison to the nanosecond finds SOURCE newer.
    sh("mkdir src && printf a > src/a && touch -d '2021-02-03 04:05:01.123456789' src/a", root);
    expect(blit(["-aT", "src", "dst"], { cwd: root, env }).exitCode).toBe(0);
    expect(statSync(`${root}/dst/a`, { bigint: true }).mtimeNs).toBeLessThan(statSync(`${root}/src/a`, { bigint: true }).mtimeNs);
    const ino = statSync(`${root}/dst/a`).ino;
    for (let i = 0; i < 2; i++) {
      const r = blit(["-aTu", "--itemize", "src", "dst"], { cwd: root, env });
      expect([r.stdout.split("\n").filter((line) => line.endsWith("/a")), r.exitCode]).toEqual([[".f          dst/a"], 0]);
      expect(statSync(`${root}/dst/a`).ino).toBe(ino);
    }
  });

  // Its directory handles are its thread's own: a tree it copies is all a
  // worker's, none of it the main thread's (which would leave the large
  // file, which it cannot clone, to a worker that could not use its handles).
  testIf(tmpfsUnavailable)("-r of a small tree with a large file: all of it copied, by a worker", () => {
    const env = noexecEnvironment();
    const root = sandbox("fallback-small-tree");
    sh("mkdir -p src/sub && printf a > src/a && head -c 3000000 /dev/urandom > src/sub/big && chmod 751 src/sub", root);
    const r = blit(["-r", "--stats", "src", "by-blit"], { cwd: root, env });
    expect(r.stderr).toMatch(/^blit: warning: native copy engine unavailable .*\n$/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("backend: portable\n");
    expect(r.stdout).toContain("files on the main thread: 0\n");
    expect(readFileSync(`${root}/by-blit/sub/big`).equals(readFileSync(`${root}/src/sub/big`))).toBe(true);
    expect(readFileSync(`${root}/by-blit/a`, "utf8")).toBe("a");
    expect(statSync(`${root}/by-blit/sub`).mode & 0o7777).toBe(0o751);
  });

  // The fallback takes paths, not directory descriptors: names that are not
  // UTF-8 must still reach the kernel as the same bytes (Buffer paths).
  testIf(tmpfsUnavailable)("operands and names that are not UTF-8: the same bytes, messages and status as cp", () => {
    const env = noexecEnvironment();
    const root = sandbox("fallback-names");
    sh(
      `mkdir "$(printf 'caf\\351')" && printf x > "$(printf 'caf\\351/n\\377')" && ln -s "$(printf 'n\\377')" "$(printf 'caf\\351/l')" &&
       touch -h -d '2001-02-03 04:05:06' "$(printf 'caf\\351')"/* "$(printf 'caf\\351')" && mkdir mine theirs`,
      root,
    );
    // A missing operand is reported before the backend is loaded: no warning then.
    const cases = [
      { args: `-a "$(printf 'caf\\351')" "DST/$(printf 'to-\\376')"`, status: 0, warns: true },
      { args: `-a "$(printf 'gone\\377')" DST/x`, status: 1, warns: false },
    ];
    for (const { args, status, warns } of cases) {
      const mine = run(["sh", "-c", `exec "$0" ${args.replaceAll("DST", "mine")}`, BLIT], { cwd: root, env });
      const theirs = run(["sh", "-c", `exec cp ${args.replaceAll("DST", "theirs")}`], { cwd: root });
      const warning = /^blit: warning: native copy engine unavailable .*\n/;
      expect(warning.test(mine.stderr)).toBe(warns);
      expect({ ...mine, stderr: mine.stderr.replace(warning, "").replaceAll("blit:", "cp:") }).toEqual(theirs);
      expect(mine.exitCode).toBe(status);
    }
    // Whole seconds, which the fallback's floating-point times keep exactly.
    expect(tree(`${root}/mine`, { times: true })).toEqual(tree(`${root}/theirs`, { times: true }));
    expect(Object.keys(tree(`${root}/mine`).entries)).toEqual([".", "to-\\xfe", "to-\\xfe/l", "to-\\xfe/n\\xff"]);
  });

  // src/plan.ts words its refusals with the backend's strerror: the portable
  // one must say what the C library says (libuv words ELOOP, ENAMETOOLONG
  // and EIO otherwise), and the native one too.
  testIf(tmpfsUnavailable)("operands refused before copying: cp's words and status, native and portable alike", () => {
    const env = noexecEnvironment();
    const root = sandbox("fallback-refusals");
    sh("printf x > f && ln -s loop loop && mkdir d", root);
    const long = "n".repeat(300);
    const cases = [["-L", "loop", "x"], [long, "x"], ["f/x", "y"], ["gone", "y"], ["-t", "f", "d"], ["-t", "gone", "d"], ["f", "d", "f"]];
    for (const args of cases) {
      const theirs = run(["cp", ...args], { cwd: root });
      expect(theirs.exitCode).not.toBe(0);
      for (const environment of [undefined, env]) {
        const mine = blit(args, { cwd: root, env: environment });
        expect({ ...mine, stderr: mine.stderr.replaceAll("blit:", "cp:") }).toEqual(theirs);
      }
    }
    // The portable backend was the one asked (a refusal alone says nothing of it).
    expect(blit(["--stats", "f", "g"], { cwd: root, env }).stdout).toContain("backend: portable\n");
  });

  // node:fs makes no fifo: the refusal in the C library's words, not libuv's "operation not supported on socket".
  testIf(tmpfsUnavailable)("a fifo it cannot make is refused in the C library's words, the rest copied", () => {
    const env = noexecEnvironment();
    const root = sandbox("fallback-fifo");
    sh("mkdir src && mkfifo src/fifo && printf x > src/f", root);
    const r = blit(["-a", "src", "dst"], { cwd: root, env });
    expect({ ...r, stderr: r.stderr.replace(/^blit: warning: native copy engine unavailable .*\n/, "") }).toEqual({
      stdout: "",
      stderr: "blit: cannot create fifo 'dst/fifo': Operation not supported\n",
      exitCode: 1,
    });
    expect(readFileSync(`${root}/dst/f`, "utf8")).toBe("x");
  });

  // Each operand's job opens the target directory anew here, and cleans it:
  // one operand's copy named like a dead run's temporary file is another's to keep.
  testIf(tmpfsUnavailable)("operands into one directory: a copy named like a temporary file is not removed by the next operand's cleanup", () => {
    const env = noexecEnvironment();
    const root = sandbox("fallback-temp-named");
    const deadPid = Number(sh("sh -c 'echo $$'").trim());
    const name = `.blit-${deadPid}-deadbeef-0-0.tmp`;
    sh(`mkdir s D && printf precious > s/${name} && printf b > s/b && printf partial > D/.blit-${deadPid}-deadbeef-0-1.tmp`, root);
    for (const again of [[], ["--skip-unchanged"]]) {
      const r = blit([...again, `s/${name}`, "s/b", "D/"], { cwd: root, env });
      expect({ again, exitCode: r.exitCode, stdout: r.stdout }).toEqual({ again, exitCode: 0, stdout: "" });
      expect({ again, there: readdirSync(`${root}/D`).sort() }).toEqual({ again, there: [name, "b"] });
    }
  });

  testIf(tmpfsUnavailable)("doctor shows the portable backend and the reason", () => {
    const env = noexecEnvironment();
    const r = blit(["doctor", sandbox("doctor")], { env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("backend: portable (Bun's node:fs; slower)");
    expect(r.stdout).toMatch(/why: .*(failed to map segment|Operation not permitted)/);
    expect(r.stdout).toContain("copies still work, through Bun's fs, but more slowly");
  });

  testIf(tmpfsUnavailable)("a second run with --skip-unchanged --delete: its microsecond times count as SOURCE's, nothing is copied again, extras go", () => {
    const env = noexecEnvironment();
    const root = sandbox("fallback-again");
    sh("mkdir -p src/sub && printf a > src/a && printf b > src/sub/b && ln -s a src/l && touch -d '2001-02-03 04:05:06.123456789' src/a src/sub/b", root);
    expect(blit(["-a", "src", "dst"], { cwd: root, env }).exitCode).toBe(0);
    sh("printf x > dst/extra && mkdir dst/old && printf y > dst/old/y", root);
    const r = blit(["-aT", "--skip-unchanged", "--delete", "--stats", "src", "dst"], { cwd: root, env });
    expect(r.exitCode).toBe(0);
    const s = stats(r.stdout);
    expect([s.backend, s.files, s.unchanged, s.deleted]).toEqual(["portable", "0", "3", "3"]);
    expect(tree(`${root}/dst`)).toEqual(tree(`${root}/src`));
  });
});
