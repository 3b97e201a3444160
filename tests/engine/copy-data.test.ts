// How src/engine/copy-data.ts decides what a failed clone means: a failure
// that says the two filesystems cannot clone stops the asking for the rest
// of the run, one that concerns a single file does not. Through the macOS
// shim's POSIX core built for Linux, whose clone into a new name is FICLONE
// (as fclonefileat it takes a name, and fails for that name alone with
// EEXIST), on a real XFS with reflink.

import { describe, expect } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DarwinBackend } from "../../ffi/darwin/index.ts";
import { DataCopier } from "../../src/engine/copy-data.ts";
import { ROOT, run, sh } from "../helpers/blit.ts";
import { mountTmpfs, mountXfs, tmpfsUnavailable, xfsUnavailable } from "../helpers/mounts.ts";
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
