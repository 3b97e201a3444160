// Sources that change while they are copied: files that vanish are reported
// (exit 24, as rsync), files that grow or shrink are copied without
// corruption and reported. Both are races by nature, so each test retries until it caught one.

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { BLIT, ended, heldOpen, sh, stats } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";

/**
 * Runs blit while `meanwhile` changes the source. A helper that prints a line
 * once it is set up is waited for (a cold Python can take longer to start
 * than blit takes to copy 200 MB from the page cache); others get 30 ms.
 */
async function runWhile(root: string, args: string[], meanwhile: string[], env: Record<string, string> = {}, signalsReady = false) {
  const helper = Bun.spawn(meanwhile, { cwd: root, stdout: "pipe", stderr: "ignore" });
  if (signalsReady) await helper.stdout.getReader().read();
  else await Bun.sleep(30);
  const proc = Bun.spawn([BLIT, ...args], { cwd: root, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const exitCode = await proc.exited;
  helper.kill();
  await helper.exited;
  return { exitCode, stdout: await new Response(proc.stdout).text(), stderr: await new Response(proc.stderr).text() };
}

describe("a source that changes during the copy", () => {
  test("files deleted after they were listed are reported as vanished, exit 24", async () => {
    let caught = false;
    for (let attempt = 0; attempt < 5 && !caught; attempt++) {
      const root = sandbox("vanish");
      sh("mkdir src && for d in $(seq 1 20); do mkdir src/d$d; for f in $(seq 1 300); do printf $f > src/d$d/f$f; done; done", root);
      const r = await runWhile(root, ["-r", "--stats", "--progress", "-j1", "src", "dst"], ["sh", "-c", "for d in $(seq 20 -1 1); do rm -rf src/d$d; done"]);
      const vanished = r.stderr.split("\n").filter((line) => line.startsWith("blit: warning: file has vanished: "));
      if (vanished.length === 0) continue;
      caught = true;
      expect(r.exitCode).toBe(24);
      expect(Number(stats(r.stdout).vanished)).toBe(vanished.length);
      // The summary line says so too (--progress: it is written without a terminal).
      const [summary, ...others] = r.stderr.split("\n").filter((l) => l && !l.startsWith("blit: warning: file has vanished: ")).reverse();
      expect(summary).toContain(`, ${vanished.length} vanished in `);
      expect(others.filter((l) => l.startsWith("blit: "))).toEqual([]);
      for (const line of vanished) {
        const path = line.slice("blit: warning: file has vanished: ".length).replace(/^'|'$/g, "");
        // A vanished file is not in the copy; a directory removed part-way
        // through its listing keeps what was copied before.
        const copy = `${root}/${path.replace(/^src/, "dst")}`;
        if (existsSync(copy)) expect(statSync(copy).isDirectory()).toBe(true);
      }
    }
    expect(caught).toBe(true);
  }, 120_000);

  test("a file appended to while it is copied is reported and its copy is a clean prefix", async () => {
    let caught = false;
    for (let attempt = 0; attempt < 5 && !caught; attempt++) {
      const root = sandbox("grow");
      sh("mkdir src && head -c 200000000 /dev/urandom > src/log", root);
      const appender = ["python3", "-c", "import os\nf = os.open('src/log', os.O_WRONLY | os.O_APPEND)\nprint('ready', flush=True)\nwhile True: os.write(f, b'appended line\\n' * 64)"];
      // Through read/write (no copy_file_range), so the copy takes a while.
      const r = await runWhile(root, ["--reflink=never", "--stats", "src/log", "copy"], appender, {}, true);
      expect(r.exitCode).toBe(0);
      if (!r.stderr.includes("file changed as we read it")) continue;
      caught = true;
      expect(r.stderr).toBe("blit: warning: 'src/log': file changed as we read it\n");
      expect(stats(r.stdout)["changed while read"]).toBe("1");
      const copy = readFileSync(`${root}/copy`);
      const source = readFileSync(`${root}/src/log`);
      expect(copy.length).toBeGreaterThan(200000000);
      expect(copy.equals(source.subarray(0, copy.length))).toBe(true);
    }
    expect(caught).toBe(true);
  }, 120_000);

  // Through the io_uring ring, and through plain reads (BLIT_NO_URING=1).
  test.each([["ring", {}], ["read/write", { BLIT_NO_URING: "1" }]] as const)(
    "a file truncated while it is copied (%s) is reported and its copy is a clean prefix of what was there",
    async (_, env) => {
      let caught = false;
      for (let attempt = 0; attempt < 5 && !caught; attempt++) {
        const root = sandbox("shrink");
        sh("mkdir src && head -c 200000000 /dev/urandom > original && cp original src/log", root);
        // Cuts the file to 50 MB as soon as blit's temporary file appears.
        const cutter = [
          "python3",
          "-c",
          "import os\nprint('ready', flush=True)\nwhile not any(n.startswith('.blit-') for n in os.listdir('.')): pass\nos.truncate('src/log', 50000000)",
        ];
        const { exitCode, stdout, stderr } = await runWhile(root, ["--reflink=never", "--stats", "src/log", "copy"], cutter, env, true);
        expect(exitCode).toBe(0);
        if (!stderr.includes("file changed as we read it")) continue;
        caught = true;
        expect(stderr).toBe("blit: warning: 'src/log': file changed as we read it\n");
        expect(stats(stdout)["changed while read"]).toBe("1");
        // Bytes read before the cut are what the file held then (as cp
        // would keep them); nothing after the point the copy reached.
        const copy = readFileSync(`${root}/copy`);
        expect(copy.length).toBeGreaterThanOrEqual(50000000);
        expect(copy.length).toBeLessThan(200000000);
        expect(copy.equals(readFileSync(`${root}/original`).subarray(0, copy.length))).toBe(true);
      }
      expect(caught).toBe(true);
    },
    120_000,
  );

  // Files up to 1 MiB are opened and read in batches after their directory
  // is listed; each copy took the listing's mode, owner and times, so a file
  // renamed over the name in between (an editor saving, a secret rotated)
  // was copied as the new file's bytes with the old file's mode 0644, and
  // a directory put there was reported as "cannot open ... Is a directory".
  // Each name is exchanged (renameat2 RENAME_EXCHANGE), never missing, from
  // when blit has made DEST: a file back and forth until blit is done, a
  // directory once (a directory listed is another test's business).
  const REPLACED = [
    { by: "a file of the same size, mode 0600", replacement: "open(f'new/f{i}', 'w').write('B' * 100); os.chmod(f'new/f{i}', 0o600)", rounds: "while True" },
    { by: "a directory", replacement: "os.mkdir(f'new/f{i}')", rounds: "if True" },
  ];
  for (const { by, replacement, rounds } of REPLACED) {
    test(`small files replaced by ${by} after they were listed: each copy is one file's bytes with its own mode, or is reported`, async () => {
      let caught = false;
      for (let attempt = 0; attempt < 5 && !caught; attempt++) {
        const root = sandbox("replaced");
        sh(`mkdir src new && python3 -c "
import os
for i in range(2000):
    open(f'src/f{i}', 'w').write('A' * 100); os.chmod(f'src/f{i}', 0o644)
    ${replacement}"`, root);
        const exchanger = [
          "python3",
          "-c",
          `import ctypes, os\nlibc = ctypes.CDLL(None)\nprint('ready', flush=True)\nwhile not os.path.exists('dst'): pass\n${rounds}:\n for i in range(2000): libc.renameat2(-100, f'new/f{i}'.encode(), -100, f'src/f{i}'.encode(), 2)`,
        ];
        // --reflink=never: where files clone, small ones are cloned, not read in batches.
        const r = await runWhile(root, ["-a", "--reflink=never", "src", "dst"], exchanger, {}, true);
        // A directory there before the listing is copied as one.
        const files = readdirSync(`${root}/dst`).filter((name) => statSync(`${root}/dst/${name}`).isFile());
        const copies = files.map((name) => ({ name, data: readFileSync(`${root}/dst/${name}`, "latin1"), mode: statSync(`${root}/dst/${name}`).mode & 0o777 }));
        const reported = r.stderr.split("\n").filter(Boolean);
        caught = copies.some((c) => c.data.startsWith("B")) || reported.length > 0;
        expect(copies.filter((c) => c.mode !== (c.data.startsWith("B") ? 0o600 : 0o644)).map((c) => `${c.name}: ${c.data[0]}, mode ${c.mode.toString(8)}`)).toEqual([]);
        expect(reported.filter((line) => !/^blit: 'src\/f\d+' was replaced while being copied; skipped$/.test(line))).toEqual([]);
        expect({ stdout: r.stdout, exitCode: r.exitCode }).toEqual({ stdout: "", exitCode: reported.length > 0 ? 1 : 0 });
      }
      expect(caught).toBe(true);
    }, 120_000);
  }
  // A directory exchanged with a symlink after its parent was listed (once:
  // blit looks again to tell a swap from another error): opened, it is not a
  // directory (ENOTDIR). The swap the README names, never what is beyond
  // the symlink.
  test("directories exchanged with symlinks after they were listed: each reported as replaced, nothing copied through the symlinks", async () => {
    let caught = false;
    for (let attempt = 0; attempt < 5 && !caught; attempt++) {
      const root = sandbox("swapped-types");
      sh("mkdir src new outside && printf secret > outside/secret && for i in $(seq 0 499); do mkdir src/d$i && printf x > src/d$i/f && ln -s ../outside new/d$i; done", root);
      const exchanger = [
        "python3",
        "-c",
        "import ctypes, os\nlibc = ctypes.CDLL(None)\nprint('ready', flush=True)\nwhile not os.path.exists('dst'): pass\nfor i in range(500): libc.renameat2(-100, f'new/d{i}'.encode(), -100, f'src/d{i}'.encode(), 2)",
      ];
      const r = await runWhile(root, ["-a", "src", "dst"], exchanger, {}, true);
      const reported = r.stderr.split("\n").filter(Boolean);
      caught = reported.length > 0;
      expect(reported.filter((line) => !/^blit: 'src\/d\d+' was replaced while being copied; skipped$/.test(line))).toEqual([]);
      expect({ stdout: r.stdout, exitCode: r.exitCode }).toEqual({ stdout: "", exitCode: reported.length > 0 ? 1 : 0 });
      expect(sh("find dst -name secret", root)).toBe("");
    }
    expect(caught).toBe(true);
  }, 120_000);

  // The small files are read in a batch after the fifo, whose copy waits for
  // its writer: by then each is a symlink to a file outside SOURCE. The
  // build before said "Too many levels of symbolic links" of each.
  test("files renamed over by symlinks after they were listed: each reported as replaced, nothing read through them", async () => {
    const root = sandbox("file-to-symlink");
    sh("mkdir src outside && printf secret > outside/secret && for i in $(seq 10 29); do printf $i > src/f$i; done && mkfifo src/p", root);
    const proc = Bun.spawn([BLIT, "-a", "--copy-contents", "src", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    await heldOpen(proc.pid, `${root}/src/p`);
    sh("for i in $(seq 10 29); do ln -s ../outside/secret src/.l$i && mv -T src/.l$i src/f$i; done && printf x > src/p", root);
    const { stdout, stderr, exitCode } = await ended(proc);
    expect({ stdout, exitCode }).toEqual({ stdout: "", exitCode: 1 });
    const reported = stderr.split("\n").filter(Boolean);
    expect(reported.filter((line) => !/^blit: 'src\/f\d+' was replaced while being copied; skipped$/.test(line))).toEqual([]);
    expect(reported.length).toBeGreaterThan(0);
    // Those copied before the fifo are the files that were there; the others are not copied at all.
    const copied = readdirSync(`${root}/dst`).filter((name) => name !== "p");
    expect(copied.length + reported.length).toBe(20);
    for (const name of copied) expect(readFileSync(`${root}/dst/${name}`, "utf8")).toBe(name.slice(1));
    expect(readFileSync(`${root}/dst/p`, "utf8")).toBe("x");
  });

});
