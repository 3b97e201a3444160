// SIGINT and SIGTERM at any moment: the run stops, in-flight temporary files
// are removed, every file under its final name is complete, and the exit
// status says which signal it was.

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { BLIT, blit, environment, isRoot, sh } from "../helpers/blit.ts";
import { sandbox, sandboxClones } from "../helpers/sandbox.ts";
import { mountSlowDisk, slowDiskUnavailable } from "../helpers/mounts.ts";
import { testIf } from "../helpers/skip.ts";

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    out.push(path);
    if (entry.isDirectory()) walk(path, out);
  }
  return out;
}

async function interruptAt(root: string, dst: string, delayMs: number, signal: "SIGINT" | "SIGTERM") {
  const proc = Bun.spawn([BLIT, "-a", "-j", "2", "src", dst], { cwd: root, stdout: "pipe", stderr: "pipe" });
  await Bun.sleep(delayMs);
  proc.kill(signal);
  const exitCode = await proc.exited;
  return { exitCode, stderr: await new Response(proc.stderr).text() };
}

/**
 * blit run until it asks its first -i question, then sent SIGINT: the
 * question, how it ended within 5 s ("still asking" if it had not), its
 * signal if one ended it, and all it said on stderr.
 */
async function interruptQuestion(args: string[], cwd: string) {
  const proc = Bun.spawn([BLIT, ...args], { cwd, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const reader = proc.stderr.getReader();
  let said = "";
  const read = async (until: (text: string) => boolean) => {
    while (!until(said)) {
      const { value, done } = await reader.read();
      if (done) break;
      said += Buffer.from(value).toString();
    }
  };
  await read((text) => text.endsWith("? "));
  const question = said;
  proc.kill("SIGINT");
  const exited = await Promise.race([proc.exited, Bun.sleep(5000).then(() => "still asking")]);
  proc.stdin.end();
  await read(() => false);
  return { question, exited, signal: proc.signalCode, stderr: said };
}

// A non-interactive shell starts its background jobs with SIGINT ignored, so
// that ^C at the terminal leaves them running: blit, as cp, keeps it so.
// Each reads a fifo (it waits for the writer), gets SIGINT, then the data.
// SIGQUIT too, which blit handles on Linux (its ^\ ends a run at the terminal).
describe("a signal the process was started ignoring", () => {
  const LINUX_ONLY = process.platform === "linux" ? undefined : "SIGQUIT is handled only where /proc/self/status says how it was inherited";
  for (const [signal, skip] of [["INT", undefined], ["QUIT", LINUX_ONLY]] as const) {
    const script = `rm -f out; "$0" p out & pid=$!; sleep 0.5; kill -${signal} $pid; sleep 0.3; timeout 2 sh -c 'echo data > p'; wait $pid; echo "exit $?"; cat out`;
    for (const tool of ["cp", "blit"]) {
      testIf(skip)(`SIG${signal} stays ignored: ${tool} copies, exit 0`, () => {
        const root = sandbox("ignored-signal");
        sh("mkfifo p", root);
        expect(sh(`trap '' ${signal}; sh -c '${script.replaceAll("'", "'\\''")}' ${tool === "cp" ? "cp" : `'${BLIT}'`}`, root)).toBe("exit 0\ndata\n");
      }, 15_000);
    }
  }
});

// nohup starts blit with SIGHUP ignored: it must stay so (a handler would stop the copy).
describe("SIGHUP the process was started ignoring (nohup)", () => {
  const script = `rm -f out; "$0" p out & pid=$!; sleep 0.5; kill -HUP $pid; sleep 0.3; timeout 2 sh -c 'echo data > p'; wait $pid; echo "exit $?"; cat out`;
  for (const tool of ["cp", "blit"]) {
    testIf(process.platform === "linux" ? undefined : "SIGHUP is handled only where /proc/self/status says how it was inherited")(`stays ignored: ${tool} copies, exit 0`, () => {
      const root = sandbox("ignored-sighup");
      sh("mkfifo p", root);
      expect(sh(`trap '' HUP; sh -c '${script.replaceAll("'", "'\\''")}' ${tool === "cp" ? "cp" : `'${BLIT}'`}`, root)).toBe("exit 0\ndata\n");
    }, 15_000);
  }
});

// A new directory of small files (no subdirectory in SOURCE) is filled under
// a temporary name and renamed into place once filled: a run killed outright
// leaves it under that name, and the next run into its parent removes it.
describe("a run killed outright (SIGKILL)", () => {
  test("at random moments: a directory under its own name has all its files, whole; the next run removes the rest and completes", async () => {
    const root = sandbox("sigkill-staged");
    sh(`python3 -c 'import os
for d in range(40):
    os.makedirs(f"src/d{d}")
    for f in range(150):
        open(f"src/d{d}/f{f}", "w").write(f"file {d} {f} " * (1 + f % 7))'`, root);
    let killed = 0;
    for (let i = 0; i < 6; i++) {
      const dst = `dst-${i}`;
      const proc = Bun.spawn([BLIT, "-a", "src", dst], { cwd: root, stdout: "pipe", stderr: "pipe" });
      await Bun.sleep(100 + Math.floor(Math.random() * 500));
      proc.kill("SIGKILL");
      await proc.exited;
      if (proc.signalCode === "SIGKILL") killed++;
      const names = existsSync(`${root}/${dst}`) ? readdirSync(`${root}/${dst}`) : [];
      for (const name of names.filter((n) => !n.startsWith(".blit-"))) {
        const files = readdirSync(`${root}/src/${name}`).sort();
        expect(readdirSync(`${root}/${dst}/${name}`).sort()).toEqual(files);
        for (const file of files) expect(readFileSync(`${root}/${dst}/${name}/${file}`).equals(readFileSync(`${root}/src/${name}/${file}`))).toBe(true);
      }
      expect(blit(["-aT", "src", dst], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(sh(`find ${dst} -name '.blit-*' | wc -l && diff -r src ${dst} && echo same`, root)).toBe("0\nsame\n");
    }
    expect(killed).toBeGreaterThan(0);
  }, 120_000);
});

// A bug that throws in a worker (BLIT_CRASH_AT makes one): the run ends,
// said as blit's own error; the other workers stop their files before they
// are ended (reads of theirs in flight would land in freed memory).
describe("a worker's crash", () => {
  test("said as blit's internal error, with its stack and version, exit 1; no temporary file left, every file under its name whole", () => {
    const root = sandbox("crash");
    sh("mkdir -p src/z && for d in 1 2 3 4 5 6; do mkdir src/d$d && head -c 60000000 /dev/urandom > src/d$d/big; done && printf x > src/z/f", root);
    const r = blit(["-a", "-j", "2", "src", "dst"], { cwd: root, env: { BLIT_CRASH_AT: "src/z" } });
    expect([r.stdout, r.exitCode]).toEqual(["", 1]);
    expect(r.stderr).toStartWith("blit: internal error (a bug: please report it, with the command line and this text, at https://github.com/blit-dev/blit/issues): Error: ");
    expect(r.stderr).toContain("BLIT_CRASH_AT: crashed as asked, copying 'src/z'");
    expect(r.stderr).toMatch(/\nblit \S+ \(commit [^)]*\)\n$/);
    // Not Bun's report of an uncaught error, with lines of the bundle.
    expect(r.stderr).not.toMatch(/^\d+ \| /m);
    expect(sh("find dst -type f -name '.blit-*'; for f in dst/*/big; do [ ! -e $f ] || cmp -s $f src/${f#dst/} || echo $f; done", root)).toBe("");
  });
});

describe("interrupted copies", () => {
  test("SIGINT at random moments: no temporary files, no partial files, exit 130", async () => {
    const root = sandbox("sigint");
    // Big files keep copies in flight; many small ones keep directories open.
    sh(
      `mkdir -p src && for d in 1 2 3 4; do mkdir -p src/d$d; for f in 1 2 3 4 5 6; do head -c 30000000 /dev/urandom > src/d$d/big$f; done;
       for f in $(seq 1 200); do printf "small $f" > src/d$d/s$f; done; done`,
      root,
    );
    const source = (path: string, dst: string) => `${root}/src${path.slice(`${root}/${dst}`.length)}`;
    let interrupted = 0;
    for (let i = 0; i < 6; i++) {
      const dst = `dst-${i}`;
      const { exitCode, stderr } = await interruptAt(root, dst, 60 + Math.floor(Math.random() * 400), "SIGINT");
      // A run that finished before the signal is fine too; it just proves less.
      if (exitCode === 130) {
        interrupted++;
        if (stderr === "") {
          // Signalled while Bun was still starting, before blit's handler: nothing was written.
          expect(existsSync(`${root}/${dst}`)).toBe(false);
        } else {
          expect(stderr).toMatch(/blit: interrupted by SIGINT: copied \d+ files? \(\d+ bytes\), \d+ director(y|ies).*; the rest was not copied\n$/);
        }
      } else {
        expect(exitCode).toBe(0);
      }
      let paths: string[] = [];
      try {
        paths = walk(`${root}/${dst}`);
      } catch {
        // Interrupted before the top directory was made.
      }
      for (const path of paths) {
        expect(path).not.toMatch(/\.blit-\d+-[0-9a-f]+-\d+-[0-9a-z]+\.tmp$/);
        if (statSync(path).isFile()) {
          expect(readFileSync(path).equals(readFileSync(source(path, dst)))).toBe(true);
        }
      }
    }
    expect(interrupted).toBeGreaterThan(0);
  }, 180_000);

  testIf(sandboxClones)("SIGINT while two workers copy one large file in ranges: no temporary, no file, exit 130", async () => {
    const root = sandbox("sigint-ranges");
    sh("fallocate -l 2G src", root);
    const proc = Bun.spawn([BLIT, "-j", "2", "src", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    // Signalled once the temporary file shows ranges past the first, which
    // its owner copies alone before it offers the rest.
    let seen = 0;
    for (let i = 0; i < 2000 && seen < 200 << 20; i++) {
      await Bun.sleep(2);
      const temp = readdirSync(root).find((name) => name.endsWith(".tmp"));
      try {
        seen = temp ? statSync(`${root}/${temp}`).size : 0;
      } catch {
        seen = 0;
      }
    }
    expect(seen).toBeGreaterThanOrEqual(200 << 20);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(await new Response(proc.stderr).text()).toMatch(/^blit: interrupted by SIGINT: copied 0 files \(0 bytes\), 0 directories in [\d.]+ s \(0 B\/s\), 0 errors; the rest was not copied\n$/);
    expect(readdirSync(root)).toEqual(["src"]);
  }, 60_000);

  // A second signal leaves at once, without waiting for the workers (here one
  // reading 8 MiB at a time from a disk that serves 3 reads a second): the
  // temporary file being written is removed first (it stayed, 1.1-1.4 GB of
  // a large copy, in 8 of a helper's 9 runs), and the counts are what the
  // workers had said, at least.
  testIf(slowDiskUnavailable)("a second SIGINT while a file is being written: exit 130 at once, its temporary file removed", async () => {
    const disk = mountSlowDisk((dir) => sh("head -c 67108864 /dev/urandom > big", dir), 3);
    const dst = sandbox("sigint-twice");
    const proc = Bun.spawn([...disk.throttled, BLIT, "-a", `${disk.dir}/big`, `${dst}/big`], { cwd: dst, stdout: "pipe", stderr: "pipe" });
    // Signalled once the worker has written its first chunk and is reading the next
    // (a temporary file seen earlier may be the main thread's, trying a clone before any worker starts).
    let written = 0;
    for (let i = 0; i < 10_000 && written === 0; i++) {
      const temp = readdirSync(dst).find((name) => name.endsWith(".tmp"));
      try {
        written = temp ? statSync(`${dst}/${temp}`).size : 0;
      } catch {
        written = 0;
      }
      if (written === 0) await Bun.sleep(1);
    }
    expect(written).toBeGreaterThan(0);
    proc.kill("SIGINT");
    // Well apart: one twice within 50 ms is taken as one (below).
    await Bun.sleep(300);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(await new Response(proc.stderr).text()).toMatch(/^blit: interrupted by SIGINT again, stopped at once: copied at least 0 files \(0 bytes\), 0 directories in [\d.]+ s \([^)]*\), 0 errors; the rest was not copied\n$/);
    expect(readdirSync(dst)).toEqual([]);
  }, 60_000);

  // GNU timeout signals the process, then its group: blit got SIGINT twice,
  // took it for a second one and left at once, directories 0700 and --json's
  // counts short. Sent 5 ms apart here, so that both are delivered.
  testIf(slowDiskUnavailable)("the same SIGINT twice within moments (timeout's kill of the process, then of its group): one signal, the copy wound up as for one", async () => {
    const disk = mountSlowDisk((dir) => sh("mkdir -p t/sub && head -c 67108864 /dev/urandom > t/sub/big && chmod 750 t/sub", dir), 3);
    const dst = sandbox("sigint-doubled");
    const proc = Bun.spawn([...disk.throttled, BLIT, "-a", `${disk.dir}/t`, `${dst}/t`], { cwd: dst, stdout: "pipe", stderr: "pipe" });
    for (let i = 0; i < 10_000 && !readdirSync(dst).includes("t"); i++) await Bun.sleep(1);
    await Bun.sleep(200);
    proc.kill("SIGINT");
    await Bun.sleep(5);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(await new Response(proc.stderr).text()).toMatch(/^blit: interrupted by SIGINT: copied 0 files \(0 bytes\), 2 directories in [\d.]+ s \([^)]*\), 0 errors; the rest was not copied\n$/);
    expect(readdirSync(`${dst}/t/sub`)).toEqual([]);
    expect((statSync(`${dst}/t/sub`).mode & 0o7777).toString(8)).toBe("750");
  }, 60_000);

  // The pool takes a moment to start after the destinations are open: a
  // signal then left at once, and a directory made writable for the copy
  // (a user's own read-only one, as cp writes into it) stayed writable.
  testIf(isRoot ? undefined : "needs root to run blit as another user")("a signal as the pool starts: the read-only directory written into gets its mode back, exit 130", async () => {
    const root = sandbox("sigint-starting");
    sh("mkdir s d && head -c 300000000 /dev/zero > s/f && echo old > d/f && chown -R nobody . && chmod 777 . && chmod 555 d", root);
    // nobody has no home blit may write: its shim goes to $TMPDIR/blit-65534, here, not /tmp.
    const env = environment({ HOME: "/nonexistent", XDG_CACHE_HOME: undefined, TMPDIR: root });
    const proc = Bun.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BLIT, "s/f", "d/f"], { cwd: root, env, stdout: "pipe", stderr: "pipe" });
    // Watched for 10 s, not 20,000 times: Bun's sleep(0.5) is far shorter than
    // 0.5 ms, and with a CI run beside it blit took longer than those ~0.2 s to start.
    let writable = false;
    for (const until = performance.now() + 10_000; !writable && proc.exitCode === null && performance.now() < until; ) {
      writable = (statSync(`${root}/d`).mode & 0o777) !== 0o555;
      if (!writable) await Bun.sleep(0.5);
    }
    expect(writable).toBe(true);
    proc.kill("SIGINT");
    const exitCode = await proc.exited;
    const stderr = await new Response(proc.stderr).text();
    // A copy that finished first (it takes a few tenths of a second) proves less.
    if (exitCode === 0) expect(stderr).toBe("");
    else {
      expect(exitCode).toBe(130);
      expect(stderr).toMatch(/^blit: interrupted by SIGINT: copied [01] files? \([^)]*\), 0 directories in [\d.]+ s \([^)]*\), 0 errors; the rest was not copied\n$/);
    }
    expect(statSync(`${root}/d`).mode & 0o7777).toBe(0o555);
    expect(readdirSync(`${root}/d`)).toEqual(["f"]);
  }, 60_000);

  // -i's question is read by a worker, which held the stop until the user
  // answered; cp leaves at once.
  test("SIGINT while -i waits for an answer: stopped at once, the file kept, exit 130", async () => {
    const root = sandbox("sigint-asking");
    sh("mkdir src dst && printf new > src/a && printf old > dst/a", root);
    const r = await interruptQuestion(["-ri", "src/.", "dst"], root);
    expect([r.question, r.exited]).toEqual(["blit: overwrite 'dst/./a'? ", 130]);
    expect(r.stderr).toMatch(/^blit: overwrite 'dst\/\.\/a'\? \nblit: interrupted by SIGINT: copied 0 files \(0 bytes\), 0 directories in [\d.]+ s \([^)]*\), 0 errors; the rest was not copied\n$/);
    expect(readFileSync(`${root}/dst/a`, "utf8")).toBe("old");
    expect(readdirSync(`${root}/dst`)).toEqual(["a"]);
  }, 30_000);

  // A fifo's writer sends part of the data and holds it open: the copy is
  // cut short in the middle of the file, every time.
  for (const inplace of [true, false]) {
    test(`SIGTERM in the middle of a file${inplace ? " written --inplace: left partial under its name, and said so (with --json, a warning event naming it)" : ": nothing under its name, no temporary file"}, exit 143`, async () => {
      const root = sandbox("sigterm-midfile");
      sh("mkfifo p", root);
      // The writer holds the fifo open (read-write: no wait for a reader) before blit opens it, so blit never meets its end.
      const writer = Bun.spawn(["sh", "-c", "exec 3<>p; printf partial-data >&3; echo ready; exec sleep 10"], { cwd: root, stdout: "pipe" });
      await writer.stdout.getReader().read();
      const proc = Bun.spawn([BLIT, ...(inplace ? ["--inplace"] : []), "p", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
      const holding = () => {
        try {
          return readdirSync(root).some((name) => name === "dst" || name.startsWith(".blit-")) && sh("cat dst .blit-* 2>/dev/null || true", root) === "partial-data";
        } catch {
          return false;
        }
      };
      let held = false;
      for (let i = 0; i < 20_000 && !(held = holding()); i++) await Bun.sleep(0.5);
      // Meanwhile the bytes are under a temporary name only, never the final one (with --inplace, the final one only).
      expect(held).toBe(true);
      expect(readdirSync(root).filter((name) => name !== "p").map((name) => (name.startsWith(".blit-") ? ".blit-*" : name))).toEqual([inplace ? "dst" : ".blit-*"]);
      proc.kill("SIGTERM");
      const exitCode = await proc.exited;
      writer.kill();
      const stderr = await new Response(proc.stderr).text();
      const summary = "blit: interrupted by SIGTERM: copied 0 files \\(0 bytes\\), 0 directories in [\\d.]+ s \\([^)]*\\), 0 errors; the rest was not copied\n";
      const said = inplace ? `blit: warning: 'dst' is left partial: cut short while written in place \\(--inplace\\)\n${summary}` : summary;
      expect({ exitCode, stderr }).toEqual({ exitCode: 143, stderr: expect.stringMatching(new RegExp(`^${said}$`)) });
      expect(readdirSync(root).sort()).toEqual(inplace ? ["dst", "p"] : ["p"]);
      if (!inplace) return;
      expect(readFileSync(`${root}/dst`, "utf8")).toBe("partial-data");
      // A pipeline that collects paths from --json's events is told which file is partial.
      const again = Bun.spawn(["sh", "-c", "exec 3<>p; printf partial-data >&3; echo ready; exec sleep 10"], { cwd: root, stdout: "pipe" });
      await again.stdout.getReader().read();
      const json = Bun.spawn([BLIT, "--inplace", "--json", "p", "dst2"], { cwd: root, stdout: "pipe", stderr: "pipe" });
      const written = () => existsSync(`${root}/dst2`) && readFileSync(`${root}/dst2`, "utf8") === "partial-data";
      for (const deadline = Date.now() + 10_000; Date.now() < deadline && !written(); ) await Bun.sleep(1);
      expect(written()).toBe(true);
      json.kill("SIGTERM");
      expect(await json.exited).toBe(143);
      again.kill();
      const events = (await new Response(json.stdout).text()).split("\n").filter(Boolean).map((line) => JSON.parse(line));
      expect(events.filter((event) => event.type === "warning")).toEqual([{ type: "warning", message: "'dst2' is left partial: cut short while written in place (--inplace)", op: "write", path: "dst2" }]);
    }, 30_000);
  }

  // --max-delete counts first, in a dry run of the whole copy, with the
  // destinations open: a signal then waited for the count to end (a tree on a
  // slow disk: minutes), and the count was judged as if complete.
  testIf(existsSync("/proc/self/fd") ? undefined : "needs /proc to see DEST opened")("a signal while --max-delete counts: stopped at once, nothing judged, nothing deleted, exit 130", async () => {
    const root = sandbox("sigint-counting");
    sh("mkdir -p src dst/old && cd dst/old && seq 40 | xargs mkdir && for d in $(seq 40); do (cd $d && seq 1000 | xargs touch); done", root);
    const proc = Bun.spawn([BLIT, "-rT", "--delete", "--max-delete=1", "src", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    // The destinations are open (DEST held) before the count starts.
    const holdsDst = () => {
      try {
        return readdirSync(`/proc/${proc.pid}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${proc.pid}/fd/${fd}`) === `${root}/dst`;
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 20_000 && !holdsDst(); i++) await Bun.sleep(0.5);
    proc.kill("SIGINT");
    const exitCode = await proc.exited;
    const stderr = await new Response(proc.stderr).text();
    expect({ exitCode, stderr }).toEqual({ exitCode: 130, stderr: expect.stringMatching(/^blit: interrupted by SIGINT: copied 0 files \(0 bytes\), 0 directories in [\d.]+ s \([^)]*\), 0 errors; the rest was not copied\n$/) });
    expect(readdirSync(`${root}/dst/old`).length).toBe(40);
  }, 60_000);

  // The question about a directory in the way is asked while planning, on
  // the thread that would run blit's handler: the signal ends blit there,
  // by its default action, as it ends cp (it waited for the answer).
  test("SIGINT while -i asks about a directory in the way of a file: ended by the signal, as cp, nothing written", async () => {
    const root = sandbox("sigint-planning");
    sh("printf x > f && mkdir -p dd/f", root);
    const r = await interruptQuestion(["-i", "f", "dd/"], root);
    expect(r).toEqual({ question: "blit: overwrite 'dd/f'? ", exited: 130, signal: "SIGINT", stderr: "blit: overwrite 'dd/f'? " });
    expect(sh("find dd | sort", root)).toBe("dd\ndd/f\n");
  }, 30_000);

  // SIGHUP: the terminal or the ssh session going away. Its default killed
  // blit with its files in flight left as .blit-*.tmp (hundreds of MB);
  // rsync removes its temporaries on SIGHUP too (exit 20).
  // SIGQUIT (^\ at the terminal) too, whose default also left the bar's hidden cursor.
  const LINUX_ONLY = process.platform === "linux" ? undefined : "SIGHUP and SIGQUIT are handled only where /proc/self/status says how they were inherited";
  for (const [signal, exit, skip] of [["SIGTERM", 143, undefined], ["SIGHUP", 129, LINUX_ONLY], ["SIGQUIT", 131, LINUX_ONLY]] as const) {
    testIf(skip)(`${signal}: the same, exit ${exit}`, async () => {
      const root = sandbox(signal.toLowerCase());
      sh("mkdir src && for f in 1 2 3 4 5 6 7 8; do head -c 40000000 /dev/urandom > src/f$f; done", root);
      // Signalled once the first temporary file is there: from the page cache
      // the eight files take ~0.1 s, so a fixed delay sometimes came too late.
      // --reflink=never: files that clone are done before any signal could come.
      const proc = Bun.spawn([BLIT, "-a", "-j", "2", "--reflink=never", "src", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
      const writing = () => {
        try {
          return readdirSync(`${root}/dst`).some((name) => name.endsWith(".tmp"));
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 20_000 && !writing(); i++) await Bun.sleep(0.5);
      expect(writing()).toBe(true);
      proc.kill(signal);
      const exitCode = await proc.exited;
      const stderr = await new Response(proc.stderr).text();
      const stdout = await new Response(proc.stdout).text();
      expect({ exitCode, stdout }).toEqual({ exitCode: exit, stdout: "" });
      expect(stderr).toMatch(new RegExp(`^blit: interrupted by ${signal}: copied \\d+ files? \\([^)]*\\), 1 directory in [\\d.]+ s \\([^)]*\\), 0 errors; the rest was not copied\\n$`));
      for (const name of readdirSync(`${root}/dst`)) {
        expect(name).toMatch(/^f\d$/);
        expect(readFileSync(`${root}/dst/${name}`).equals(readFileSync(`${root}/src/${name}`))).toBe(true);
      }
    }, 60_000);
  }
});
