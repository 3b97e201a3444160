// The release executables for other machines, run here: linux-arm64 under
// qemu-user (Debian's qemu-user-static, with Debian's arm64 libc) and
// windows-x64 under Wine. Each copies a small tree; what it copied is
// compared with the source.

import { afterAll, describe, expect } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkEvents, ROOT, run, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { snapshot } from "../helpers/tree.ts";
import { lacks, unpack } from "./release.ts";

const SMALL_TREE = `mkdir -p src/sub/deep src/empty && printf hello > src/a.txt && : > src/zero &&
  head -c 300000 /dev/urandom > src/sub/b.bin && head -c 5000 /dev/urandom > src/sub/deep/c &&
  chmod 640 src/a.txt && chmod 750 src/sub`;

describe("linux-arm64 under qemu-user", () => {
  const missing = lacks("qemu-aarch64-static", "runs arm64 executables") ?? (existsSync("/lib/ld-linux-aarch64.so.1") ? undefined : "libc6:arm64 is not installed (npm run setup installs it)");
  const qemu = (exe: string, args: string[], env: Record<string, string | undefined> = {}) => run(["qemu-aarch64-static", exe, ...args], { env, timeout: 120_000 });

  testIf(missing)("--version names the target", () => {
    const exe = unpack("linux-arm64", sandbox("arm64"));
    const r = qemu(exe, ["--version"]);
    expect(r).toEqual({ stdout: expect.stringMatching(/^blit \S+ \(commit [0-9a-f]{12}(-dirty)?, linux-arm64\)\n$/), stderr: "", exitCode: 0 });
  });

  // qemu-user 7.2 does not emulate io_uring_setup (ENOSYS): the native shim
  // loads, sees no ring, and blit copies with copy_file_range and plain
  // reads and writes. The ring itself is covered by the x64 tests.
  testIf(missing)("doctor: the native arm64 shim loads; io_uring is unavailable under qemu-user, so the fallback is taken", () => {
    const home = sandbox("arm64-home");
    const exe = unpack("linux-arm64", sandbox("arm64"));
    const r = qemu(exe, ["doctor", home], { HOME: home, XDG_CACHE_HOME: undefined });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^blit \S+ on linux-arm64, \d+ CPUs\nbackend: linux \(native shim over liburing\)\n {2}shim: .*\/libblit-[0-9a-f]{16}\.so\n/);
    expect(r.stdout).toContain("  io_uring: unavailable: Function not implemented\n");
    // The shim extracted from the arm64 executable is an aarch64 ELF.
    const shim = /^ {2}shim: (.+)$/m.exec(r.stdout)![1]!;
    expect(run(["file", "-b", shim]).stdout).toMatch(/^ELF 64-bit LSB shared object, ARM aarch64/);
  });

  testIf(missing)("copies a small tree with -a: same tree, no io_uring submission, exit 0", () => {
    const root = sandbox("arm64-copy");
    sh(`${SMALL_TREE} && ln -s a.txt src/link && touch -d '2001-02-03 04:05:06.5' src/a.txt src/sub`, root);
    const exe = unpack("linux-arm64", sandbox("arm64"));
    const r = run(["qemu-aarch64-static", exe, "-a", "--stats", "src", "dst"], { cwd: root, env: { HOME: root } });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("files: 4\ndirectories: 4\nsymlinks: 1\n");
    expect(r.stdout).toContain("errors: 0\n");
    expect(r.stdout).toContain("io_uring submits: 0\nio_uring ops: 0\n");
    expect(r.stdout).toContain("method batched (io_uring): 0\n");
    expect(r.stdout).toContain("backend: linux\n");
    expect(snapshot(`${root}/dst`, { times: true, skipTimesOf: ["."] })).toEqual(snapshot(`${root}/src`, { times: true, skipTimesOf: ["."] }));
  });
});

describe("windows-x64 under Wine", () => {
  const missing = lacks("wine", "runs Windows executables") ?? lacks("x86_64-w64-mingw32-gcc", "builds the bcryptprimitives.dll stand-in Wine 8 needs");

  /** blit.exe beside the ProcessPrng stand-in (tests/release/wine/), in a Wine prefix of its own. */
  function wineBlit(): { exe: string; env: Record<string, string | undefined> } {
    const dir = sandbox("wine");
    const exe = unpack("windows-x64", dir);
    const dllDir = join(ROOT, "build", "wine");
    const dll = join(dllDir, "bcryptprimitives.dll");
    if (!existsSync(dll)) {
      mkdirSync(dllDir, { recursive: true });
      const src = join(ROOT, "tests", "release", "wine");
      const r = run(["x86_64-w64-mingw32-gcc", "-O2", "-shared", "-o", dll, join(src, "bcryptprimitives.c"), join(src, "bcryptprimitives.def"), "-ladvapi32"]);
      if (r.exitCode !== 0) throw new Error(`cannot build ${dll}: ${r.stderr}`);
    }
    copyFileSync(dll, join(dir, "bcryptprimitives.dll"));
    // One Wine prefix for this file (made on first use, ~8 s; ~700 MB), removed after it.
    prefix ??= mkdtempSync(join(process.env.BLIT_TEST_TMP ?? tmpdir(), "blit-wineprefix-"));
    return { exe, env: { WINEDEBUG: "-all", WINEPREFIX: prefix, WINEDLLOVERRIDES: "mscoree,mshtml=" } };
  }
  let prefix: string | undefined;
  afterAll(() => {
    if (prefix === undefined) return;
    // wineserver outlives the last program by a few seconds: stop it first.
    run(["wineserver", "-k"], { env: { WINEPREFIX: prefix } });
    rmSync(prefix, { recursive: true, force: true });
  });
  const wine = (args: string[], options: { cwd?: string } = {}) => {
    const { exe, env } = wineBlit();
    return run(["wine", exe, ...args], { env, cwd: options.cwd, timeout: 120_000 });
  };

  testIf(missing)("--version names the target", () => {
    const r = wine(["--version"]);
    expect({ ...r, stderr: r.stderr.replace(/^wine: .*\n/gm, "") }).toEqual({
      stdout: expect.stringMatching(/^blit \S+ \(commit [0-9a-f]{12}(-dirty)?, windows-x64\)\r?\n$/),
      stderr: "",
      exitCode: 0,
    });
  });

  testIf(missing)("doctor says the portable backend runs, and why", () => {
    const dir = sandbox("wine-doctor");
    const r = wine(["doctor", dir]);
    expect({ ...r, stderr: r.stderr.replace(/^wine: .*\n/gm, "") }).toEqual({
      stdout: expect.stringMatching(/^blit \S+ on win32-x64, \d+ CPUs\r?\n/),
      stderr: "",
      exitCode: 0,
    });
    expect(r.stdout.replace(/\r/g, "")).toContain(
      "backend: portable (Bun's node:fs; slower)\n  why: this build has no native Windows backend yet: it copies through Bun's node:fs\n",
    );
    expect(r.stdout.replace(/\r/g, "")).toContain("method for files within this filesystem: read_write (fs.readSync/writeSync): reads and writes\nacross filesystems: read_write (fs.readSync/writeSync): reads and writes\n");
  });

  // Absolute paths: blit's own path code splits on "/" only, which Wine's
  // Unix paths give (Z:\ paths are the Windows backend's issue).
  testIf(missing)("copies a small tree with -r through the portable backend, without a warning", () => {
    const root = sandbox("wine-copy");
    sh(SMALL_TREE, root);
    const r = wine(["-r", "--stats", `${root}/src`, `${root}/dst`]);
    expect(r.stderr.replace(/^wine: .*\n/gm, "")).toBe("");
    expect(r.exitCode).toBe(0);
    const out = r.stdout.replace(/\r/g, "");
    expect(out).toContain("files: 4\ndirectories: 4\n");
    expect(out).toContain("errors: 0\n");
    expect(out).toContain("backend: portable\n");
    // Contents and types; Windows has no Unix modes or owners to keep.
    const shape = (tree: ReturnType<typeof snapshot>) => Object.fromEntries(Object.entries(tree).map(([path, e]) => [path, { type: e.type, size: e.type === "file" ? e.size : 0, sha256: e.sha256 }]));
    expect(shape(snapshot(`${root}/dst`))).toEqual(shape(snapshot(`${root}/src`)));
  });

  testIf(missing)("--json -v through the portable backend: every event holds to the schema", () => {
    const root = sandbox("wine-json");
    sh(SMALL_TREE, root);
    const r = wine(["--json", "-v", "-r", `${root}/src`, `${root}/dst`]);
    expect(r.stderr.replace(/^wine: .*\n/gm, "")).toBe("");
    expect(r.exitCode).toBe(0);
    const events = checkEvents(r.stdout);
    expect(events[0]).toMatchObject({ type: "start", backend: "portable", target: "windows-x64" });
    expect(events.filter((e) => e.type === "file")).toHaveLength(8);
    expect(events.at(-1)).toMatchObject({ type: "summary", files: 4, directories: 4, errors: 0, exit_code: 0 });
  });
});
