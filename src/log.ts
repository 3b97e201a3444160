// Messages to the user go through consola with a reporter shaped like GNU
// tools: "blit: message" on stderr, nothing else on the line, so scripts can
// read it. Levels: -q keeps errors only; the default adds warnings.

// consola/core: the same logger without the fancy reporters, whose import
// alone costs ~50 ms at start-up.
import { createConsola, type ConsolaReporter, LogLevels } from "consola/core";
import { toBytes } from "./engine/paths.ts";

/** Set while a progress bar is drawn on stderr: takes it off for a write and draws it again after. */
let guard: ((write: () => void) => void) | undefined;

export function setStderrGuard(around: ((write: () => void) => void) | undefined): void {
  guard = around;
}

const guarded = (write: () => void) => (guard ? guard(write) : write());

const reporter: ConsolaReporter = {
  log(entry) {
    const text = entry.args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(" ");
    const prefix = entry.type === "warn" ? "blit: warning: " : "blit: ";
    // An argument that was not UTF-8 is quoted back as the bytes it was, as cp does.
    guarded(() => writeStderr(toBytes(`${prefix}${text}\n`)));
  },
};

export const log = createConsola({
  level: LogLevels.warn,
  reporters: [reporter],
  formatOptions: { colors: false, date: false },
});

export function setQuiet(quiet: boolean): void {
  log.level = quiet ? LogLevels.error : LogLevels.warn;
}

/** What stdout is written through once a backend is loaded: its plain writes, which say when they fail. */
interface StdoutWriter {
  readonly errno: { EAGAIN: number; ENOSPC: number };
  readonly streams?: { wait(fd: number, write: boolean, ms: number): number };
  writeAt(fd: number, buf: Uint8Array, length: number, pos: number): number;
  strerror(errno: number): string;
}

const STDOUT = 1;
const STDERR = 2;
let direct: StdoutWriter | undefined;
let failure: string | undefined;
let stderrFailure: string | undefined;

/**
 * From now on stdout is written with the backend's own writes: a closed or
 * full stdout is then noticed (Bun's stream drops such errors) and, as cp's
 * close_stdout does, reported at the end with status 1. So is stderr where
 * it is not a terminal: Bun's stream keeps what a pipe cannot take at once
 * and the exit drops it, so past a pipe's 64 KiB of messages that a slow
 * reader had not read, the rest was lost.
 */
export function writeStdoutThrough(writer: StdoutWriter): void {
  direct = writer;
}

/** Why stdout could not be written, once that happened. */
export function stdoutFailure(): string | undefined {
  return failure;
}

/** Whether a write to stderr through the backend failed. */
export function stderrWriteFailed(): boolean {
  return stderrFailure !== undefined;
}

/** The whole of `bytes` to `fd` through the backend, waiting while a pipe is full; why not, if it failed. */
function writeAll(writer: StdoutWriter, fd: number, bytes: Uint8Array): string | undefined {
  let done = 0;
  while (done < bytes.length) {
    const w = writer.writeAt(fd, done === 0 ? bytes : bytes.subarray(done), bytes.length - done, -1);
    if (w === -writer.errno.EAGAIN) {
      writer.streams?.wait(fd, true, 100);
      continue;
    }
    if (w < 0) return writer.strerror(-w);
    if (w === 0) return writer.strerror(writer.errno.ENOSPC);
    done += w;
  }
  return undefined;
}

/** Writes to stderr; through the backend once there is one, unless stderr is a terminal (the bar's escapes go through the stream, and these must follow them in order). */
export function writeStderr(bytes: Uint8Array): void {
  if (!direct || process.stderr.isTTY) {
    process.stderr.write(bytes);
    return;
  }
  if (stderrFailure !== undefined) return;
  stderrFailure = writeAll(direct, STDERR, bytes);
}

/** Writes text to stdout (verbose listing, reports); on a terminal shared with the bar, below it. */
export function out(text: string): void {
  if (guard && process.stdout.isTTY) {
    const around = guard;
    guard = undefined;
    around(() => out(text));
    guard = around;
    return;
  }
  if (!direct) {
    process.stdout.write(text);
    return;
  }
  if (failure !== undefined) return;
  failure = writeAll(direct, STDOUT, toBytes(text));
}

/** Writes a line to stdout. */
export function say(line: string): void {
  out(`${line}\n`);
}
