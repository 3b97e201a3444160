// Temporary names for files being written: recognisable, unique per process,
// run and worker, and carrying the writer's pid so that a later run can tell
// leftovers of a dead run (removed) from a live run's files (left alone):
// isLeftover decides, for the copy's clean-up and --delete alike.


import { type Backend, S_IFDIR, S_IFMT } from "../../ffi/index.ts";

const PATTERN = /^\.blit-(\d+)-([0-9a-f]{8})-\d+-[0-9a-z]+\.tmp$/;
/** What every temporary name begins with. */
export const TEMP_PREFIX = new TextEncoder().encode(".blit-");
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
// Not paths.toBytes: these names are ASCII, and one is made for every file.
const encoder = new TextEncoder();

function tempName(runId: string, workerIndex: number, serial: number): Uint8Array {
  return encoder.encode(`.blit-${process.pid}-${runId}-${workerIndex}-${serial.toString(36)}.tmp`);
}

/**
 * Where each worker's temporary files are being written, for the main
 * thread to remove them when a second signal ends the run at once (without
 * it they would stay until a later run into the directory): per worker, the
 * directory's descriptor, the first serial named in it and the next one.
 * A worker writes one file at a time, so only the last names can still be
 * there; a few more are tried for the ones renamed as the next is made.
 */
const WORDS = 3;
const DIR = 0;
const FIRST = 1;
const NEXT = 2;
const LAST_TRIED = 8;

export function inFlightTable(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(workers * WORDS * 4);
}

/**
 * Removes the temporary files the workers may be writing (those already
 * renamed or not yet made are not there: ENOENT). A worker that is still
 * running may make one more before the process exits.
 */
export function removeInFlight(table: SharedArrayBuffer, runId: string, remove: (dir: number, name: Uint8Array) => void): void {
  const words = new Int32Array(table);
  for (let worker = 0; worker < words.length / WORDS; worker++) {
    const at = worker * WORDS;
    const dir = Atomics.load(words, at + DIR);
    const next = Atomics.load(words, at + NEXT);
    for (let serial = Math.max(Atomics.load(words, at + FIRST), next - LAST_TRIED); serial < next; serial++) remove(dir, tempName(runId, worker, serial));
  }
}

export class TempNames {
  private serial = 0;
  private inFlight: Int32Array | undefined;

  constructor(
    private readonly runId: string,
    private readonly workerIndex: number,
  ) {}

  /** Says in `table` (inFlightTable) where this worker's temporary files are. */
  share(table: SharedArrayBuffer): void {
    this.inFlight = new Int32Array(table, this.workerIndex * WORDS * 4, WORDS);
  }

  /** A name for a file about to be made in `dir`. */
  next(dir: number): Uint8Array {
    const words = this.inFlight;
    if (words) {
      if (Atomics.load(words, DIR) !== dir || Atomics.load(words, NEXT) === 0) {
        Atomics.store(words, FIRST, this.serial);
        Atomics.store(words, DIR, dir);
      }
      Atomics.store(words, NEXT, this.serial + 1);
    }
    return tempName(this.runId, this.workerIndex, this.serial++);
  }
}

/**
 * Whether the temporary file `name` is a dead run's, to be removed: its pid
 * has no process here, and the backend does not see the file held; or it is
 * this process's pid with another run's id (leftoverOf's "reused"), a live
 * run's too in another PID namespace, so only where the backend sees it
 * unheld. `held` asks the backend whether a file of the directory is held
 * (undefined where it cannot tell: macOS, Windows, whose pids are one
 * namespace). Any other name is told apart by its first byte, unasked.
 */
export function isLeftover(name: Uint8Array, runId: string, held?: (name: Uint8Array) => boolean | undefined): boolean {
  const left = leftoverOf(name, runId);
  if (left === undefined) return false;
  const seen = held?.(name);
  return left === "dead" ? seen !== true : held === undefined || seen === false;
}

/**
 * Removes a leftover: a temporary file, or a directory a run was filling
 * (Staging) with the files in it. True when it is gone.
 */
export function removeLeftover(b: Backend, dir: number, name: Uint8Array): boolean {
  const removed = b.remove(dir, name, false);
  if (removed === 0 || removed === -b.errno.ENOENT) return true;
  const st = b.stat(dir, name, false);
  if (typeof st === "number" || (st.mode & S_IFMT) !== S_IFDIR) return false;
  const fd = b.openDir(dir, name, false);
  if (fd < 0) return false;
  const inside: Uint8Array[] = [];
  for (let entries = b.readDir(fd); typeof entries !== "number" && entries.length > 0; entries = b.readDir(fd)) inside.push(...entries.map((entry) => entry.name));
  // One holding a directory is none of blit's (they never do): left whole.
  const ours = inside.every((entry) => {
    const st = b.stat(fd, entry, false);
    return typeof st === "number" || (st.mode & S_IFMT) !== S_IFDIR;
  });
  if (ours) for (const entry of inside) b.remove(fd, entry, false);
  b.close(fd);
  return ours && b.remove(dir, name, true) === 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True for any blit temporary file, a live run's too: --delete leaves them to their writers. */
export function isTempName(name: Uint8Array): boolean {
  return name.length <= 64 && name[0] === 0x2e && PATTERN.test(decoder.decode(name));
}

/**
 * What a temporary file's name says of its writer: "dead", a pid no process
 * has here; "reused", this process's pid with another run's id (a dead run
 * whose pid this one was given again: pid 1 in a container, the few pids
 * Wine gives every program of one wineserver; or a live run of that pid in
 * another PID namespace); undefined, a live run's (this one's too).
 */
function leftoverOf(name: Uint8Array, runId: string): "dead" | "reused" | undefined {
  if (name.length > 64 || name[0] !== 0x2e) return undefined;
  const match = PATTERN.exec(decoder.decode(name));
  if (!match) return undefined;
  const pid = Number(match[1]);
  if (pid === process.pid) return match[2] !== runId ? "reused" : undefined;
  return alive(pid) ? undefined : "dead";
}
