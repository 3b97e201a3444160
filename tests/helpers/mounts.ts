// Real filesystems for tests: an XFS image with reflink on a loop device, a
// small tmpfs, a noexec tmpfs. Each mount is undone (and its loop device
// detached) when the test ends, whether it passed or not: tests/setup.ts
// runs undoMounts after every test of every file. (A hook registered here
// would bind to whichever file imported this module first, and mounts made
// by the other files would leak.) tests/run.ts fails the run if one survives.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand, isRoot, run } from "./blit.ts";

/** Every mount point this suite makes starts with this, under the temp dir. */
export const MOUNT_PREFIX = "blit-mnt-";

const cleanups: (() => void)[] = [];

export function undoMounts(): void {
  while (cleanups.length) {
    try {
      cleanups.pop()!();
    } catch (err) {
      console.error(`cleanup failed: ${(err as Error).message}`);
    }
  }
}

function must(cmd: string[]): string {
  const r = run(cmd);
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

function mountPoint(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${MOUNT_PREFIX}${label}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function unmountLater(dir: string): void {
  cleanups.push(() => {
    // Lazy unmount as a last resort, so a busy mount cannot leak.
    if (run(["umount", dir]).exitCode !== 0) run(["umount", "-l", dir]);
  });
}

/** Why XFS loop mounts cannot be made here, or undefined if they can. */
export const xfsUnavailable: string | undefined = !isRoot
  ? "mounting needs root"
  : !hasCommand("mkfs.xfs")
    ? "mkfs.xfs is not installed (xfsprogs)"
    : !hasCommand("losetup")
      ? "losetup is not installed"
      : undefined;

export const tmpfsUnavailable: string | undefined = !isRoot ? "mounting needs root" : undefined;

/** Mounts a fresh XFS filesystem with reflink on a loop device. */
export function mountXfs(sizeMiB = 512): string {
  const image = join(mountPoint("img"), "xfs.img");
  must(["truncate", "-s", `${sizeMiB}M`, image]);
  must(["mkfs.xfs", "-q", "-m", "reflink=1", image]);
  const loop = must(["losetup", "--find", "--show", image]).trim();
  cleanups.push(() => {
    run(["losetup", "-d", loop]);
  });
  const dir = mountPoint("xfs");
  must(["mount", loop, dir]);
  unmountLater(dir);
  return dir;
}

export function mountTmpfs(options = "size=64m"): string {
  const dir = mountPoint("tmpfs");
  must(["mount", "-t", "tmpfs", "-o", options, "tmpfs", dir]);
  unmountLater(dir);
  return dir;
}

/** A ramfs: a filesystem that holds no user xattrs. */
export function mountRamfs(): string {
  const dir = mountPoint("ramfs");
  must(["mount", "-t", "ramfs", "ramfs", dir]);
  unmountLater(dir);
  return dir;
}
