// Real filesystems for tests: an XFS image with reflink on a loop device, a
// small tmpfs, a noexec tmpfs. Each mount is undone (and its loop device
// detached) when the test ends, whether it passed or not: tests/setup.ts
// runs undoMounts after every test of every file. (A hook registered here
// would bind to whichever file imported this module first, and mounts made
// by the other files would leak.) tests/run.ts fails the run if one survives.

import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
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

/** Why `chattr +i` cannot be used in a sandbox here, or undefined: it needs root and a filesystem with the flag. */
export function immutableUnavailable(dir: string): string | undefined {
  const file = join(dir, "immutable-probe");
  run(["touch", file]);
  const ok = run(["chattr", "+i", file]).exitCode === 0;
  run(["chattr", "-i", file]);
  rmSync(file, { force: true });
  return ok ? undefined : "chattr +i does not work here (needs root and a filesystem with the flag)";
}

/** A fresh filesystem of sizeMiB, made by mkfs (given the image's path last), on a loop device. */
function mountImage(label: string, sizeMiB: number, mkfs: string[]): string {
  const image = join(mountPoint("img"), `${label}.img`);
  must(["truncate", "-s", `${sizeMiB}M`, image]);
  must([...mkfs, image]);
  const loop = must(["losetup", "--find", "--show", image]).trim();
  cleanups.push(() => {
    run(["losetup", "-d", loop]);
  });
  const dir = mountPoint(label);
  must(["mount", loop, dir]);
  unmountLater(dir);
  return dir;
}

/** Mounts a fresh XFS filesystem with reflink on a loop device. */
export function mountXfs(sizeMiB = 512): string {
  return mountImage("xfs", sizeMiB, ["mkfs.xfs", "-q", "-m", "reflink=1"]);
}

/** Why a bindfs (FUSE) mount cannot be made here, or undefined if it can. */
export const bindfsUnavailable: string | undefined = !isRoot
  ? "mounting needs root"
  : !hasCommand("bindfs")
    ? "bindfs is not installed"
    : !existsSync("/dev/fuse")
      ? "this kernel offers no FUSE (/dev/fuse)"
      : undefined;

/** A FUSE filesystem (bindfs over a fresh directory) whose server has no rename flags: RENAME_NOREPLACE is EINVAL there, as on sshfs. */
export function mountBindfs(): string {
  const backing = mountPoint("bindfs-backing");
  const dir = mountPoint("bindfs");
  must(["bindfs", backing, dir]);
  unmountLater(dir);
  return dir;
}

/** Why an ext4 with unreadable blocks cannot be made here, or undefined if it can. */
export const badBlocksUnavailable: string | undefined = bindfsUnavailable ??
  (run(["/usr/bin/python3", "-c", "import fusepy"]).exitCode === 0 ? undefined : "python3-fusepy is not installed (a FUSE file serves the disk image)");

/**
 * An ext4 (4 KiB blocks) on a read-only loop device whose reads of
 * `length` bytes of `file` from `offset` fail with EIO, as a disk's bad
 * sectors do: `fill` writes the files, the image is unmounted, then served
 * through a FUSE file (tests/helpers/unreadable-range.py) that fails the
 * reads of those blocks, and mounted again from it, read-only.
 */
export function mountWithBadBlocks(fill: (dir: string) => void, file: string, offset: number, length: number): string {
  const images = mountPoint("bad-blocks-img");
  const image = join(images, "ext4.img");
  must(["truncate", "-s", "64M", image]);
  must(["mkfs.ext4", "-q", "-F", "-b", "4096", image]);
  const dir = mountPoint("bad-blocks");
  must(["mount", "-o", "loop", image, dir]);
  try {
    fill(dir);
  } finally {
    must(["umount", dir]);
  }
  const first = Math.floor(offset / 4096);
  const block = Number(must(["debugfs", "-R", `bmap /${file} ${first}`, image]).trim());
  if (!(block > 0)) throw new Error(`debugfs found no block ${first} of ${file}`);
  const from = block * 4096 + (offset - first * 4096);
  const served = mountPoint("bad-blocks-fuse");
  const server = Bun.spawn(["/usr/bin/python3", join(import.meta.dir, "unreadable-range.py"), image, served, String(from), String(from + length)], { stdout: "ignore", stderr: "pipe" });
  cleanups.push(() => {
    server.kill();
  });
  unmountLater(served);
  for (let tries = 0; !existsSync(join(served, "f")); tries++) {
    if (tries === 100) throw new Error(`the FUSE server over ${image} did not start`);
    Bun.sleepSync(50);
  }
  const loop = must(["losetup", "--find", "--show", "--read-only", join(served, "f")]).trim();
  cleanups.push(() => {
    run(["losetup", "-d", loop]);
  });
  must(["mount", "-o", "ro,noload", loop, dir]);
  unmountLater(dir);
  return dir;
}

/** Why an ext4 loop mount cannot be made here, or undefined if it can. */
export const ext4Unavailable: string | undefined = !isRoot
  ? "mounting needs root"
  : !hasCommand("mkfs.ext4")
    ? "mkfs.ext4 is not installed (e2fsprogs)"
    : !hasCommand("losetup")
      ? "losetup is not installed"
      : undefined;

/** An ext4 filesystem of 128-byte inodes, which keep times in whole seconds, as ext3's and many network filesystems' do. */
export function mountSecondsExt4(sizeMiB = 64): string {
  return mountImage("ext4", sizeMiB, ["mkfs.ext4", "-q", "-F", "-I", "128"]);
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

/** Tries at unmounting a busy filesystem to remount it, 50 ms apart. */
const UMOUNT_TRIES = 100;

/**
 * Mounts a loop mount again, so that none of its inodes, directories or
 * blocks are cached (the image file itself may still be, in the page cache
 * of the filesystem under it); its device.
 */
export function remountCold(dir: string): string {
  const device = must(["findmnt", "-n", "-o", "SOURCE", dir]).trim();
  // A process that used io_uring on it may have exited with its ring's
  // files not yet closed (the kernel tears a ring down in the background):
  // the mount is busy for a moment, longer on a loaded machine.
  for (let tries = 1; ; tries++) {
    const r = run(["umount", dir]);
    if (r.exitCode === 0) break;
    if (tries === UMOUNT_TRIES) throw new Error(`umount ${dir} failed: ${r.stderr.trim()}`);
    Bun.sleepSync(50);
  }
  must(["mount", device, dir]);
  return device;
}

/** Where cgroup v1 keeps its block-throttle groups. */
const BLKIO = "/sys/fs/cgroup/blkio";

/** Why reads from a loop device cannot be slowed down here (cgroup v1's block throttle), or undefined if they can. */
export const slowDiskUnavailable: string | undefined = xfsUnavailable ??
  (existsSync(`${BLKIO}/blkio.throttle.read_iops_device`) ? undefined : `no cgroup v1 block throttle (${BLKIO}/blkio.throttle.read_iops_device) to slow a disk down`);

/**
 * A disk that keeps readers waiting: an XFS loop mount that `fill` writes,
 * mounted again so that nothing of it is cached, and a command prefix that
 * runs a program in a control group of its own whose reads from that
 * device are limited to `readsPerSecond`.
 */
export function mountSlowDisk(fill: (dir: string) => void, readsPerSecond: number): { dir: string; throttled: string[] } {
  const dir = mountXfs();
  fill(dir);
  const device = remountCold(dir);
  const group = mkdtempSync(`${BLKIO}/blit-test-`);
  cleanups.push(() => rmdirSync(group));
  const [major, minor] = readFileSync(`/sys/class/block/${basename(device)}/dev`, "latin1").trim().split(":");
  writeFileSync(`${group}/blkio.throttle.read_iops_device`, `${major}:${minor} ${readsPerSecond}`);
  return { dir, throttled: ["sh", "-c", `echo $$ > ${group}/cgroup.procs && exec "$@"`, "sh"] };
}

/** The FAT family, as Linux names them: each keeps a modification time in coarse steps (vfat 2 s, exfat 10 ms). */
export type FatType = "vfat" | "exfat";

/** A small image of `type`, made and loop-mounted; its files read back as 0644 and its directories as 0755 (FAT keeps no modes). */
function makeFat(type: FatType): { dir: string; mounted: boolean; why: string } {
  const image = join(mountPoint("img"), `${type}.img`);
  must(["truncate", "-s", "64M", image]);
  must([`mkfs.${type}`, image]);
  const dir = mountPoint(type);
  const r = run(["mount", "-o", "loop,fmask=133,dmask=022", "-t", type, image, dir]);
  if (r.exitCode === 0) unmountLater(dir);
  // mount's own words, without the mount point's random name.
  const why = (r.stderr.trim().split("\n")[0] ?? "").replace(`mount: ${dir}: `, "");
  return { dir, mounted: r.exitCode === 0, why };
}

/** Why a `type` image cannot be mounted here (tried once, then undone), or undefined if it can. */
export function fatUnavailable(type: FatType): string | undefined {
  if (!isRoot) return "mounting needs root";
  if (!hasCommand(`mkfs.${type}`)) return `mkfs.${type} is not installed (${type === "vfat" ? "dosfstools" : "exfatprogs"})`;
  try {
    const { mounted, why } = makeFat(type);
    return mounted ? undefined : `this kernel cannot mount ${type} (${why})`;
  } finally {
    undoMounts();
  }
}

/** Mounts a fresh `type` filesystem on a loop device. */
export function mountFat(type: FatType): string {
  const { dir, mounted, why } = makeFat(type);
  if (!mounted) throw new Error(`mount -t ${type} failed: ${why}`);
  return dir;
}
