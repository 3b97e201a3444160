// Snapshots of directory trees for comparing blit's output with cp's (and
// with the source). Names are kept as bytes; a record holds what cp -a
// preserves: type, mode, owner, size, contents, symlink target, device
// numbers and, when asked, nanosecond modification times.

import { lstatSync, readdirSync, readFileSync, readlinkSync, type BigIntStats } from "node:fs";
import { join } from "node:path";

export interface Entry {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  target?: string;
  rdev?: number;
  mtimeNs?: string;
}

export interface SnapshotOptions {
  /** Compare modification times (only meaningful when they were preserved). */
  times?: boolean;
  /** Relative paths to leave out (e.g. a directory whose mtime the copy changed). */
  skipTimesOf?: string[];
}

/** Bytes shown as text: printable ASCII as is, anything else as \xNN. */
export function showBytes(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b >= 0x21 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  return out;
}

function typeOf(st: BigIntStats): string {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFIFO()) return "fifo";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  if (st.isSocket()) return "socket";
  return "unknown";
}

export function snapshot(root: string, options: SnapshotOptions = {}): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const walk = (abs: Buffer, rel: string) => {
    const st = lstatSync(abs, { bigint: true });
    const type = typeOf(st);
    const entry: Entry = {
      type,
      mode: (Number(st.mode) & 0o7777).toString(8),
      uid: Number(st.uid),
      gid: Number(st.gid),
    };
    if (type === "file") {
      entry.size = Number(st.size);
      entry.sha256 = new Bun.CryptoHasher("sha256").update(readFileSync(abs)).digest("hex");
    }
    if (type === "symlink") {
      entry.target = showBytes(readlinkSync(abs, { encoding: "buffer" }));
      entry.mode = "link";
    }
    if (type === "char" || type === "block") entry.rdev = Number(st.rdev);
    if (options.times && rel !== "" && !options.skipTimesOf?.includes(rel)) entry.mtimeNs = st.mtimeNs.toString();
    out[rel === "" ? "." : rel] = entry;
    if (type === "dir") {
      const names = readdirSync(abs, { encoding: "buffer" }).sort(Buffer.compare);
      for (const name of names) {
        walk(Buffer.concat([abs, Buffer.from("/"), name]), rel === "" ? showBytes(name) : `${rel}/${showBytes(name)}`);
      }
    }
  };
  walk(Buffer.from(root), "");
  return out;
}

/** Relative paths in a snapshot, for quick membership checks. */
export function paths(snap: Record<string, Entry>): string[] {
  return Object.keys(snap).sort();
}

export { join };
