// --json: every line of every run is checked against schema/events.v1.json
// (tests/helpers/events.py), start first and summary last; the counts are
// the ones --stats gives for the same copy, exit statuses are those of the
// same run without --json, and human messages stay on stderr.

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { BLIT, blit, blitJson, checkEvents, type JsonEvent, run, sh, stats } from "../helpers/blit.ts";
import { sandbox, sandboxClones } from "../helpers/sandbox.ts";
import { immutableUnavailable, mountTmpfs, tmpfsUnavailable } from "../helpers/mounts.ts";
import { testIf } from "../helpers/skip.ts";

/** A file, a directory, a symlink, two names of one inode and a name that is not UTF-8. */
function tree(root: string): void {
  sh(
    `mkdir -p src/sub && printf hello > src/a && head -c 70000 /dev/urandom > src/sub/b && ln -s a src/link &&
     printf one > src/h1 && ln src/h1 src/h2 && printf latin > "src/caf$(printf '\\351')"`,
    root,
  );
}

const ofType = (events: JsonEvent[], type: string) => events.filter((e) => e.type === type);
const last = (events: JsonEvent[]) => events[events.length - 1]!;

/** A path as --json gives it: a string, or base64 bytes. */
function pathBytes(path: string | { base64: string }): Buffer {
  return typeof path === "string" ? Buffer.from(path) : Buffer.from(path.base64, "base64");
}

describe("--json", () => {
  test("a tree with -v: start, plan, one file event per entry, a summary with --stats' counts", () => {
    const root = sandbox("json");
    tree(root);
    const { events, stderr, exitCode } = blitJson(["-a", "-v", "src", "dst"], { cwd: root });
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    const start = events[0]!;
    expect(start).toMatchObject({ type: "start", v: 1, backend: "linux", sources: ["src"], destination: "dst" });
    expect(start.options).toMatchObject({ recursive: true, verbose: true, json: true });
    // Without -a's own -v lines on stdout: only events there.
    expect(ofType(events, "plan")).toEqual([{ type: "plan", files: 6, directories: 2, bytes: 5 + 70000 + 3 + 5 }]);

    const files = ofType(events, "file");
    const byDst = new Map(files.map((e) => [pathBytes(e.dst).toString("latin1"), e]));
    expect([...byDst.keys()].sort()).toEqual(["dst", "dst/a", "dst/caf\xe9", "dst/h1", "dst/h2", "dst/link", "dst/sub", "dst/sub/b"].sort());
    for (const e of files) expect(e.action).toBe("created");
    expect(byDst.get("dst/sub/b")).toMatchObject({ kind: "file", size: 70000, src: "src/sub/b" });
    expect(byDst.get("dst/link")).toMatchObject({ kind: "symlink", size: 0, target: "a" });
    expect(byDst.get("dst/sub")).toMatchObject({ kind: "directory" });
    expect(files.filter((e) => e.kind === "hardlink")).toHaveLength(1);
    // The name that is not UTF-8 comes back byte for byte.
    const latin = byDst.get("dst/caf\xe9")!;
    expect(latin.dst).toEqual({ base64: Buffer.from("dst/caf\xe9", "latin1").toString("base64") });
    expect(pathBytes(latin.src)).toEqual(Buffer.from("src/caf\xe9", "latin1"));

    const plain = blit(["-a", "--stats", "src", "again"], { cwd: root });
    const counted = stats(plain.stdout);
    const summary = last(events);
    expect(summary).toMatchObject({ type: "summary", errors: 0, vanished: 0, interrupted: null, exit_code: 0 });
    for (const [key, label] of [["files", "files"], ["directories", "directories"], ["symlinks", "symlinks"], ["hardlinks", "hard links"], ["bytes", "bytes"]]) {
      expect(String(summary[key!])).toBe(counted[label!]!);
    }
    const methodFiles = Object.values(summary.methods as Record<string, { files: number }>).reduce((n, m) => n + m.files, 0);
    expect(methodFiles).toBe(summary.files);
  });

  // A decoder that takes a leading U+FEFF for a byte order mark drops it: the event named another file.
  test("a name that begins with U+FEFF keeps it, in the start, file and error events", () => {
    const root = sandbox("json-bom");
    sh("printf x > \"$(printf '\\357\\273\\277in')\"", root);
    const copied = blitJson(["-v", "\ufeffin", "\ufeffout"], { cwd: root });
    expect(copied.exitCode).toBe(0);
    expect(copied.events[0]).toMatchObject({ type: "start", sources: ["\ufeffin"], destination: "\ufeffout" });
    expect(ofType(copied.events, "file").map((e) => [e.src, e.dst])).toEqual([["\ufeffin", "\ufeffout"]]);
    const failed = blitJson(["\ufeffmissing", "\ufeffout"], { cwd: root });
    expect(failed.exitCode).toBe(1);
    expect(ofType(failed.events, "error").map((e) => e.path)).toEqual(["\ufeffmissing"]);
  });

  test("without -v: no file events; --stats adds no text to stdout", () => {
    const root = sandbox("json-quiet");
    tree(root);
    const { events, stdout, exitCode } = blitJson(["-a", "--stats", "src", "dst"], { cwd: root });
    expect(exitCode).toBe(0);
    expect(ofType(events, "file")).toEqual([]);
    expect(stdout.split("\n").filter((line) => line !== "" && !line.startsWith("{"))).toEqual([]);
    expect(last(events).files).toBe(4);
  });

  test("errors: an event each, with path, code and operation; stderr and exit status as without --json", () => {
    const root = sandbox("json-errors");
    sh("mkdir -p src/x dst/src && printf f > src/x/f && printf g > src/g && mkdir dst/src/g", root);
    const args = ["-r", "src", "missing", "dst"];
    const plain = blit(args, { cwd: root });
    sh("rm -rf dst && mkdir -p dst/src/g", root);
    const { events, stderr, exitCode } = blitJson(args, { cwd: root });
    expect(exitCode).toBe(1);
    expect(exitCode).toBe(plain.exitCode);
    expect(stderr).toBe(plain.stderr);
    const errors = ofType(events, "error");
    expect(errors.map((e) => `blit: ${e.message}\n`).sort().join("")).toBe(plain.stderr.split(/(?<=\n)/).sort().join(""));
    expect(errors).toContainEqual({ type: "error", message: "cannot overwrite directory 'dst/src/g' with non-directory", path: "dst/src/g", op: "overwrite" });
    // Refused while planning, with what it is about too.
    expect(errors).toContainEqual({
      type: "error",
      message: "cannot stat 'missing': No such file or directory",
      path: "missing",
      op: "stat",
      errno: 2,
      code: "ENOENT",
      reason: "No such file or directory",
    });
    expect(last(events)).toMatchObject({ errors: 2, exit_code: 1, files: 1 });
  });

  test("an OS error carries its number, name and message", () => {
    const root = sandbox("json-errno");
    sh("mkdir src && printf f > src/f", root);
    const { events, exitCode } = blitJson(["-r", "src", "no/such/dst"], { cwd: root });
    expect(exitCode).toBe(1);
    expect(ofType(events, "error")).toEqual([{
      type: "error",
      message: "cannot create directory 'no/such/dst': No such file or directory",
      path: "no/such/dst",
      op: "create",
      errno: 2,
      code: "ENOENT",
      reason: "No such file or directory",
    }]);
  });

  test("-n on a tree that is there: skipped entries, with the reason", () => {
    const root = sandbox("json-skip");
    sh("mkdir src && printf a > src/a && printf b > src/b && mkdir dst && printf old > dst/a", root);
    const { events, exitCode } = blitJson(["-n", "-v", "src/a", "src/b", "dst"], { cwd: root });
    expect(exitCode).toBe(0);
    expect(ofType(events, "file").map(({ action, dst, reason }) => ({ action, dst, reason }))).toEqual([
      { action: "skipped", dst: "dst/a", reason: "exists" },
      { action: "created", dst: "dst/b", reason: undefined },
    ]);
    expect(last(events)).toMatchObject({ files: 1, skipped: 1 });
    expect(readFileSync(`${root}/dst/a`, "utf8")).toBe("old");
  });

  // The summary's skipped, as the README defines it from the events: a
  // pipeline can check one against the other.
  test.each([
    ["--skip-unchanged, one unchanged file's mode set", "cp -a src dst && chmod 600 dst/c", ["-aT", "--skip-unchanged", "src", "dst"], 3],
    ["excluded, a file and a directory", "", ["-a", "--exclude=c", "--exclude=sub", "src", "dst"], 2],
    ["-n into a tree that is there", "mkdir dst && printf old > dst/a", ["-rT", "-n", "src", "dst"], 1],
  ])("summary.skipped agrees with the file events: %s", (_, setup, args, skipped) => {
    const root = sandbox("json-skipped");
    sh(`mkdir -p src/sub && printf a > src/a && printf b > src/sub/b && printf c > src/c${setup ? ` && ${setup}` : ""}`, root);
    const { events, exitCode } = blitJson(["-v", ...args], { cwd: root });
    expect(exitCode).toBe(0);
    const files = ofType(events, "file");
    const fromEvents =
      files.filter((e) => e.action === "skipped" && !(e.kind === "directory" && e.reason === "unchanged")).length +
      files.filter((e) => e.action === "attributes" && e.kind !== "directory").length;
    expect({ summary: last(events).skipped, fromEvents }).toEqual({ summary: skipped, fromEvents: skipped });
  });

  test.each([
    ["the options could not be read", ["--bogus", "a", "b"], "blit: unrecognized option '--bogus'"],
    ["an operand too many", ["-T", "f", "g", "d"], "blit: extra operand 'd'"],
    ["a filter file that is missing", ["--exclude-from=missing", "-r", "f", "g"], "blit: cannot read filter file 'missing': No such file or directory"],
  ])("a wrong command line is exit 2 with no events: %s", (_, args, message) => {
    const root = sandbox("json-usage");
    sh("printf x > f && mkdir d", root);
    const { stdout, stderr, exitCode } = blit(["--json", ...args], { cwd: root });
    expect(stderr.split("\n")[0]).toBe(message);
    expect(stdout).toBe("");
    expect(exitCode).toBe(2);
  });

  const noImmutable = immutableUnavailable(sandbox("json-chattr"));
  testIf(noImmutable)("a deletion that fails is an error event with its path, op and errno", () => {
    const root = sandbox("json-delete-fail");
    sh("mkdir -p src dst/old && printf a > src/a && printf x > dst/old/x && chattr +i dst/old/x", root);
    try {
      const { events, exitCode } = blitJson(["-rT", "--delete", "src", "dst"], { cwd: root });
      expect(ofType(events, "error")).toEqual([
        { type: "error", message: "cannot remove 'dst/old/x': Operation not permitted", path: "dst/old/x", op: "delete", errno: 1, code: "EPERM", reason: "Operation not permitted" },
      ]);
      expect(exitCode).toBe(1);
    } finally {
      run(["chattr", "-i", `${root}/dst/old/x`]);
    }
  });

  test("the start event gives filter patterns as paths are given: text, or base64 bytes", () => {
    const root = sandbox("json-filters");
    sh("mkdir src && printf a > src/a", root);
    // A pattern that is not UTF-8 comes through sh's printf, as argv cannot carry it from here.
    const r = run(["sh", "-c", `"$0" --json -r --exclude='*.o' --exclude="$(printf 'x\\377')" src dst`, BLIT], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(checkEvents(r.stdout)[0]!.options.filters).toEqual([{ include: false, pattern: "*.o" }, { include: false, pattern: { base64: Buffer.from([0x78, 0xff]).toString("base64") } }]);
  });

  test("the start event gives -t DIR and -S SUFFIX as paths are given: text, or base64 bytes", () => {
    const root = sandbox("json-options-bytes");
    sh(`mkdir src "$(printf 'od\\351')" && printf a > src/a`, root);
    const r = run(["sh", "-c", `"$0" --json -b -S "$(printf '~\\377')" -t "$(printf 'od\\351')" src/a`, BLIT], { cwd: root });
    expect(r.exitCode).toBe(0);
    const { options, destination } = checkEvents(r.stdout)[0]!;
    const latin = (text: string) => ({ base64: Buffer.from(text, "latin1").toString("base64") });
    expect([options.targetDirectory, options.backupSuffix, destination, options.update]).toEqual([latin("od\xe9"), latin("~\xff"), latin("od\xe9"), "all"]);
  });

  test("--max-delete's refusal is an error event, counted in the summary's errors", () => {
    const root = sandbox("json-maxdel");
    sh("mkdir src dst && printf a > src/a && printf x > dst/x && printf y > dst/y", root);
    const { events, exitCode } = blitJson(["-rT", "--delete", "--max-delete=1", "src", "dst"], { cwd: root });
    expect(ofType(events, "error")).toEqual([{ type: "error", message: "not deleting: 2 entries would be deleted, more than --max-delete=1 allows; nothing was deleted", op: "delete" }]);
    expect(last(events)).toMatchObject({ type: "summary", exit_code: 25, errors: 1 });
    expect(exitCode).toBe(25);
  });

  // The bar's lines could not be written: the run fails (exit 1, as cp's close_stdout
  // fails it), and the summary, written after them, says so.
  test("a stderr that cannot be written: the summary's exit_code is the exit status, 1", () => {
    const root = sandbox("json-full-stderr");
    sh("printf x > f", root);
    const r = run(["sh", "-c", `${BLIT} --json --progress f g 2>/dev/full`], { cwd: root });
    expect({ exitCode: r.exitCode, stderr: r.stderr, summary: last(checkEvents(r.stdout)) }).toMatchObject({ exitCode: 1, stderr: "", summary: { type: "summary", files: 1, errors: 0, exit_code: 1 } });
  });

  test("a stdout closed before the first event: a write error, no stack trace", () => {
    const root = sandbox("json-epipe");
    sh("printf x > f", root);
    // Whether true has gone before blit's first write is a race: either way, no crash.
    const r = run(["bash", "-c", `${BLIT} --json f g | true; echo "status \${PIPESTATUS[0]}" >&2`], { cwd: root });
    expect(r.stderr).toMatch(/^(status 0|blit: write error: Broken pipe\nstatus 1)\n$/);
    const full = run(["sh", "-c", `${BLIT} --json f h > /dev/full`], { cwd: root });
    expect(full.stderr).toBe("blit: write error: No space left on device\n");
    expect(full.exitCode).toBe(1);
  });

  // SIGQUIT where blit handles it (Linux), as SIGINT: the schema names both.
  const LINUX_ONLY = process.platform === "linux" ? undefined : "SIGQUIT is handled only where /proc/self/status says how it was inherited";
  for (const [signal, status, skip] of [["SIGINT", 130, undefined], ["SIGQUIT", 131, LINUX_ONLY]] as const) testIf(skip)(`${signal}: progress events as the copy runs, never going back, then the summary, last, with exit ${status}`, async () => {
    const root = sandbox("json-signal");
    sh("mkdir src && for f in 1 2 3 4 5 6 7 8; do head -c 40000000 /dev/urandom > src/f$f; done", root);
    const proc = Bun.spawn([BLIT, "--json", "--json-interval=10", "-j", "1", "-r", "src", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    const reader = proc.stdout.getReader();
    let text = "";
    // Signalled once two progress events are out: the copy is under way.
    while ((text.match(/"type":"progress"/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    proc.kill(signal);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    const exitCode = await proc.exited;
    const stderr = await new Response(proc.stderr).text();
    const events = checkEvents(text);
    if (exitCode === 0) return expect(last(events).exit_code).toBe(0); // finished first: proves less
    expect(exitCode).toBe(status);
    expect(stderr).toMatch(new RegExp(String.raw`^blit: interrupted by ${signal}: copied \d+ files? \(\d+ bytes\), \d+ director(y|ies) in [\d.:]+( s)? \([\d.]+ (B|KiB|MiB|GiB)\/s\), 0 errors; the rest was not copied\n$`));
    expect(last(events)).toMatchObject({ type: "summary", interrupted: signal, exit_code: status });
    const progress = ofType(events, "progress");
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.bytes).toBeGreaterThanOrEqual(progress[i - 1]!.bytes);
      expect(progress[i]!.files).toBeGreaterThanOrEqual(progress[i - 1]!.files);
    }
    // What the summary says was copied is there, whole; nothing else is
    // (nothing at all, dst too, when the signal came as the pool started).
    const copied = existsSync(`${root}/dst`) ? readdirSync(`${root}/dst`) : [];
    expect(copied.length).toBe(last(events).files);
    for (const name of copied) expect(readFileSync(`${root}/dst/${name}`).equals(readFileSync(`${root}/src/${name}`))).toBe(true);
  }, 60_000);
});

describe("--json progress", () => {
  testIf(sandboxClones)("a large file copied in ranges by two workers: bytes move within it, never past what was copied", () => {
    const root = sandbox("json-ranges");
    sh("head -c 300000000 /dev/zero > big", root);
    const { events, exitCode } = blitJson(["--json-interval=10", "-j", "2", "big", "copy"], { cwd: root });
    expect(exitCode).toBe(0);
    const summary = events[events.length - 1]!;
    expect(summary).toMatchObject({ files: 1, bytes: 300000000 });
    const progress = events.filter((e) => e.type === "progress");
    for (let i = 0; i < progress.length; i++) {
      expect(progress[i]!.bytes).toBeLessThanOrEqual(summary.bytes);
      if (i > 0) expect(progress[i]!.bytes).toBeGreaterThanOrEqual(progress[i - 1]!.bytes);
    }
    sh("cmp big copy", root);
  }, 60_000);
});

describe("--json progress across filesystems", () => {
  testIf(tmpfsUnavailable)("a large file copied in io_uring batches into a tmpfs, in steps while progress is shown: whole, byte for byte", () => {
    const root = sandbox("json-batched");
    sh("head -c 150000000 /dev/urandom > big", root);
    const tmpfs = mountTmpfs("size=200m");
    const { events, exitCode } = blitJson(["-v", "--json-interval=10", "big", `${tmpfs}/copy`], { cwd: root });
    expect(exitCode).toBe(0);
    const file = events.find((e) => e.type === "file")!;
    // Across filesystems the kernel's copy is refused: the batched path is the one under test.
    expect(file).toMatchObject({ size: 150000000, method: "batched" });
    const summary = events[events.length - 1]!;
    for (const p of events.filter((e) => e.type === "progress")) expect(p.bytes).toBeLessThanOrEqual(summary.bytes);
    sh(`cmp big ${tmpfs}/copy`, root);
  }, 60_000);
});
