// What `blit doctor` learns on macOS: the volume's file system and what it
// says it supports (VOL_CAP_INT_CLONE, case sensitivity, sparse files), then
// the same tried on scratch files that are removed afterwards.

import type { FilesystemReport } from "../backend.ts";
import type { DarwinBackend } from "./index.ts";
import { type Shim, Volume } from "./shim.ts";

type Checks = FilesystemReport["checks"];

/** Tries a clone and the holes on scratch files in dir, then removes them. */
function probeWithScratchFiles(b: DarwinBackend, shim: Shim, dir: number): Checks | number {
  const enc = new TextEncoder();
  const tag = `${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  const names = ["a", "b"].map((x) => enc.encode(`.blit-probe-${tag}-${x}`)) as [Uint8Array, Uint8Array];
  const fds: number[] = [];
  const open = (fd: number) => {
    if (fd >= 0) fds.push(fd);
    return fd;
  };
  const checks: Checks = [];
  try {
    const writer = open(b.createFile(dir, names[0], 0o600));
    if (writer < 0) return writer;
    // 64 KiB of data at 1 MiB: a file that starts with a hole.
    const data = new Uint8Array(64 << 10).fill(0x5a);
    const w = shim.blit_pwrite(writer, data, data.length, 1 << 20);
    if (w < 0) return w;
    const src = open(b.openRead(dir, names[0], false));
    if (src < 0) return src;
    const label = `clone (${b.methodLabels.clone})`;
    if (b.cloneAt) {
      const clone = open(b.cloneAt.file(src, dir, names[1]));
      checks.push({ name: label, supported: clone >= 0, detail: clone >= 0 ? "supported" : b.strerror(-clone), method: "clone" });
    } else {
      checks.push({ name: label, supported: false, detail: "not in this build of the shim", method: "clone" });
    }
    const dataAt = b.holes.nextData(src, 0);
    if (dataAt < 0) checks.push({ name: "holes (SEEK_DATA)", supported: false, detail: b.strerror(-dataAt) });
    else checks.push({ name: "holes (SEEK_DATA)", supported: dataAt > 0, detail: dataAt > 0 ? "reported" : "not reported: the whole file reads as data" });
    return checks;
  } finally {
    for (const fd of fds) b.close(fd);
    for (const name of names) b.remove(dir, name, false);
  }
}

export function probeFilesystem(b: DarwinBackend, shim: Shim, dir: number, volumeCaps: boolean): FilesystemReport | number {
  const name = new Uint8Array(64);
  const caps = new Uint32Array(1);
  const r = shim.blit_volume(dir, name, name.length, caps);
  if (r < 0) return r;
  const fsType = new TextDecoder().decode(name.subarray(0, name.indexOf(0)));
  const checks: Checks = [];
  if (volumeCaps && (caps[0]! & Volume.known) !== 0) {
    const says = (name: string, bit: number, no = "the volume says not") => {
      const yes = (caps[0]! & bit) !== 0;
      checks.push({ name, supported: yes, detail: yes ? "the volume says so" : no });
    };
    says("volume: clones (VOL_CAP_INT_CLONE)", Volume.clone);
    says("volume: case-sensitive names", Volume.caseSensitive, "names differing only by case, or by Unicode normalization, are one here: of two such names in one source directory, the second is reported and not copied");
    says("volume: sparse files", Volume.sparse);
  }
  const probed = probeWithScratchFiles(b, shim, dir);
  if (typeof probed === "number") {
    const detail = `cannot create scratch files here: ${b.strerror(-probed)}`;
    return { fsType, checks: [...checks, { name: "copy methods", supported: false, detail }], batched: false, probed: false };
  }
  return { fsType, checks: [...checks, ...probed], batched: false };
}
