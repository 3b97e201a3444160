// How src/engine/copy-data.ts decides what a failed clone means: a failure
// that says the two filesystems cannot clone stops the asking for the rest
// of the run, one that concerns a single file does not. Through the macOS
// shim's POSIX core built for Linux, whose clone into a new name is FICLONE
// (as fclonefileat it takes a name, and fails for that name alone with
// EEXIST), on a real XFS with reflink.

import { describe, expect } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DarwinBackend } from "../../ffi/darwin/index.ts";
import { DataCopier } from "../../src/engine/copy-data.ts";
import { BLIT, hasCommand, ROOT, run, sh } from "../helpers/blit.ts";
import { mountTmpfs, mountXfs, tmpfsUnavailable, xfsUnavailable } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";

const DARWIN_POSIX_SHIM = join(ROOT, "build", "shim", "darwin-posix", "libblit.so");
const bytes = (text: string) => new TextEncoder().encode(text);

/** A 1 MiB file `src` and a file `taken` in dir, both synced; the backend's descriptors of the directory and of `src`. */
function setup(b: DarwinBackend, dir: string): { dirFd: number; src: number; dev: number } {
  sh("head -c 1048576 /dev/urandom > src && printf old > taken && sync", dir);
  const dirFd = b.openDir(b.cwd, bytes(dir), true);
  const src = b.openRead(dirFd, bytes("src"), false);
  const st = b.fstat(src);
  if (dirFd < 0 || src < 0 || typeof st === "number") throw new Error(`cannot open ${dir}/src`);
  return { dirFd, src, dev: st.dev };
}

describe("a clone that fails", () => {
  const b = DarwinBackend.open(DARWIN_POSIX_SHIM);
  const request = (dev: number) => ({ reflink: "auto" as const, sparse: "auto" as const, size: 1 << 20, blocks: 2048, srcDev: dev, dstDev: dev });

  testIf(xfsUnavailable)("for one name only (EEXIST): that file is copied the other ways, and the next is still cloned", () => {
    const xfs = mountXfs(300);
    const { dirFd, src, dev } = setup(b, xfs);
    const data = new DataCopier(b);
    expect(data.cloneAsNew(src, dirFd, bytes("taken"), request(dev))).toBeUndefined();
    expect(readFileSync(join(xfs, "taken"), "utf8")).toBe("old");
    expect(data.cloneUnsupported(dev, dev)).toBe(false);
    const next = data.cloneAsNew(src, dirFd, bytes("copy"), request(dev));
    expect(next?.outcome).toEqual({ ok: true, method: "clone", bytes: 1 << 20 });
    if (next) b.close(next.fd);
    b.close(src);
    b.close(dirFd);
    expect(readFileSync(join(xfs, "copy")).equals(readFileSync(join(xfs, "src")))).toBe(true);
    expect(run(["filefrag", "-v", join(xfs, "copy")]).stdout).toMatch(/\bshared\b/);
  });

  testIf(tmpfsUnavailable)("because the filesystem cannot clone (tmpfs): not asked again for that pair of devices, nothing left under the name", () => {
    const tmpfs = mountTmpfs("size=16m");
    const { dirFd, src, dev } = setup(b, tmpfs);
    const data = new DataCopier(b);
    expect(data.cloneAsNew(src, dirFd, bytes("copy"), request(dev))).toBeUndefined();
    expect(existsSync(join(tmpfs, "copy"))).toBe(false);
    expect(data.cloneUnsupported(dev, dev)).toBe(true);
    b.close(src);
    b.close(dirFd);
  });
});

// A write that takes nothing and says no error (some FUSE filesystems answer
// so when full) is ENOSPC, as coreutils' full_write has it. blit asked again
// forever. strace makes every pwrite64 answer 0; timeout, traced too, ends
// a blit that would loop (strace's own end would only detach it). In the
// tree, a file that another mechanism copies is whole.
describe.skipIf(!hasCommand("strace"))("a write that takes nothing", () => {
  const cases: { name: string; args: string[]; portable?: boolean }[] = [
    { name: "the small files of a tree (the batch's writes)", args: ["-r", "s", "d"] },
    { name: "a file copied by reads and writes (--sparse=always)", args: ["--sparse=always", "big", "d"] },
    { name: "the small files of a tree, portable fallback", args: ["-r", "s", "d"], portable: true },
    { name: "a file of 3 MB, portable fallback", args: ["big", "d"], portable: true },
  ];
  for (const c of cases) {
    testIf(c.portable ? tmpfsUnavailable : undefined)(`${c.name}: No space left on device, exit 1, nothing under its name`, () => {
      const root = sandbox("zero-write");
      sh("mkdir s && printf 1 > s/a && printf 22 > s/b && printf 333 > s/c && head -c 3000000 /dev/urandom > big", root);
      if (!c.args.includes("-r")) sh("mkdir d", root);
      let env: Record<string, string | undefined> = {};
      if (c.portable) {
        // The shim cannot be loaded from a noexec cache: the portable fallback runs.
        const noexec = mountTmpfs("size=16m,noexec");
        sh("mkdir home tmp", noexec);
        env = { HOME: `${noexec}/home`, TMPDIR: `${noexec}/tmp`, XDG_CACHE_HOME: undefined };
      }
      const r = run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=pwrite64", "-e", "inject=pwrite64:retval=0", "timeout", "-s", "KILL", "30", BLIT, "-j", "1", ...c.args], { cwd: root, env });
      // strace's own complaints (a thread gone as it was stopped: `strace: ptrace(PTRACE_LISTEN,...): Input/output error`, seen in a CI run) are not blit's.
      const errors = r.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("blit: warning: native copy engine unavailable") && !line.startsWith("strace: "));
      const failed = errors.map((line) => /^blit: error writing 'd\/(\w+)': No space left on device$/.exec(line)?.[1] ?? line);
      expect({ exitCode: r.exitCode, stdout: r.stdout }).toEqual({ exitCode: 1, stdout: "" });
      expect(failed.length).toBeGreaterThan(0);
      const copied = readdirSync(join(root, "d"));
      for (const name of failed) expect(["a", "b", "c", "big"]).toContain(name);
      expect(copied.filter((name) => failed.includes(name) || name.startsWith(".blit-"))).toEqual([]);
      for (const name of copied) expect(readFileSync(join(root, "d", name)).equals(readFileSync(join(root, name === "big" ? "big" : `s/${name}`)))).toBe(true);
    });
  }
});
