// Copying file contents of every size class, special files (made anew, or
// read like files without -r) and /proc files,
// judged against cp -a on the same tree.

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { BLIT, blit, isRoot, run, sh, stats } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { snapshot } from "../helpers/tree.ts";

describe("file contents", () => {
  test("0 B, 1 B, 4 KiB, 1 MiB + 1 and 100 MiB files equal cp -a's copies", () => {
    const root = sandbox("sizes");
    sh(
      `mkdir src && cd src && : > zero && printf 1 > one && head -c 4096 /dev/urandom > page &&
       head -c 1048577 /dev/urandom > mib-plus-one && head -c 104857600 /dev/urandom > hundred-mib`,
      root,
    );
    sh("cp -a src by-cp", root);
    const r = blit(["-a", "--stats", "src", "by-blit"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout).files).toBe("5");
    expect(stats(r.stdout).bytes).toBe(String(1 + 4096 + 1048577 + 104857600));
    expect(snapshot(`${root}/by-blit`, { times: true })).toEqual(snapshot(`${root}/by-cp`, { times: true }));
    expect(snapshot(`${root}/by-blit`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  });

  // A batch of reads under 1,000 bytes went into a buffer that JavaScriptCore
  // moved when the first read was handed on: the reads still in flight (those
  // of evicted files) landed in the old place, and their files were written
  // as zeros, exit 0. Copied 10 times out of 10 so before the fix.
  test("small files of which half are not in the page cache: every byte as read, five copies out of five", () => {
    const root = sandbox("small-evicted");
    sh("mkdir src && for i in $(seq -w 1 30); do printf 'hello from file %s\\n' $i > src/f$i; done", root);
    const evictHalf = `python3 -c '
import os
for i, name in enumerate(sorted(os.listdir("src"))):
    fd = os.open("src/" + name, os.O_RDONLY)
    if i % 2: os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    else: os.read(fd, 100)
    os.close(fd)'`;
    for (let copy = 0; copy < 5; copy++) {
      sh(evictHalf, root);
      const r = blit(["-r", "src", `dst${copy}`], { cwd: root });
      expect([r.stderr, r.exitCode]).toEqual(["", 0]);
      expect(snapshot(`${root}/dst${copy}`)).toEqual(snapshot(`${root}/src`));
    }
  });

  test("/proc files that report size 0 are copied with their contents", () => {
    const root = sandbox("proc");
    const r = blit(["--stats", "/proc/cpuinfo", "/proc/version", root]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(statSync("/proc/version").size).toBe(0);
    expect(readFileSync(`${root}/version`, "utf8")).toBe(readFileSync("/proc/version", "utf8"));
    const cpuinfo = readFileSync(`${root}/cpuinfo`, "utf8");
    expect(cpuinfo.length).toBeGreaterThan(100);
    expect(cpuinfo).toContain("processor");
  });
});

describe("output", () => {
  test("-v lists each copied entry as cp -v does", () => {
    const root = sandbox("verbose");
    sh("mkdir -p src/sub && printf a > src/a && printf b > src/sub/b && ln -s a src/l", root);
    const byCp = sh("cp -rv src by-cp | sed 's/by-cp/DST/' | sort", root);
    const r = blit(["-rv", "src", "by-blit"], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    const mine = r.stdout.split("\n").filter(Boolean).map((l) => l.replace("by-blit", "DST")).sort();
    expect(mine).toEqual(byCp.split("\n").filter(Boolean));
  });

  test("-q silences warnings but not errors", () => {
    const root = sandbox("quiet");
    sh("printf a > a && mkdir d", root);
    const loud = blit(["a", "a", "d"], { cwd: root });
    expect(loud.stderr).toBe("blit: warning: source file 'a' specified more than once\n");
    const quiet = blit(["-q", "a", "a", "d"], { cwd: root });
    expect(quiet.stderr).toBe("");
    expect(quiet.exitCode).toBe(0);
    const failing = blit(["-q", "missing", "d"], { cwd: root });
    expect(failing.stderr).toBe("blit: cannot stat 'missing': No such file or directory\n");
    expect(failing.exitCode).toBe(1);
  });
});

// rsync -q silences -v, -i, --stats and --progress, in either order.
describe("-q wins over what would print", () => {
  test.each([
    [["-q", "-v"]], [["-v", "-q"]], [["-q", "--itemize"]], [["--itemize", "-q"]],
    [["-q", "--stats"]], [["--stats", "-q"]], [["-q", "--progress"]], [["--progress", "-q"]],
  ])("%p: nothing printed, the tree copied", (flags) => {
    const root = sandbox("quiet-wins");
    sh("mkdir -p src/d && printf a > src/d/f", root);
    expect(blit(["-a", ...flags, "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  });

  test("with --json -v: the run's events, no per-entry ones", () => {
    const root = sandbox("quiet-json");
    sh("mkdir -p src/d && printf a > src/d/f", root);
    const r = blit(["-a", "-q", "-v", "--json", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split("\n").map((line) => JSON.parse(line).type)).toEqual(["start", "plan", "summary"]);
  });
});

/** Runs blit in root until the test is done with it; the caller signals it. */
function spawnBlit(args: string[], root: string) {
  return Bun.spawn([BLIT, ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
}

describe("special files", () => {
  // cp dies at once on SIGTERM (`timeout`, CI runners and systemd send one);
  // blit, waiting on a fifo, must notice it and clean up just as well.
  const WAITS = [
    { what: "for a writer that never comes", writer: undefined },
    { what: "on a writer that has gone silent", writer: "printf partial; sleep 30" },
  ];
  test.each(WAITS)("a single SIGTERM while reading a fifo, waiting $what: exit 143, nothing left", async ({ writer }) => {
    const root = sandbox("fifo-signal");
    sh("mkfifo fifo && mkdir out", root);
    const feeder = writer ? Bun.spawn(["timeout", "40", "sh", "-c", `(${writer}) > fifo`], { cwd: root, stdout: "ignore", stderr: "ignore" }) : undefined;
    const proc = spawnBlit(["fifo", "out/copy"], root);
    const waiting = () => readdirSync(`${root}/out`).some((name) => name.endsWith(".tmp"));
    try {
      // Its temporary file made, blit waits on the fifo (after "partial", with a writer).
      for (let i = 0; i < 400 && !waiting(); i++) await Bun.sleep(25);
      expect(waiting()).toBe(true);
      if (writer) await Bun.sleep(200);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(143);
      expect(await new Response(proc.stderr).text()).toMatch(/^blit: interrupted by SIGTERM: copied 0 files \(0 bytes\), 0 directories in [\d.]+ s \(0 B\/s\), 0 errors; the rest was not copied\n$/);
      expect(readdirSync(`${root}/out`)).toEqual([]);
    } finally {
      proc.kill("SIGKILL");
      feeder?.kill("SIGKILL");
    }
  }, 30_000);

  // cp writes into a device or a fifo named as DEST, even through a symlink.
  // (A device node made here stands in for /dev/null: a bug must not replace the real one.)
  const INTO = [
    { what: "a device, with -v", setup: "mknod target c 1 3", flags: "-v", root: true },
    { what: "a symlink to a device", setup: "mknod dev c 1 3 && ln -s dev target", flags: "", root: true },
    { what: "standard output, through a symlink to /proc/self/fd/1", setup: "ln -s /proc/self/fd/1 target", flags: "", root: false },
  ];
  for (const c of INTO) {
    testIf(c.root && !isRoot ? "making a device node needs root" : undefined)(`DEST ${c.what}: written into, not replaced, as cp does`, () => {
      const root = sandbox("into");
      sh(`mkdir by-cp by-blit && for d in by-cp by-blit; do (cd $d && printf 'some bytes' > f && chmod 600 f && ${c.setup}); done`, root);
      // Through cat: the standard output is then a pipe (Bun.spawn's is a socket, which no one can open).
      const mine = run(["sh", "-c", `"$0" ${c.flags} f target | cat`, BLIT], { cwd: `${root}/by-blit` });
      const theirs = run(["sh", "-c", `cp ${c.flags} f target | cat`], { cwd: `${root}/by-cp` });
      expect(mine).toEqual(theirs);
      expect(mine.exitCode).toBe(0);
      if (c.what.startsWith("standard output")) expect(mine.stdout).toBe("some bytes");
      // Types, modes and device numbers: the device (or symlink) is still there, as it was.
      expect(snapshot(`${root}/by-blit`)).toEqual(snapshot(`${root}/by-cp`));
    });
  }

  // Where blit differs from cp on purpose (README): only DEST itself is written
  // into; inside a tree, a device or fifo where a file goes is replaced, not opened.
  const REPLACED = [
    { what: "a fifo", setup: "mkfifo dst/x", root: false },
    { what: "a device", setup: "mknod dst/x c 1 3", root: true },
  ];
  for (const c of REPLACED) {
    testIf(c.root && !isRoot ? "making a device node needs root" : undefined)(`inside a tree copy, ${c.what} where a file goes is replaced, not opened`, () => {
      const root = sandbox("into-tree");
      sh(`mkdir src dst && printf new > src/x && ${c.setup}`, root);
      const r = blit(["-r", "src/.", "dst"], { cwd: root, timeout: 20_000 });
      expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(snapshot(`${root}/dst`).x?.type).toBe("file");
      expect(readFileSync(`${root}/dst/x`, "utf8")).toBe("new");
    });
  }

  test("DEST a fifo: written into once a reader comes, as cp does", async () => {
    const root = sandbox("into-fifo");
    sh("mkfifo fifo && head -c 300000 /dev/urandom > f", root);
    const proc = spawnBlit(["f", "fifo"], root);
    try {
      // No reader for a while: blit waits for one, as cp's open would.
      await Bun.sleep(300);
      expect(proc.exitCode).toBeNull();
      const read = run(["sh", "-c", "cat fifo > got"], { cwd: root, timeout: 20_000 });
      expect(read.exitCode).toBe(0);
      expect(await proc.exited).toBe(0);
      expect(readFileSync(`${root}/got`).equals(readFileSync(`${root}/f`))).toBe(true);
      expect(snapshot(root).fifo?.type).toBe("fifo");
    } finally {
      proc.kill("SIGKILL");
    }
  }, 30_000);

  // What cp does without -r: `cp <(cmd) f` and `cmd | cp /dev/stdin f` copy what the pipe carries.
  const READ_CASES = [
    { what: "a pipe on standard input", command: (tool: string) => `printf 'through a pipe' | ${tool} /dev/stdin out` },
    { what: "a process substitution", command: (tool: string) => `${tool} <(printf 'through a substitution') out` },
    // The writer gives up after a while and holds none of the test's pipes, should the copy never open the fifo.
    { what: "a fifo, with -v", command: (tool: string) => `(timeout 10 sh -c "printf 'through a fifo' > fifo" >/dev/null 2>&1 &) && ${tool} -v fifo out` },
  ];
  test.each(READ_CASES)("without -r, $what is read like a file, as cp reads it", ({ command }) => {
    const root = sandbox("special-read");
    sh("mkdir by-cp by-blit && mkfifo by-cp/fifo by-blit/fifo", root);
    const mine = run(["bash", "-c", command('"$0"'), BLIT], { cwd: `${root}/by-blit`, timeout: 20_000 });
    const theirs = run(["bash", "-c", command("cp")], { cwd: `${root}/by-cp`, timeout: 20_000 });
    expect(mine).toEqual(theirs);
    expect(mine.exitCode).toBe(0);
    expect(snapshot(`${root}/by-blit`)).toEqual(snapshot(`${root}/by-cp`));
    expect(snapshot(`${root}/by-blit`).out?.type).toBe("file");
    expect(readFileSync(`${root}/by-blit/out`, "utf8")).toStartWith("through a ");
  });

  test("fifos and sockets are recreated, never opened for reading", () => {
    const root = sandbox("special");
    sh("mkdir src && mkfifo src/fifo && python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('src/sock')\"", root);
    const r = blit(["-a", "--stats", "src", "dst"], { cwd: root, timeout: 20_000 });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout)["special files"]).toBe("2");
    const snap = snapshot(`${root}/dst`);
    expect(snap.fifo?.type).toBe("fifo");
    expect(snap.sock?.type).toBe("socket");
  });
});

describe("large directories", () => {
  test("1,000 subdirectories and 1,000 files in one directory (its listing copied in parts): as cp -a copies them, each listed once by -v", () => {
    const root = sandbox("wide");
    sh(
      `python3 -c '
import os
for d in range(1000):
    p = f"src/d{d:03}"
    os.makedirs(p)
    open(f"{p}/f", "w").write(str(d))
    if d: os.link("src/d000/f", f"{p}/hl")
    os.chmod(p, 0o750 if d % 2 else 0o755)
    os.utime(p, (1000000 + d, 2000000 + d))
for f in range(1000):
    open(f"src/f{f:04}", "w").write(str(f))
os.utime("src", (123456, 654321))
'`,
      root,
    );
    sh("cp -a src by-cp", root);
    const r = blit(["-av", "src", "by-blit"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(snapshot(`${root}/by-blit`, { times: true })).toEqual(snapshot(`${root}/by-cp`, { times: true }));
    const listed = r.stdout.split("\n").filter(Boolean);
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.length).toBe(Number(sh("find src | wc -l", root).trim()));
  }, 60_000);
});

// A directory is made writable to be filled and gets its final mode once it
// is; a run killed outright (SIGKILL, the OOM killer, a CI timeout's last
// step) never gets there, and a later run without -p leaves a directory that
// is there as it is. blit made every one 0700, so a killed `blit -r` left
// them 0700 for good, where cp's are made with their mode.
describe("directories of a run killed outright", () => {
  const OPTIONS = [["-r"], ["-r", "--preserve=mode"], ["-a"]].map((options) => ({ options, what: options.join(" ") }));
  test.each(OPTIONS)("$what: made with the modes cp makes them with", async ({ options }) => {
    const root = sandbox("killed");
    // Each copy waits on the fifo (--copy-contents reads it) inside d/e, so
    // d is made and not yet finished. blit makes e under a temporary name,
    // which a killed run leaves for the next to remove, and d so too, put
    // in place before anything is made in it.
    sh("mkdir -p src/d/e && chmod 775 src src/d && mkfifo src/d/e/p", root);
    const modes: string[][] = [];
    for (const tool of [["cp"], [BLIT]]) {
      const dst = `by-${tool[0] === "cp" ? "cp" : "blit"}`;
      const proc = Bun.spawn([...tool, ...options, "--copy-contents", "src", dst], { cwd: root, stdout: "pipe", stderr: "pipe" });
      for (let i = 0; i < 10_000 && !readdirSync(root).includes(dst); i++) await Bun.sleep(1);
      for (let i = 0; i < 10_000 && !readdirSync(`${root}/${dst}`).includes("d"); i++) await Bun.sleep(1);
      await Bun.sleep(100);
      proc.kill("SIGKILL");
      await proc.exited;
      modes.push([dst, "d"].map((_, i) => (statSync(`${root}/${dst}${i ? "/d" : ""}`).mode & 0o7777).toString(8)));
    }
    expect(modes[1]!).toEqual(modes[0]!);
  }, 60_000);
});
