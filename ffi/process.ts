// The process-level members of the contract (platform, identity, command
// line, realpath, -i's questions) as the Linux backend and the portable one
// both implement them: through the runtime's node:fs and process, which is
// where this knowledge lives now that src/ does not hold it. A backend for
// another OS writes its own.

import { readFileSync, readSync, realpathSync, writeSync } from "node:fs";
import { constants } from "node:os";
import type { Identity, Name } from "./backend.ts";

const errnoByCode = constants.errno as Record<string, number>;

/** The effective uid and gid, or undefined where the runtime has none (Windows). */
export function processIdentity(): Identity | undefined {
  const uid = process.geteuid?.();
  const gid = process.getegid?.();
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
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

/** Writes the question to stderr, reads one line of stdin byte by byte; end of input or a read error ends it. */
export function askOnStdio(question: Uint8Array): Uint8Array {
  writeSync(2, question);
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
