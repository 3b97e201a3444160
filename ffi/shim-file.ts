// Puts the embedded native shim where dlopen can load it.
//
// Bun can dlopen an embedded file itself, but then writes a fresh copy into
// $TMPDIR on every launch and never removes it (field notes). We write the
// bytes once to a content-addressed file in a private per-user cache folder
// instead, and reuse it while its size and hash still match.

import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { suffix } from "bun:ffi";
import embeddedShim from "../build/embed/shim.bin" with { type: "file" };

const SHIM_PREFIX = "libblit-";
/** Another launch's temporary file this old was left by one that died: removed. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Another build's shim written this long ago is an old version's: removed when this one writes its own. */
const STALE_SHIM_MS = 7 * 24 * 60 * 60 * 1000;

export interface ShimFile<T> {
  path: string;
  /** What `open` made of it. */
  opened: T;
}

/**
 * Where the shim may go, each with the folder that must be there already:
 * a home that does not exist (a service account's /nonexistent) is not made
 * for a cache, where root could make it.
 */
function cacheCandidates(): { dir: string; within?: string }[] {
  const candidates: { dir: string; within?: string }[] = [];
  const env = process.env;
  if (process.platform === "win32") {
    if (env.LOCALAPPDATA) candidates.push({ dir: join(env.LOCALAPPDATA, "blit"), within: env.LOCALAPPDATA });
  } else if (process.platform === "darwin") {
    if (env.HOME) candidates.push({ dir: join(env.HOME, "Library", "Caches", "blit"), within: env.HOME });
  } else {
    // Made where its parent is there: not a home that does not exist, as below.
    if (env.XDG_CACHE_HOME?.startsWith("/")) candidates.push({ dir: join(env.XDG_CACHE_HOME, "blit"), within: dirname(env.XDG_CACHE_HOME) });
    const home = env.HOME || safeHomedir();
    if (home) candidates.push({ dir: join(home, ".cache", "blit"), within: home });
  }
  const uid = process.getuid?.() ?? "user";
  // A relative TMPDIR would put a cache folder in every working directory.
  const temp = tmpdir();
  candidates.push({ dir: join(isAbsolute(temp) ? temp : "/tmp", `blit-${uid}`) });
  return candidates;
}

function safeHomedir(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

/** A folder only we can write: ours, not a symlink, closed to group and others; made below `within`, where that is a directory. */
function privateFolder(dir: string, within?: string): string | undefined {
  try {
    if (within !== undefined && !statSync(within).isDirectory()) return `${within} is not a directory`;
    ownerOnly(() => mkdirSync(dir, { recursive: true, mode: 0o700 }));
    const st = lstatSync(dir);
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if (process.platform !== "win32") {
      const uid = process.getuid?.();
      if (uid !== undefined && st.uid !== uid) return `${dir} belongs to another user`;
      if ((st.mode & 0o022) !== 0) return `${dir} is writable by other users`;
      // Made by an older blit under such a umask.
      if ((st.mode & 0o700) !== 0o700) chmodSync(dir, 0o700);
    }
    return undefined;
  } catch (err) {
    return `${dir}: ${(err as Error).message}`;
  }
}

/**
 * make() under umask 077, so that what it makes gets the 0700 asked for: a
 * umask that takes the owner's own bits (0200, 0400) would leave the
 * folders (~/.cache too, where there was none) and the shim unwritable or
 * unreadable to this user too. Only the main thread runs yet.
 */
function ownerOnly<T>(make: () => T): T {
  if (process.platform === "win32") return make();
  const umask = process.umask(0o077);
  try {
    return make();
  } finally {
    process.umask(umask);
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

function matches(path: string, size: number, hash: string): boolean {
  try {
    const st = lstatSync(path);
    if (!st.isFile() || st.size !== size) return false;
    return sha256Hex(readFileSync(path)) === hash;
  } catch {
    return false;
  }
}

function writeAtomically(dir: string, finalName: string, bytes: Uint8Array): string {
  const finalPath = join(dir, finalName);
  const tempPath = join(dir, `${finalName}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`);
  const fd = ownerOnly(() => openSync(tempPath, "wx", 0o700));
  try {
    try {
      // A nearly full tmpfs takes part of a write and says so only in the
      // count: a shim renamed in place short of its end is a bus error once loaded.
      for (let done = 0; done < bytes.length; ) {
        const n = writeSync(fd, bytes, done);
        if (n <= 0) throw new Error(`${tempPath}: no space left on device (a write took nothing)`);
        done += n;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tempPath, finalPath);
  } catch (err) {
    try {
      unlinkSync(tempPath);
    } catch {
      // Gone already: the first error is the one to say.
    }
    throw err;
  }
  return finalPath;
}

/**
 * Old shims from earlier blit versions (one still loaded elsewhere stays
 * mapped), and temporary files of launches that died. Another launch's
 * temporary file, being written at this moment by a blit started beside
 * this one, is left alone: removed, its rename would fail. So is a shim
 * written in the last week: another build's that runs beside this one (two
 * versions installed, an x64 and an arm64 machine sharing a home), which
 * would otherwise remove this one's in turn at every launch.
 */
function removeStaleShims(dir: string, keep: string): void {
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(SHIM_PREFIX) || entry === keep) continue;
    try {
      const path = join(dir, entry);
      const age = Date.now() - lstatSync(path).mtimeMs;
      if (age < (entry.endsWith(".tmp") ? STALE_TEMP_MS : STALE_SHIM_MS)) continue;
      unlinkSync(path);
    } catch {
      // In use (Windows) or already gone: harmless.
    }
  }
}

/**
 * Places the embedded shim in the first cache folder where `open` can load
 * it (a folder on a noexec mount cannot: then the next is tried), or throws
 * saying why not.
 */
export function materializeShim<T>(open: (path: string) => T): ShimFile<T> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(embeddedShim);
  } catch (err) {
    throw new Error(`embedded shim missing (${(err as Error).message})`);
  }
  if (bytes.length === 0) throw new Error("this build embeds no native shim");
  const hash = sha256Hex(bytes);
  const fileName = `${SHIM_PREFIX}${hash.slice(0, 16)}.${suffix}`;
  const problems: string[] = [];
  for (const { dir, within } of cacheCandidates()) {
    const problem = privateFolder(dir, within);
    if (problem) {
      problems.push(problem);
      continue;
    }
    const path = join(dir, fileName);
    try {
      if (!matches(path, bytes.length, hash)) {
        try {
          writeAtomically(dir, fileName, bytes);
        } catch (err) {
          // Another launch beside this one put the same file in place first.
          if (!matches(path, bytes.length, hash)) throw err;
        }
        removeStaleShims(dir, fileName);
      }
      return { path, opened: open(path) };
    } catch (err) {
      // Not the folder's fault (no JIT for bun:ffi): another folder would only get another copy.
      if (/\bJIT\b/.test((err as Error).message)) throw err;
      problems.push(`${dir}: ${(err as Error).message}`);
    }
  }
  throw new Error(`the native shim could be placed and loaded in none of this user's cache folders (${problems.join("; ")})`);
}
