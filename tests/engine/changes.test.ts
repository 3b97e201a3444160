// Sources that change while they are copied: files that vanish are reported
// (exit 24, as rsync), files that grow or shrink are copied without
// corruption and reported. Both are races by nature, so each test retries until it caught one.

import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { BLIT, sh, stats } from "../helpers/blit.ts";
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
});
