// What `blit doctor` learns on Linux: io_uring and its operations, and what a
// filesystem supports, tried on scratch files that are removed afterwards.

import { readFileSync } from "node:fs";
import { RING_OP_COUNT, RingOp, type RingOpName } from "../abi.ts";
import type { CopyMethod, FilesystemReport } from "../backend.ts";
import type { LinuxBackend } from "./index.ts";
import type { Constants, Shim } from "./shim.ts";

const FS_NAMES: Record<number, string> = {
  0xef53: "ext2/ext3/ext4",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x01021994: "tmpfs",
  0x858458f6: "ramfs",
  0x6969: "nfs",
  0x794c7630: "overlayfs",
  0x2fc12fc1: "zfs",
  0xf2f52010: "f2fs",
  0xca451a4e: "bcachefs",
  0x65735546: "fuse",
  0x9fa0: "proc",
  0x62656572: "sysfs",
  0xfe534d42: "smb2",
  0xff534d42: "cifs",
  0x2011bab0: "exfat",
  0x4d44: "vfat",
  0x5346544e: "ntfs",
  0x73717368: "squashfs",
  0xe0f5e1e2: "erofs",
  0x01021997: "9p",
};

export function ioUringReport(shim: Shim, strerror: (errno: number) => string): string {
  const supported = new Uint8Array(RING_OP_COUNT);
  const r = shim.blit_ring_probe(supported, RING_OP_COUNT);
  let disabled = "";
  try {
    disabled = readFileSync("/proc/sys/kernel/io_uring_disabled", "utf8").trim();
  } catch {
    // Kernels before 6.6 have no such switch.
  }
  if (r < 0) {
    const why = disabled && disabled !== "0" ? ` (kernel.io_uring_disabled=${disabled})` : "";
    return `unavailable: ${strerror(-r)}${why}`;
  }
  const names = Object.keys(RingOp) as RingOpName[];
  const ops = names.filter((name) => supported[RingOp[name]] === 1);
  const missing = names.filter((name) => supported[RingOp[name]] !== 1);
  let text = `available; ops: ${ops.join(" ")}`;
  if (missing.length) text += `; missing: ${missing.join(" ")}`;
  if (process.env.BLIT_NO_URING === "1") text += "; not used: BLIT_NO_URING=1";
  return text;
}

type Checks = FilesystemReport["checks"];

/** Tries each method on scratch files in dir, then removes them. */
function probeWithScratchFiles(b: LinuxBackend, shim: Shim, c: Constants, dir: number): Checks | number {
  const enc = new TextEncoder();
  const tag = `${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  const names = ["a", "b", "c"].map((x) => enc.encode(`.blit-probe-${tag}-${x}`)) as [Uint8Array, Uint8Array, Uint8Array];
  const fds: number[] = [];
  const open = (fd: number) => {
    if (fd >= 0) fds.push(fd);
    return fd;
  };
  const checks: Checks = [];
  const record = (name: string, res: number, ok: string, method?: CopyMethod) => {
    checks.push({ name, supported: res >= 0, detail: res >= 0 ? ok : b.strerror(-res), method });
  };
  try {
    const writer = open(b.createFile(dir, names[0], 0o600));
    if (writer < 0) return writer;
    // 64 KiB of data at 1 MiB: a file that starts with a hole.
    const data = new Uint8Array(64 << 10).fill(0x5a);
    const w = shim.blit_pwrite(writer, data, data.length, 1 << 20);
    if (w < 0) return w;
    const src = open(b.openRead(dir, names[0], false));
    if (src < 0) return src;
    const cloneDst = open(b.createFile(dir, names[1], 0o600));
    if (cloneDst < 0) return cloneDst;
    record("reflink (FICLONE)", shim.blit_ficlone(cloneDst, src), "supported", "clone");
    const rangeDst = open(b.createFile(dir, names[2], 0o600));
    if (rangeDst < 0) return rangeDst;
    record("copy_file_range", shim.blit_copy_file_range(src, 0, rangeDst, 0, 1 << 30), "supported", "kernel");
    const dataAt = shim.blit_lseek(src, 0, c.SEEK_DATA);
    if (dataAt < 0) record("holes (SEEK_DATA)", dataAt, "");
    else checks.push({ name: "holes (SEEK_DATA)", supported: dataAt > 0, detail: dataAt > 0 ? "reported" : "not reported: the whole file reads as data" });
    return checks;
  } finally {
    for (const fd of fds) b.close(fd);
    for (const name of names) b.remove(dir, name, false);
  }
}

export function probeFilesystem(b: LinuxBackend, shim: Shim, c: Constants, ringUsable: boolean, dir: number): FilesystemReport | number {
  const statfs = new BigUint64Array(8);
  const r = shim.blit_fstatfs(dir, statfs);
  if (r < 0) return r;
  const magic = Number(statfs[0]!);
  const fsType = FS_NAMES[magic] ?? `unknown (magic 0x${magic.toString(16)})`;
  const probed = probeWithScratchFiles(b, shim, c, dir);
  if (typeof probed === "number") {
    const detail = `cannot create scratch files here: ${b.strerror(-probed)}`;
    return { fsType, checks: [{ name: "copy methods", supported: false, detail }], batched: ringUsable, probed: false };
  }
  return { fsType, checks: probed, batched: ringUsable };
}
