// The release executables for other machines, run here: linux-arm64 under
// qemu-user (Debian's qemu-user-static, with Debian's arm64 libc) and
// windows-x64 under Wine. Each copies a small tree; what it copied is
// compared with the source.

import { afterAll, describe, expect } from "bun:test";
import { existsSync } from "node:fs";
import { checkEvents, run, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { snapshot } from "../helpers/tree.ts";
import { startWine, type Wine, wineMissing, winPath } from "../helpers/wine.ts";
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
  // The Windows backend itself is tested in tests/ffi/windows.test.ts; this
  // checks the archive's executable starts and copies, as the other targets.
  let w: Wine | undefined;
  const wine = (args: string[]) => (w ??= startWine((dir) => unpack("windows-x64", dir))).blit(args);
  afterAll(() => w?.end());

  testIf(wineMissing)("--version names the target", () => {
    expect(wine(["--version"])).toEqual({
      stdout: expect.stringMatching(/^blit \S+ \(commit [0-9a-f]{12}(-dirty)?, windows-x64\)\n$/),
      stderr: "",
      exitCode: 0,
    });
  });

  testIf(wineMissing)("copies a small tree with -r through the native Windows backend", () => {
    const root = sandbox("wine-copy");
    sh(SMALL_TREE, root);
    const r = wine(["-r", "--stats", winPath(`${root}/src`), winPath(`${root}/dst`)]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("files: 4\ndirectories: 4\n");
    expect(r.stdout).toContain("errors: 0\n");
    expect(r.stdout).toContain("backend: windows\n");
    // Contents and types; Windows has no Unix modes or owners to keep.
    const shape = (tree: ReturnType<typeof snapshot>) => Object.fromEntries(Object.entries(tree).map(([path, e]) => [path, { type: e.type, size: e.type === "file" ? e.size : 0, sha256: e.sha256 }]));
    expect(shape(snapshot(`${root}/dst`))).toEqual(shape(snapshot(`${root}/src`)));
  });

  testIf(wineMissing)("--json -v through the Windows backend: every event holds to the schema", () => {
    const root = sandbox("wine-json");
    sh(SMALL_TREE, root);
    const r = wine(["--json", "-v", "-r", winPath(`${root}/src`), winPath(`${root}/dst`)]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const events = checkEvents(r.stdout);
    expect(events[0]).toMatchObject({ type: "start", backend: "windows", target: "windows-x64" });
    expect(events.filter((e) => e.type === "file")).toHaveLength(8);
    expect(events.at(-1)).toMatchObject({ type: "summary", files: 4, directories: 4, errors: 0, exit_code: 0 });
  });
});
