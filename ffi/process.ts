// The process-level members of the contract (platform, identity, command
// line, realpath, -i's questions) as the Linux backend and the portable one
// both implement them: through the runtime's node:fs and process, which is
// where this knowledge lives now that src/ does not hold it. A backend for
// another OS writes its own.

import { appendFileSync, readdirSync, readFileSync, readSync, realpathSync, writeSync } from "node:fs";
import { constants } from "node:os";
import type { ErrnoTable, Identity, Mount, Name, StreamsMechanism } from "./backend.ts";

const errnoByCode = constants.errno as Record<string, number>;

/** The effective uid and gid, or undefined where the runtime has none (Windows). */
export function processIdentity(): Identity | undefined {
  const uid = process.geteuid?.();
  const gid = process.getegid?.();
  if (uid === undefined || gid === undefined) return undefined;
  // Asked for each directory --delete empties: what cannot change in a run is looked up once.
  if (!owning) {
    const effective = effectiveCapabilities();
    owning = {
      groups: process.getgroups?.(),
      chownsAny: effective !== undefined && (effective & CAP_CHOWN) !== 0n,
      // Root too may lack it (a container's bounding set without it).
      setsFileCapabilities: effective === undefined ? uid === 0 : (effective & CAP_SETFCAP) !== 0n,
    };
  }
  return { uid, gid, groups: owning.groups, chownsAny: uid !== 0 && owning.chownsAny, setsFileCapabilities: owning.setsFileCapabilities };
}

let owning: { groups: number[] | undefined; chownsAny: boolean; setsFileCapabilities: boolean } | undefined;

const CAP_CHOWN = 1n << 0n;
const CAP_SETFCAP = 1n << 31n;

/** This process's effective capabilities, from /proc/self/status; undefined where there is no such file (macOS: root alone gives any owner). */
function effectiveCapabilities(): bigint | undefined {
  let status = "";
  try {
    status = readFileSync("/proc/self/status", "latin1");
  } catch {
    return undefined;
  }
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return effective === undefined ? undefined : BigInt(`0x${effective}`);
}

/**
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT where this process was started with
 * them ignored (a shell starts a script's background jobs with SIGINT and
 * SIGQUIT ignored; nohup, SIGHUP), from /proc/self/status; undefined where there is no such file
 * (which is not knowing). cp leaves such a signal ignored, and so must blit:
 * a handler would take it back.
 */
export function inheritedIgnoredSignals(): NodeJS.Signals[] | undefined {
  let status: string;
  try {
    status = readFileSync("/proc/self/status", "latin1");
  } catch {
    return undefined;
  }
  const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (mask === undefined) return undefined;
  const ignored = BigInt(`0x${mask}`);
  const bit = (signo: number) => (ignored >> BigInt(signo - 1)) & 1n;
  return (["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const).filter((name) => bit(constants.signals[name]) === 1n);
}

/**
 * The mounts /proc/self/mountinfo lists (only those inside this process's
 * root): its fields 1 and 3 to 5 (the mount's id, its filesystem's
 * major:minor as Stat.dev gives it, the directory of it mounted, where),
 * their octal escapes (\040 for a space) undone; undefined where there is
 * no such file.
 */
export function procMounts(): Mount[] | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync("/proc/self/mountinfo");
  } catch {
    return undefined;
  }
  const mounts: Mount[] = [];
  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf(0x0a, start);
    if (end < 0) end = raw.length;
    const fields: Buffer[] = [];
    for (let at = start; at < end && fields.length < 5; ) {
      let space = raw.indexOf(0x20, at);
      if (space < 0 || space > end) space = end;
      fields.push(raw.subarray(at, space));
      at = space + 1;
    }
    const [major, minor] = fields.length === 5 ? fields[2]!.toString("latin1").split(":").map(Number) : [];
    if (major !== undefined && minor !== undefined) {
      mounts.push({ id: Number(fields[0]!.toString("latin1")), dev: major * 4294967296 + minor, root: unescapeMountField(fields[3]!), point: unescapeMountField(fields[4]!) });
    }
    start = end + 1;
  }
  return mounts;
}

function unescapeMountField(field: Buffer): Uint8Array {
  const out = new Uint8Array(field.length);
  let n = 0;
  for (let i = 0; i < field.length; i++) {
    const octal = field[i] === 0x5c && i + 3 < field.length && /^[0-7]{3}$/.test(field.toString("latin1", i + 1, i + 4));
    if (octal) {
      out[n++] = parseInt(field.toString("latin1", i + 1, i + 4), 8);
      i += 3;
    } else out[n++] = field[i]!;
  }
  return out.slice(0, n);
}

/**
 * The arguments' exact bytes from /proc/self/cmdline (Bun decodes its own
 * copy as UTF-8, which turns bytes that are not into U+FFFD); undefined
 * where there is no such file.
 */
export function procCommandLine(): Uint8Array[] | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync("/proc/self/cmdline");
  } catch {
    return undefined;
  }
  const all: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0) {
      all.push(raw.subarray(start, i));
      start = i + 1;
    }
  }
  return all;
}

/** realpath of a path given as bytes (a Buffer path, so no byte is decoded), or a negated errno (EIO for an error without a code). */
export function realPathOf(path: Name): Name | number {
  try {
    return new Uint8Array(realpathSync(Buffer.from(path), { encoding: "buffer" }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return -((code && errnoByCode[code]) || errnoByCode.EIO!);
  }
}

/** A node:fs error as a backend's negated errno, by its code's name (EIO for one the table lacks). */
function negatedErrno(err: unknown, errno: ErrnoTable): number {
  const code = (err as NodeJS.ErrnoException).code as keyof ErrnoTable | undefined;
  return -((code && errno[code]) || errno.EIO);
}

/** The whole of a file (a Buffer path, so no byte is decoded) or of standard input (undefined), or a negated errno. */
export function readWholeFile(path: Name | undefined, errno: ErrnoTable): Uint8Array | number {
  try {
    return new Uint8Array(readFileSync(path === undefined ? 0 : Buffer.from(path)));
  } catch (err) {
    return negatedErrno(err, errno);
  }
}

/** Appends data to a file, creating it: 0 or a negated errno. */
export function appendToFile(path: Name, data: Uint8Array, errno: ErrnoTable): number {
  try {
    appendFileSync(Buffer.from(path), data);
    return 0;
  } catch (err) {
    return negatedErrno(err, errno);
  }
}

/**
 * What every backend does through the runtime's standard streams and
 * files alike: -i's questions, --exclude-from's files, GitHub's step summary.
 */
export abstract class RuntimeStdio {
  abstract readonly errno: ErrnoTable;
  declare readonly streams?: StreamsMechanism;

  askLine(question: Uint8Array, stopped?: () => boolean): Uint8Array | undefined {
    return askOnStdio(question, stopped && this.streams ? { stopped, streams: this.streams } : undefined);
  }

  readWholeFile(path: Name | undefined): Uint8Array | number {
    return readWholeFile(path, this.errno);
  }

  appendToFile(path: Name, data: Uint8Array): number {
    return appendToFile(path, data, this.errno);
  }
}

/** How long -i's question waits for an answer before it looks whether the run was stopped. */
const ANSWER_WAIT_MS = 100;

/**
 * Writes the question to stderr, reads one line of stdin byte by byte; end
 * of input or a read error ends it. With `waiting`, undefined once the run
 * is stopped before an answer came: a worker blocked in the read would hold
 * ^C's stop until the user answered (cp leaves at once).
 */
export function askOnStdio(question: Uint8Array, waiting?: { stopped: () => boolean; streams: StreamsMechanism }): Uint8Array | undefined {
  writeSync(2, question);
  while (waiting && waiting.streams.wait(0, false, ANSWER_WAIT_MS) === 0) {
    if (!waiting.stopped()) continue;
    // What is said next starts on a line of its own.
    writeSync(2, "\n");
    return undefined;
  }
  const line: number[] = [];
  const byte = new Uint8Array(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, byte, 0, 1, null);
    } catch {
      n = 0;
    }
    if (n <= 0 || byte[0] === 0x0a) break;
    line.push(byte[0]!);
  }
  return Uint8Array.from(line);
}

/** A shim's limit on open files, or undefined where it could not be read (a negated errno). */
export function knownLimit(limit: number): number | undefined {
  return limit < 0 ? undefined : limit;
}

/**
 * The descriptors this process has open, listed in `dir` (/proc/self/fd,
 * /dev/fd), less the one listing them; `limit` where none is left to list
 * them with, undefined where the folder cannot be read otherwise.
 */
export function openFilesIn(dir: string, limit: number | undefined): number | undefined {
  try {
    return readdirSync(dir).length - 1;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "EMFILE" || code === "ENFILE" ? limit : undefined;
  }
}

/**
 * What the soft limit on address space (ulimit -v) leaves this process now,
 * in bytes: the limit less its size (/proc/self/status's VmSize); undefined
 * where no limit is set or either cannot be read.
 */
export function addressSpaceFree(): number | undefined {
  const limit = addressSpaceLimit();
  if (limit === undefined) return undefined;
  try {
    const kib = /^VmSize:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "latin1"))?.[1];
    return kib === undefined ? undefined : limit - Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** The soft limit on this process's address space in bytes (ulimit -v), from /proc/self/limits; undefined where none is set or it cannot be read. */
export function addressSpaceLimit(): number | undefined {
  try {
    const soft = /^Max address space\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "latin1"))?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}
