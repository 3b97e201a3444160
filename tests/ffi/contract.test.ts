// The backend contract (ffi/backend.ts), one table of cases run against every
// backend, on real files in a sandbox. A backend for another OS adds a row to
// SUBJECTS, saying what it offers and keeps; every case then runs against it.
// What a row says a backend lacks is tested as absent, never passed over.

import { describe, expect, test } from "bun:test";
import { ptr } from "bun:ffi";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  type Backend,
  COPY_METHODS,
  type ErrnoTable,
  type Name,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  type Stat,
} from "../../ffi/backend.ts";
import { DarwinBackend } from "../../ffi/darwin/index.ts";
import { LinuxBackend } from "../../ffi/linux/index.ts";
import { PortableBackend } from "../../ffi/portable.ts";
import { writeFully } from "../../src/engine/copy-data.ts";
import { hasCommand, isRoot, ROOT, run, sh } from "../helpers/blit.ts";
import { mountTmpfs, mountXfs, tmpfsUnavailable, xfsUnavailable } from "../helpers/mounts.ts";
import { readManyAll } from "../helpers/read-many.ts";
import { sandbox, sandboxClones } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";

const SHIM = join(ROOT, "build", "shim", `linux-${process.arch}`, "libblit.so");
/** The macOS shim (c/darwin/blit_darwin.c) built for Linux: its POSIX core, driven through ffi/darwin/ here. */
const DARWIN_POSIX_SHIM = join(ROOT, "build", "shim", "darwin-posix", "libblit.so");
for (const shim of [SHIM, DARWIN_POSIX_SHIM]) if (!existsSync(shim)) throw new Error(`${shim} is missing: build it first (bun build.ts --shim)`);

/** The optional members of the contract (mechanisms and capabilities): each offered and working, or absent. */
const CAPABILITIES = [
  "clone",
  "cloneAt",
  "kernelCopy",
  "holes",
  "streams",
  "batchedRange",
  "reopenRead",
  "adviseSequential",
  "tune",
  "owners",
  "modes",
  "specialFiles",
  "xattrs",
  "fileLimit",
  "attributes",
  "caseFolding",
  "workers",
  "pageCache",
  "readAhead",
] as const;
type Capability = (typeof CAPABILITIES)[number];

const uring = process.env.BLIT_NO_URING !== "1";

interface Subject {
  label: string;
  backend: Backend;
  /** The optional capabilities it offers on this machine, in CAPABILITIES order. */
  offers: Capability[];
  /** Handles valid in every thread (real descriptors). */
  sharedHandles: boolean;
  /** The finest step of a timestamp it sets, in ns (1: it keeps nanoseconds). */
  setsTimeStepNs: number;
  /** A large directory comes in several readDir chunks, or all in the first one. */
  readDirChunks: "several" | "one";
  /** readDir gives each entry's metadata with its name (getattrlistbulk), or names only. */
  readDirStats: boolean;
  /** How readMany reads on this machine. */
  readManyMethod: "batched" | "read_write";
  /** Statements that make the same backend, as `b`, in another process (the EACCES cases run as nobody). */
  childSetup: string;
  /** chmodAt refuses a symlink rather than set the mode of what it leads to (node:fs, by paths, cannot tell). */
  chmodAtRefusesSymlink: boolean;
}

const SUBJECTS: Subject[] = [
  {
    label: "linux",
    backend: LinuxBackend.open(SHIM),
    // Linux clones into an open file (FICLONE), not into a new name. Its
    // names are bytes, told apart by case (an ext4 or tmpfs casefold
    // directory aside, which blit treats as any other).
    offers: CAPABILITIES.filter((c) => c !== "cloneAt" && c !== "caseFolding" && c !== "workers"),
    sharedHandles: true,
    setsTimeStepNs: 1,
    readDirChunks: "several",
    readDirStats: false,
    readManyMethod: uring ? "batched" : "read_write",
    childSetup: `import { LinuxBackend } from ${JSON.stringify(join(ROOT, "ffi", "linux", "index.ts"))};
      const b = LinuxBackend.open(${JSON.stringify(SHIM)});`,
    chmodAtRefusesSymlink: true,
  },
  {
    // What only a Mac runs - fclonefileat, getattrlistbulk, setattrlist
    // (birth time, st_flags), ACLs, F_NOCACHE - is absent from this build:
    // cloneAt is Linux's FICLONE into a new file, the listing is getdents64
    // and fstatat, and no `attributes` are offered.
    label: "darwin (the macOS shim's POSIX core, built for Linux)",
    backend: DarwinBackend.open(DARWIN_POSIX_SHIM),
    offers: ["cloneAt", "holes", "streams", "adviseSequential", "owners", "modes", "specialFiles", "xattrs", "fileLimit", "workers", "pageCache"],
    sharedHandles: true,
    setsTimeStepNs: 1,
    readDirChunks: "several",
    readDirStats: true,
    readManyMethod: "read_write",
    childSetup: `import { DarwinBackend } from ${JSON.stringify(join(ROOT, "ffi", "darwin", "index.ts"))};
      const b = DarwinBackend.open(${JSON.stringify(DARWIN_POSIX_SHIM)});`,
    chmodAtRefusesSymlink: true,
  },
  {
    label: "portable",
    backend: new PortableBackend("contract test"),
    // node:fs has no extended attributes, mknod, attribute word or file limit.
    offers: ["owners", "modes"],
    sharedHandles: false,
    // node:fs sets times as floating-point seconds: to the microsecond.
    setsTimeStepNs: 1000,
    // node:fs reads a directory whole (readdirSync): the first chunk is all of it.
    readDirChunks: "one",
    readDirStats: false,
    readManyMethod: "read_write",
    childSetup: `import { PortableBackend } from ${JSON.stringify(join(ROOT, "ffi", "portable.ts"))};
      const b = new PortableBackend("contract test");`,
    chmodAtRefusesSymlink: false,
  },
];

// ------------------------------------------------------------------ helpers

const encoder = new TextEncoder();
const b8 = (text: string): Name => encoder.encode(text);
const bytesOf = (...values: number[]): Name => Uint8Array.from(values);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** The errno's name in the backend's own table, so a failure reads "EEXIST", not "-17". */
function errName(b: Backend, r: number): string {
  if (r >= 0) return `success (${r})`;
  const entry = Object.entries(b.errno).find(([, n]) => n === -r);
  return entry ? entry[0] : `errno ${-r} (${b.strerror(-r)})`;
}

/** A result that must be a success: the value, or a thrown error that says why. */
function ok<T>(b: Backend, r: T | number): T {
  if (typeof r === "number" && r < 0) throw new Error(`failed: ${errName(b, r)}: ${b.strerror(-r)}`);
  return r as T;
}

/** All of data at offset 0, as the engine writes a small file. */
function writeAll(b: Backend, fd: number, data: Uint8Array): number {
  return writeFully(b, fd, data, 0, data.length, 0);
}

function num(r: unknown): number {
  return typeof r === "number" ? r : 0;
}

const type = (st: Stat) => st.mode & S_IFMT;

/**
 * A sandbox with the same few entries in every case, open as a directory
 * handle: f ("hello"), d/child, empty/, l -> f, dl -> d, dangling -> nowhere,
 * loop -> loop, and a fifo p.
 */
function fixture(b: Backend) {
  const root = sandbox("contract");
  sh("printf hello > f && mkdir d empty && printf x > d/child && ln -s f l && ln -s d dl && ln -s nowhere dangling && ln -s loop loop && mkfifo p", root);
  const dir = ok(b, b.openDir(b.cwd, b8(root), true));
  return {
    root,
    dir,
    [Symbol.dispose]() {
      b.close(dir);
    },
  };
}

function readAll(b: Backend, fd: number, max = 1 << 22): Uint8Array {
  const buf = new Uint8Array(max);
  let pos = 0;
  for (;;) {
    const n = ok(b, b.readAt(fd, buf.subarray(pos), max - pos, pos));
    if (n === 0) return buf.slice(0, pos);
    pos += n;
  }
}

function randomFile(root: string, name: string, size: number): Buffer {
  const data = Buffer.from(crypto.getRandomValues(new Uint8Array(size)).buffer);
  writeFileSync(join(root, name), data);
  return data;
}

/** A clone failing with one of these sends the engine to the next method (src/engine/copy-data.ts). */
const CLONE_UNSUPPORTED = ["EOPNOTSUPP", "ENOTSUP", "EXDEV", "EINVAL", "ENOTTY", "ENOSYS"];

// ------------------------------------------------------------------ error kinds

type ErrnoCase = [what: string, expected: keyof ErrnoTable, op: (b: Backend, dir: number) => number];

/** Each errno kind the engine tests for, from the operations that give it (on the fixture). */
const ERRNO_CASES: ErrnoCase[] = [
  ["stat of a missing name", "ENOENT", (b, d) => num(b.stat(d, b8("missing"), false))],
  ["stat through a dangling symlink", "ENOENT", (b, d) => num(b.stat(d, b8("dangling"), true))],
  ["openRead of a missing name", "ENOENT", (b, d) => b.openRead(d, b8("missing"), false)],
  ["openDir of a missing name", "ENOENT", (b, d) => b.openDir(d, b8("missing"), false)],
  ["readLink of a missing name", "ENOENT", (b, d) => num(b.readLink(d, b8("missing")))],
  ["makeDir under a missing directory", "ENOENT", (b, d) => b.makeDir(d, b8("missing/sub"), 0o755)],
  ["rename of a missing name", "ENOENT", (b, d) => b.rename(d, b8("missing"), d, b8("x"), false)],
  ["remove of a missing name", "ENOENT", (b, d) => b.remove(d, b8("missing"), false)],
  ["makeDir over a directory", "EEXIST", (b, d) => b.makeDir(d, b8("d"), 0o755)],
  ["makeDir over a file", "EEXIST", (b, d) => b.makeDir(d, b8("f"), 0o755)],
  ["createFile (exclusive) over a file", "EEXIST", (b, d) => b.createFile(d, b8("f"), 0o644)],
  ["createFile (exclusive) over a symlink", "EEXIST", (b, d) => b.createFile(d, b8("dangling"), 0o644)],
  ["makeSymlink over a name", "EEXIST", (b, d) => b.makeSymlink(b8("x"), d, b8("f"))],
  ["makeLink onto a name", "EEXIST", (b, d) => b.makeLink(d, b8("f"), d, b8("d"))],
  ["rename (no replace) onto a name", "EEXIST", (b, d) => b.rename(d, b8("f"), d, b8("l"), false)],
  ["openDir of a file", "ENOTDIR", (b, d) => b.openDir(d, b8("f"), true)],
  ["stat below a file", "ENOTDIR", (b, d) => num(b.stat(d, b8("f/x"), false))],
  ["remove of a file as a directory", "ENOTDIR", (b, d) => b.remove(d, b8("f"), true)],
  ["createFile (truncate) over a directory", "EISDIR", (b, d) => b.createFile(d, b8("d"), 0o644, true)],
  ["remove of a directory as a file", "EISDIR", (b, d) => b.remove(d, b8("empty"), false)],
  ["readMany of a directory", "EISDIR", (b, d) => num(readManyAll(b, d, [{ name: b8("d"), size: 10 }], false)[0])],
  ["openRead without follow on a symlink", "ELOOP", (b, d) => b.openRead(d, b8("l"), false)],
  ["openDir without follow on a symlink to a directory", "ENOTDIR", (b, d) => b.openDir(d, b8("dl"), false)],
  ["createFile (truncate) without follow on a symlink", "ELOOP", (b, d) => b.createFile(d, b8("l"), 0o644, true, false)],
  ["openWrite without follow on a symlink", "ELOOP", (b, d) => b.openWrite(d, b8("l"), false)],
  ["stat following a symlink loop", "ELOOP", (b, d) => num(b.stat(d, b8("loop"), true))],
  ["remove of a directory with entries", "ENOTEMPTY", (b, d) => b.remove(d, b8("d"), true)],
  ["readLink of a file", "EINVAL", (b, d) => num(b.readLink(d, b8("f")))],
  ["readAt on a file open only for writing", "EBADF", (b, d) => {
    const fd = ok(b, b.createFile(d, b8("w"), 0o644));
    const r = b.readAt(fd, new Uint8Array(4), 4, 0);
    b.close(fd);
    return r;
  }],
  ["writeAt on a file open only for reading", "EBADF", (b, d) => {
    const fd = ok(b, b.openRead(d, b8("f"), false));
    const r = b.writeAt(fd, b8("x"), 1, 0);
    b.close(fd);
    return r;
  }],
];

/**
 * EACCES and EPERM, from a process without rights to the fixture (nobody,
 * when the tests run as root; the fixture's files are then root's, and
 * "theirs" is nobody's): each a JavaScript expression over the backend `b`,
 * the fixture's handle `d` and `e` (text to bytes), run in that process.
 */
const ACCESS_CASES: [what: string, expected: keyof ErrnoTable, expression: string][] = [
  ["createFile in a directory it may not write", "EACCES", `b.createFile(d, e("new"), 0o644)`],
  ["makeDir in a directory it may not write", "EACCES", `b.makeDir(d, e("new"), 0o755)`],
  ["makeSymlink in a directory it may not write", "EACCES", `b.makeSymlink(e("f"), d, e("new"))`],
  ["rename in a directory it may not write", "EACCES", `b.rename(d, e("f"), d, e("g"), true)`],
  ["remove in a directory it may not write", "EACCES", `b.remove(d, e("f"), false)`],
  ["canWrite of a file it may not write", "EACCES", `b.canWrite(d, e("f"))`],
  ["openWrite of a file it may not write", "EACCES", `b.openWrite(d, e("f"))`],
  ["openRead of a file it may not read", "EACCES", `b.openRead(d, e("secret"), false)`],
  ["openDir of a directory it may not read", "EACCES", `b.openDir(d, e("closed"), false)`],
  ["stat below a directory it may not search", "EACCES", `b.stat(d, e("closed/inside"), false)`],
  ["chownAt of its own file to another owner", "EPERM", `b.owners.chownAt(d, e("theirs"), 0, 0)`],
  ["chmodAt of a file it does not own", "EPERM", `b.modes.chmodAt(d, e("f"), 0o600)`],
  ["setTimesAt (given times) of a file it does not own", "EPERM", `b.setTimesAt(d, e("f"), { atimeSec: 1, atimeNsec: 0, mtimeSec: 1, mtimeNsec: 0 })`],
];

/** As root, `setpriv` runs the child as nobody; as anyone else, the child is already without rights. */
const accessUnavailable = isRoot && !hasCommand("setpriv") ? "running as nobody needs setpriv (util-linux)" : undefined;

// ------------------------------------------------------------------ names

/** Names a backend must pass through as the same bytes. */
const NAMES: [what: string, name: Name][] = [
  ["not UTF-8 (caf\\xe9)", bytesOf(0x63, 0x61, 0x66, 0xe9)],
  ["of only invalid bytes (\\xff\\xfe)", bytesOf(0xff, 0xfe)],
  ["with a newline", b8("a\nb")],
  ["of 255 bytes", new Uint8Array(255).fill(0x6e)],
  ["in multi-byte UTF-8", b8("é—日本")],
  ["with a leading dash, spaces and a backslash", b8("-x y\\z ")],
];

// ------------------------------------------------------------------ the cases

describe.each(SUBJECTS.map((s) => [s.label, s] as const))("%s backend", (_label, s) => {
  const b = s.backend;

  describe("identity and tables", () => {
    test("errno table: positive numbers, distinct but for ENOTSUP = EOPNOTSUPP where the OS says so, each with words", () => {
      const seen = new Map<number, string>();
      for (const [name, n] of Object.entries(b.errno)) {
        expect(Number.isInteger(n) && n > 0).toBe(true);
        const other = seen.get(n);
        if (other !== undefined) expect([other, name].sort()).toEqual(["ENOTSUP", "EOPNOTSUPP"].sort());
        seen.set(n, name);
        expect(b.strerror(n).length).toBeGreaterThan(0);
      }
    });

    test(`sharedHandles is ${s.sharedHandles}`, () => {
      expect(b.sharedHandles).toBe(s.sharedHandles);
    });

    test("methodLabels: a label for every copy method, and no other", () => {
      expect(Object.keys(b.methodLabels).sort()).toEqual([...COPY_METHODS].sort());
      for (const method of COPY_METHODS) expect(b.methodLabels[method].length).toBeGreaterThan(0);
    });

    test("report, counters, tune and the file limit answer", () => {
      expect(b.report().backend.length).toBeGreaterThan(0);
      for (const [name, value] of Object.entries(b.counters())) {
        expect(name.length).toBeGreaterThan(0);
        expect(Number.isInteger(value) && value >= 0).toBe(true);
      }
      b.tune?.({ queueDepth: 64 });
      b.tune?.({ queueDepth: 128 });
      if (b.fileLimit) expect(b.fileLimit.raise()).toBeGreaterThan(0);
    });

    test("platform, path rules, identity, command line and realPath", () => {
      expect(b.platform).toBe(`${process.platform}-${process.arch}`);
      expect(b.pathRules.separators).toContain(b.pathRules.separator);
      const identity = b.identity();
      expect(identity).toMatchObject({ uid: process.getuid!(), gid: process.getgid!(), groups: process.getgroups!() });
      // Root gives any owner as root; CAP_CHOWN is looked for in another user (tests/engine/unchanged.test.ts runs one with it).
      expect(typeof identity?.chownsAny).toBe("boolean");
      if (process.getuid!() === 0) expect(identity?.chownsAny).toBe(false);
      const line = b.commandLine();
      if (line !== undefined) expect(line.every((arg) => arg instanceof Uint8Array)).toBe(true);
      using fx = fixture(b);
      const real = ok(b, b.realPath(b8(`${fx.root}/dl/../l`)));
      // dl -> d, so dl/.. is the sandbox itself; l -> f.
      expect(Buffer.from(real).toString()).toBe(join(fx.root, "f"));
      expect(errName(b, num(b.realPath(b8(`${fx.root}/missing/x`))))).toBe("ENOENT");
    });

    test("appendToFile creates and appends, readWholeFile reads it back as bytes; ENOENT for a missing one", () => {
      using fx = fixture(b);
      const path = b8(`${fx.root}/summary`);
      expect(b.appendToFile(path, bytesOf(0x61, 0xff, 0x0a))).toBe(0);
      expect(b.appendToFile(path, bytesOf(0x62))).toBe(0);
      expect(same(ok(b, b.readWholeFile(path)), bytesOf(0x61, 0xff, 0x0a, 0x62))).toBe(true);
      expect(errName(b, num(b.readWholeFile(b8(`${fx.root}/missing`))))).toBe("ENOENT");
      expect(errName(b, b.appendToFile(b8(`${fx.root}/missing/x`), bytesOf(0x61)))).toBe("ENOENT");
    });
  });

  describe("directories", () => {
    test("openDir follows a symlink only when asked (ENOTDIR without), and readDir lists the target", () => {
      using fx = fixture(b);
      expect(errName(b, b.openDir(fx.dir, b8("dl"), false))).toBe("ENOTDIR");
      const h = ok(b, b.openDir(fx.dir, b8("dl"), true));
      const names = ok(b, b.readDir(h)).map((e) => Buffer.from(e.name).toString());
      expect(names).toEqual(["child"]);
      b.close(h);
    });

    test(`readDir: chunk after chunk (${s.readDirChunks}) to the end, without . and .., then stays at the end`, () => {
      using fx = fixture(b);
      mkdirSync(join(fx.root, "big"));
      const want = new Set<string>();
      for (let i = 0; i < 1000; i++) {
        const name = `${String(i).padStart(4, "0")}-${"x".repeat(96)}`;
        writeFileSync(join(fx.root, "big", name), "");
        want.add(name);
      }
      mkdirSync(join(fx.root, "big", "sub"));
      want.add("sub");
      const h = ok(b, b.openDir(fx.dir, b8("big"), false));
      const got: string[] = [];
      let chunks = 0;
      for (;;) {
        const chunk = ok(b, b.readDir(h));
        if (chunk.length === 0) break;
        chunks++;
        got.push(...chunk.map((e) => Buffer.from(e.name).toString()));
      }
      expect(ok(b, b.readDir(h))).toEqual([]);
      b.close(h);
      expect(got.length).toBe(want.size);
      expect(new Set(got)).toEqual(want);
      if (s.readDirChunks === "several") expect(chunks).toBeGreaterThan(1);
      else expect(chunks).toBe(1);
    });

    test(`readDir ${s.readDirStats ? "gives each entry's stat with its name, as stat without following" : "gives names only"}`, () => {
      using fx = fixture(b);
      sh("ln f hard && truncate -s 1M sparse", fx.root);
      const entries = ok(b, b.readDir(fx.dir));
      const names = entries.map((e) => Buffer.from(e.name).toString()).sort();
      expect(names).toEqual(["d", "dangling", "dl", "empty", "f", "hard", "l", "loop", "p", "sparse"]);
      for (const e of entries) {
        if (!s.readDirStats) {
          expect(e.stat).toBeUndefined();
          continue;
        }
        expect({ name: Buffer.from(e.name).toString(), stat: e.stat }).toEqual({ name: Buffer.from(e.name).toString(), stat: ok(b, b.stat(fx.dir, e.name, false)) });
      }
    });

    test("readDir of an empty directory ends at once", () => {
      using fx = fixture(b);
      const h = ok(b, b.openDir(fx.dir, b8("empty"), false));
      expect(ok(b, b.readDir(h))).toEqual([]);
      b.close(h);
    });

    test("readDir: a stat that comes with a name is the entry's own, as stat without following gives it", () => {
      using fx = fixture(b);
      const entries = ok(b, b.readDir(fx.dir));
      expect(entries.length).toBe(8);
      for (const entry of entries) {
        if (!entry.stat) continue;
        const { atimeSec: _a, atimeNsec: _an, ...listed } = entry.stat;
        const { atimeSec: _b, atimeNsec: _bn, ...stated } = ok(b, b.stat(fx.dir, entry.name, false));
        expect(listed).toEqual(stated);
      }
    });

    test("makeDir makes a directory with the mode asked (less the umask); EEXIST over a name", () => {
      using fx = fixture(b);
      const umask = process.umask();
      expect(ok(b, b.makeDir(fx.dir, b8("new"), 0o750))).toBe(0);
      const st = ok(b, b.stat(fx.dir, b8("new"), false));
      expect(type(st)).toBe(S_IFDIR);
      expect(st.mode & 0o7777).toBe(0o750 & ~umask);
      expect(errName(b, b.makeDir(fx.dir, b8("new"), 0o750))).toBe("EEXIST");
    });
  });

  describe("creating and writing files", () => {
    test("createFile: a new file, mode less the umask; exclusive over a taken name is EEXIST", () => {
      using fx = fixture(b);
      const fd = ok(b, b.createFile(fx.dir, b8("new"), 0o640));
      expect(ok(b, b.fstat(fd)).mode).toBe(S_IFREG | (0o640 & ~process.umask()));
      b.close(fd);
      expect(errName(b, b.createFile(fx.dir, b8("new"), 0o640))).toBe("EEXIST");
      expect(readFileSync(join(fx.root, "f"), "utf8")).toBe("hello");
    });

    test("createFile with truncate reuses the file of that name, emptied", () => {
      using fx = fixture(b);
      const ino = lstatSync(join(fx.root, "f")).ino;
      const fd = ok(b, b.createFile(fx.dir, b8("f"), 0o644, true));
      expect(ok(b, b.fstat(fd)).size).toBe(0);
      expect(ok(b, writeAll(b, fd, b8("new")))).toBe(0);
      b.close(fd);
      expect(lstatSync(join(fx.root, "f")).ino).toBe(ino);
      expect(readFileSync(join(fx.root, "f"), "utf8")).toBe("new");
    });

    test("createFile with truncate and follow writes through a symlink; without follow it is ELOOP", () => {
      using fx = fixture(b);
      expect(errName(b, b.createFile(fx.dir, b8("l"), 0o644, true, false))).toBe("ELOOP");
      const fd = ok(b, b.createFile(fx.dir, b8("l"), 0o644, true, true));
      ok(b, writeAll(b, fd, b8("through")));
      b.close(fd);
      expect(lstatSync(join(fx.root, "l")).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(fx.root, "f"), "utf8")).toBe("through");
    });

    test("writeFully, readAt, writeAt and truncate", () => {
      using fx = fixture(b);
      const data = crypto.getRandomValues(new Uint8Array(300_000));
      const w = ok(b, b.createFile(fx.dir, b8("data"), 0o644));
      expect(ok(b, writeAll(b, w, data))).toBe(0);
      expect(same(readFileSync(join(fx.root, "data")), data)).toBe(true);
      // writeFully writes at the position given, whatever was written before.
      expect(ok(b, writeAll(b, w, b8("AB")))).toBe(0);
      // writeAt past the end leaves zeros between.
      expect(b.writeAt(w, b8("tail"), 4, 400_000)).toBe(4);
      const r = ok(b, b.openRead(fx.dir, b8("data"), false));
      const buf = new Uint8Array(16);
      expect(b.readAt(r, buf, 4, 0)).toBe(4);
      expect(Buffer.from(buf.subarray(0, 2)).toString()).toBe("AB");
      expect(same(buf.subarray(2, 4), data.subarray(2, 4))).toBe(true);
      expect(b.readAt(r, buf, 16, 399_996)).toBe(8);
      expect(Buffer.from(buf.subarray(0, 8))).toEqual(Buffer.from([0, 0, 0, 0, ...b8("tail")]));
      expect(b.readAt(r, buf, 16, 400_004)).toBe(0);
      expect(ok(b, b.truncate(w, 10))).toBe(0);
      expect(ok(b, b.fstat(r)).size).toBe(10);
      expect(ok(b, b.truncate(w, 5000))).toBe(0);
      expect(readAll(b, r).length).toBe(5000);
      expect(b.readAt(r, buf, 16, 10)).toBe(16);
      expect(buf.every((x) => x === 0)).toBe(true);
      b.close(w);
      b.close(r);
    });

    test("openWrite opens an existing file for writing without truncating it", () => {
      using fx = fixture(b);
      const fd = ok(b, b.openWrite(fx.dir, b8("l")));
      expect(b.writeAt(fd, b8("J"), 1, 0)).toBe(1);
      b.close(fd);
      expect(readFileSync(join(fx.root, "f"), "utf8")).toBe("Jello");
      expect(errName(b, b.openWrite(fx.dir, b8("missing")))).toBe("ENOENT");
    });

    test("canWrite: 0 for a file this process may write, ENOENT for a missing one", () => {
      using fx = fixture(b);
      expect(b.canWrite(fx.dir, b8("f"))).toBe(0);
      expect(errName(b, b.canWrite(fx.dir, b8("missing")))).toBe("ENOENT");
    });
  });

  describe("batches", () => {
    test(`readMany (${s.readManyMethod}): the bytes and an open file each, one byte more than expected, errors per file`, () => {
      using fx = fixture(b);
      writeFileSync(join(fx.root, "empty-file"), "");
      const results = readManyAll(b, fx.dir, [
        { name: b8("f"), size: 5 },
        { name: b8("empty-file"), size: 0 },
        // Grew since it was looked at: one byte more than expected shows it.
        { name: b8("f"), size: 2 },
        { name: b8("missing"), size: 5 },
        { name: b8("l"), size: 5 },
        { name: b8("d"), size: 5 },
      ], false);
      const text = results.map((r) => (typeof r === "number" ? errName(b, r) : Buffer.from(r.data).toString()));
      expect(text).toEqual(["hello", "", "hel", "ENOENT", "ELOOP", "EISDIR"]);
      const ino = BigInt(lstatSync(join(fx.root, "f")).ino);
      for (const r of results) {
        if (typeof r === "number") continue;
        expect(r.method).toBe(s.readManyMethod);
        if (r.method === "batched") expect(b.batchedRange).toBeDefined();
        expect(type(ok(b, b.fstat(r.fd)))).toBe(S_IFREG);
        b.close(r.fd);
      }
      const followed = readManyAll(b, fx.dir, [{ name: b8("l"), size: 5 }], true)[0];
      expect(typeof followed).toBe("object");
      if (typeof followed === "object") {
        expect(Buffer.from(followed.data).toString()).toBe("hello");
        expect(ok(b, b.fstat(followed.fd)).ino).toBe(ino);
        b.close(followed.fd);
      }
    });

    test(`readMany (${s.readManyMethod}): each file's bytes start at a multiple of 64 in the batch's buffer, whatever the sizes before it`, () => {
      // Packed end to end, files of 4 KiB each started 1, 2, 3... bytes past a
      // page: the kernel's copy into such an address was ten times slower on an AMD Zen 4 (bench/README item 32).
      using fx = fixture(b);
      const sizes = [4096, 4096, 1, 0, 63, 64, 65, 8191, 4096];
      sizes.forEach((size, i) => writeFileSync(join(fx.root, `s${i}`), Buffer.alloc(size, 0x61 + i)));
      const results = readManyAll(b, fx.dir, sizes.map((size, i) => ({ name: b8(`s${i}`), size })), false);
      // The address too: what the kernel copies to is the buffer's address plus the offset.
      const got = results.map((r, i) =>
        typeof r === "number"
          ? errName(b, r)
          : { size: r.data.length, offset: r.data.byteOffset % 64, address: r.data.length && ptr(r.data) % 16, bytes: r.data.every((c) => c === 0x61 + i) },
      );
      expect(got).toEqual(sizes.map((size) => ({ size, offset: 0, address: 0, bytes: true })));
      for (const r of results) if (typeof r !== "number") b.close(r.fd);
    });

    test(`readMany (${s.readManyMethod}): each file may be written while the others are read; a callback that throws: its error comes out of readMany, no file is left open, and the next batch reads as before`, () => {
      using fx = fixture(b);
      for (let i = 0; i < 40; i++) writeFileSync(join(fx.root, `n${i}`), `file ${i}`);
      const files = Array.from({ length: 40 }, (_, i) => ({ name: b8(`n${i}`), size: `file ${i}`.length }));
      b.readMany(fx.dir, files, false, (i, r) => {
        if (typeof r === "number") throw new Error(`n${i}: ${errName(b, r)}`);
        const out = b.createFile(fx.dir, b8(`copy${i}`), 0o644);
        expect(writeAll(b, out, r.data)).toBe(0);
        b.close(out);
        b.close(r.fd);
      });
      for (let i = 0; i < 40; i++) expect(readFileSync(join(fx.root, `copy${i}`), "utf8")).toBe(`file ${i}`);
      // Dropped from the page cache where the backend can, so that reads are
      // more likely still in flight when the first one is handed on (nothing
      // here can make sure of it: a fast disk answers them all at once).
      for (const { name } of files) {
        const fd = b.openRead(fx.dir, name, false);
        b.pageCache?.evict(fd);
        b.close(fd);
      }
      const openBefore = readdirSync("/proc/self/fd").length;
      const opened: number[] = [];
      expect(() =>
        b.readMany(fx.dir, files, false, (_, r) => {
          if (typeof r !== "number") opened.push(r.fd);
          throw new Error("a bug in the caller");
        }),
      ).toThrow("a bug in the caller");
      expect(opened.length).toBe(1);
      for (const fd of opened) b.close(fd);
      // The files the callback was never given were closed by readMany.
      expect(readdirSync("/proc/self/fd").length).toBe(openBefore);
      const again = readManyAll(b, fx.dir, files, false);
      expect(again.map((r) => (typeof r === "number" ? errName(b, r) : Buffer.from(r.data).toString()))).toEqual(files.map((_, i) => `file ${i}`));
      for (const r of again) if (typeof r !== "number") b.close(r.fd);
    });

    test("statMany: the same as stat for each name, errors per name, following or not", () => {
      using fx = fixture(b);
      const names = ["f", "missing", "d", "l", "dangling", "p"].map(b8);
      for (const follow of [false, true]) {
        const many = b.statMany(fx.dir, names, follow);
        expect(many.length).toBe(names.length);
        many.forEach((r, i) => {
          const one = b.stat(fx.dir, names[i]!, follow);
          if (typeof one === "number") expect(errName(b, num(r))).toBe(errName(b, one));
          else expect(r).toEqual(one);
        });
        const kinds = many.map((r) => (typeof r === "number" ? errName(b, r) : type(r)));
        expect(kinds).toEqual(follow ? [S_IFREG, "ENOENT", S_IFDIR, S_IFREG, "ENOENT", S_IFIFO] : [S_IFREG, "ENOENT", S_IFDIR, S_IFLNK, S_IFLNK, S_IFIFO]);
      }
    });
  });

  describe("renaming and removing", () => {
    test("rename without replace: to a free name; EEXIST onto a taken one, both left as they were", () => {
      using fx = fixture(b);
      writeFileSync(join(fx.root, "g"), "other");
      expect(errName(b, b.rename(fx.dir, b8("f"), fx.dir, b8("g"), false))).toBe("EEXIST");
      expect(readFileSync(join(fx.root, "f"), "utf8")).toBe("hello");
      expect(readFileSync(join(fx.root, "g"), "utf8")).toBe("other");
      expect(b.rename(fx.dir, b8("f"), fx.dir, b8("free"), false)).toBe(0);
      expect(existsSync(join(fx.root, "f"))).toBe(false);
      expect(readFileSync(join(fx.root, "free"), "utf8")).toBe("hello");
    });

    test("rename with replace: onto a taken name, and into another directory", () => {
      using fx = fixture(b);
      writeFileSync(join(fx.root, "g"), "other");
      expect(b.rename(fx.dir, b8("g"), fx.dir, b8("f"), true)).toBe(0);
      expect(existsSync(join(fx.root, "g"))).toBe(false);
      expect(readFileSync(join(fx.root, "f"), "utf8")).toBe("other");
      const d = ok(b, b.openDir(fx.dir, b8("d"), false));
      expect(b.rename(fx.dir, b8("f"), d, b8("child"), true)).toBe(0);
      b.close(d);
      expect(readFileSync(join(fx.root, "d", "child"), "utf8")).toBe("other");
    });

    testIf(tmpfsUnavailable)("rename and makeLink to another filesystem: EXDEV, and nothing moved", () => {
      using fx = fixture(b);
      const other = ok(b, b.openDir(b.cwd, b8(mountTmpfs("size=1m")), true));
      const results = [b.rename(fx.dir, b8("f"), other, b8("f"), false), b.rename(fx.dir, b8("f"), other, b8("f"), true), b.makeLink(fx.dir, b8("f"), other, b8("f"))];
      b.close(other);
      expect(results.map((r) => errName(b, r))).toEqual(["EXDEV", "EXDEV", "EXDEV"]);
      expect(readFileSync(join(fx.root, "f"), "utf8")).toBe("hello");
    });

    test("remove: a file, a symlink (not its target), an empty directory; ENOTEMPTY for one with entries", () => {
      using fx = fixture(b);
      expect(b.remove(fx.dir, b8("l"), false)).toBe(0);
      expect(existsSync(join(fx.root, "f"))).toBe(true);
      expect(b.remove(fx.dir, b8("f"), false)).toBe(0);
      expect(b.remove(fx.dir, b8("empty"), true)).toBe(0);
      expect(errName(b, b.remove(fx.dir, b8("d"), true))).toBe("ENOTEMPTY");
      expect(readdirSync(fx.root).sort()).toEqual(["d", "dangling", "dl", "loop", "p"]);
    });
  });

  describe("names are bytes", () => {
    test.each(NAMES)("a name %s: created, listed, stat'ed, linked to, renamed and removed as the same bytes", (_what, name) => {
      using fx = fixture(b);
      const fd = ok(b, b.createFile(fx.dir, name, 0o644));
      ok(b, writeAll(b, fd, b8("data")));
      b.close(fd);
      // The kernel's own view, independent of the backend.
      expect(readdirSync(fx.root, { encoding: "buffer" }).some((n) => same(n, name))).toBe(true);
      const listed = ok(b, b.readDir(fx.dir));
      expect(listed.filter((e) => same(e.name, name)).length).toBe(1);
      expect(ok(b, b.stat(fx.dir, name, false)).size).toBe(4);
      expect(ok(b, b.makeSymlink(name, fx.dir, b8("to-it")))).toBe(0);
      expect(same(ok(b, b.readLink(fx.dir, b8("to-it"))), name)).toBe(true);
      expect(ok(b, b.stat(fx.dir, b8("to-it"), true)).size).toBe(4);
      const d = ok(b, b.openDir(fx.dir, b8("d"), false));
      expect(b.rename(fx.dir, name, d, name, false)).toBe(0);
      expect(readFileSync(Buffer.concat([Buffer.from(`${fx.root}/d/`), Buffer.from(name)]), "utf8")).toBe("data");
      expect(b.remove(d, name, false)).toBe(0);
      b.close(d);
      expect(readdirSync(join(fx.root, "d"))).toEqual(["child"]);
    });

    test("a name of 256 bytes is too long, with the OS's words for it", () => {
      using fx = fixture(b);
      const long = new Uint8Array(256).fill(0x6e);
      for (const r of [b.createFile(fx.dir, long, 0o644), b.makeDir(fx.dir, long, 0o755), b.makeSymlink(b8("f"), fx.dir, long)]) {
        expect(r).toBeLessThan(0);
        expect(b.strerror(-r)).toMatch(/name.*too long/i);
      }
    });
  });

  describe("symlinks and hard links", () => {
    test("makeSymlink and readLink: the exact bytes of a long target that is not UTF-8", () => {
      using fx = fixture(b);
      const target = Buffer.concat([Buffer.from([0xff, 0x0a, 0x2f]), Buffer.alloc(1000, 0x61), Buffer.from([0xe9])]);
      expect(b.makeSymlink(target, fx.dir, b8("s"))).toBe(0);
      expect(same(ok(b, b.readLink(fx.dir, b8("s"))), target)).toBe(true);
      expect(ok(b, b.stat(fx.dir, b8("s"), false)).size).toBe(target.length);
    });

    test("makeSymlink toDir: a link to a directory that lists through (and is still a link)", () => {
      using fx = fixture(b);
      expect(b.makeSymlink(b8("d"), fx.dir, b8("ds"), true)).toBe(0);
      expect(type(ok(b, b.stat(fx.dir, b8("ds"), false)))).toBe(S_IFLNK);
      const h = ok(b, b.openDir(fx.dir, b8("ds"), true));
      expect(ok(b, b.readDir(h)).map((e) => Buffer.from(e.name).toString())).toEqual(["child"]);
      b.close(h);
    });

    test("stat follows a symlink only when asked; a dangling one is a symlink, its target ENOENT", () => {
      using fx = fixture(b);
      const link = ok(b, b.stat(fx.dir, b8("l"), false));
      expect(type(link)).toBe(S_IFLNK);
      expect(link.size).toBe(1);
      const target = ok(b, b.stat(fx.dir, b8("l"), true));
      expect(type(target)).toBe(S_IFREG);
      expect(target.size).toBe(5);
      expect(type(ok(b, b.stat(fx.dir, b8("dangling"), false)))).toBe(S_IFLNK);
      expect(errName(b, num(b.stat(fx.dir, b8("dangling"), true)))).toBe("ENOENT");
      expect(same(ok(b, b.readLink(fx.dir, b8("dangling"))), b8("nowhere"))).toBe(true);
    });

    test("makeLink: another name for the file; a symlink itself, or what it names with follow", () => {
      using fx = fixture(b);
      const f = ok(b, b.stat(fx.dir, b8("f"), false));
      expect(b.makeLink(fx.dir, b8("f"), fx.dir, b8("h"))).toBe(0);
      const h = ok(b, b.stat(fx.dir, b8("h"), false));
      expect(h.ino).toBe(f.ino);
      expect(h.nlink).toBe(2);
      expect(b.makeLink(fx.dir, b8("l"), fx.dir, b8("hl"), false)).toBe(0);
      const hl = ok(b, b.stat(fx.dir, b8("hl"), false));
      expect(type(hl)).toBe(S_IFLNK);
      expect(hl.ino).toBe(ok(b, b.stat(fx.dir, b8("l"), false)).ino);
      expect(b.makeLink(fx.dir, b8("l"), fx.dir, b8("hf"), true)).toBe(0);
      const hf = ok(b, b.stat(fx.dir, b8("hf"), false));
      expect(type(hf)).toBe(S_IFREG);
      expect(hf.ino).toBe(f.ino);
      expect(hf.nlink).toBe(3);
    });
  });

  describe("metadata", () => {
    test("stat fields against the kernel's own (type bits, mode, size, nlink, ino, dev, owner, blocks)", () => {
      using fx = fixture(b);
      randomFile(fx.root, "big", 100_000);
      for (const name of ["f", "big", "d", "l", "p", "empty"]) {
        const st = ok(b, b.stat(fx.dir, b8(name), false));
        const k = lstatSync(join(fx.root, name), { bigint: true });
        expect({ name, mode: st.mode, size: st.size, nlink: st.nlink, ino: st.ino, uid: st.uid, gid: st.gid, blocks: st.blocks }).toEqual({
          name,
          mode: Number(k.mode),
          size: Number(k.size),
          nlink: Number(k.nlink),
          ino: k.ino,
          uid: Number(k.uid),
          gid: Number(k.gid),
          blocks: Number(k.blocks),
        });
      }
      // dev: the same number for everything on one filesystem, by name or by handle.
      const f = ok(b, b.stat(fx.dir, b8("f"), false));
      expect(ok(b, b.stat(fx.dir, b8("d"), false)).dev).toBe(f.dev);
      expect(ok(b, b.fstat(fx.dir)).dev).toBe(f.dev);
      expect(ok(b, b.fstat(fx.dir)).ino).toBe(BigInt(statSync(fx.root).ino));
      const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
      expect(ok(b, b.fstat(fd))).toEqual(f);
      b.close(fd);
    });

    testIf(isRoot ? undefined : "mknod of a device needs root")("stat of a device: its major and minor numbers, large ones too", () => {
      using fx = fixture(b);
      sh("mknod small c 1 3 && mknod large b 300 70000", fx.root);
      const small = ok(b, b.stat(fx.dir, b8("small"), false));
      const large = ok(b, b.stat(fx.dir, b8("large"), false));
      expect([small.mode & S_IFMT, small.rdevMajor, small.rdevMinor]).toEqual([S_IFCHR, 1, 3]);
      expect([large.mode & S_IFMT, large.rdevMajor, large.rdevMinor]).toEqual([S_IFBLK, 300, 70000]);
    });

    if (b.specialFiles) {
      const nodes = b.specialFiles;
      test("specialFiles.makeNode: a fifo, and (as root) a device with its numbers", () => {
        using fx = fixture(b);
        expect(nodes.makeNode(fx.dir, b8("fifo"), S_IFIFO | 0o640, 0, 0)).toBe(0);
        expect(ok(b, b.stat(fx.dir, b8("fifo"), false)).mode).toBe(S_IFIFO | (0o640 & ~process.umask()));
        expect(errName(b, nodes.makeNode(fx.dir, b8("fifo"), S_IFIFO | 0o640, 0, 0))).toBe("EEXIST");
        if (!isRoot) return;
        expect(nodes.makeNode(fx.dir, b8("dev"), S_IFBLK | 0o600, 300, 70000)).toBe(0);
        expect(ok(b, b.stat(fx.dir, b8("dev"), false))).toMatchObject({ mode: S_IFBLK | 0o600, rdevMajor: 300, rdevMinor: 70000 });
      });
    }

    test("openRead of a fifo (not as a stream) does not wait for a writer", () => {
      using fx = fixture(b);
      const fd = ok(b, b.openRead(fx.dir, b8("p"), false));
      expect(type(ok(b, b.fstat(fd)))).toBe(S_IFIFO);
      b.close(fd);
    });

    test("stat reads times to the nanosecond", () => {
      using fx = fixture(b);
      sh("touch -h -d @981173106.123456789 f l && touch -a -d @981000000.987654321 f", fx.root);
      const f = ok(b, b.stat(fx.dir, b8("f"), false));
      expect([f.mtimeSec, f.mtimeNsec, f.atimeSec, f.atimeNsec]).toEqual([981173106, 123456789, 981000000, 987654321]);
    });

    const step = s.setsTimeStepNs;
    test(`setTimesFd and setTimesAt (to ${step === 1 ? "the nanosecond" : `${step} ns`}), on files, directory handles and symlinks themselves`, () => {
      using fx = fixture(b);
      const t1 = { atimeSec: 1_000_000_000, atimeNsec: 111_222_333, mtimeSec: 1_200_000_000, mtimeNsec: 444_555_666 };
      // The last nanosecond of a second: a backend that rounds must not carry it into the next second by more than its step.
      const t2 = { atimeSec: 1_300_000_000, atimeNsec: 5, mtimeSec: 1_400_000_000, mtimeNsec: 999_999_999 };
      const ns = (sec: number, nsec: number) => BigInt(sec) * 1_000_000_000n + BigInt(nsec);
      const off = (name: string, t: typeof t1) => {
        const st = ok(b, b.stat(fx.dir, b8(name), false));
        const da = ns(st.atimeSec, st.atimeNsec) - ns(t.atimeSec, t.atimeNsec);
        const dm = ns(st.mtimeSec, st.mtimeNsec) - ns(t.mtimeSec, t.mtimeNsec);
        const abs = (x: bigint) => (x < 0n ? -x : x);
        return { name, within: abs(da) < BigInt(step) && abs(dm) < BigInt(step) };
      };
      const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
      expect(b.setTimesFd(fd, t1)).toBe(0);
      b.close(fd);
      const d = ok(b, b.openDir(fx.dir, b8("d"), false));
      expect(b.setTimesFd(d, t1)).toBe(0);
      b.close(d);
      expect(b.setTimesAt(fx.dir, b8("empty"), t1)).toBe(0);
      // By name, a symlink's own times; its target keeps its own.
      for (const link of ["l", "dl", "dangling"]) expect(b.setTimesAt(fx.dir, b8(link), t2)).toBe(0);
      expect([off("f", t1), off("d", t1), off("empty", t1), off("l", t2), off("dl", t2), off("dangling", t2)]).toEqual(
        ["f", "d", "empty", "l", "dl", "dangling"].map((name) => ({ name, within: true })),
      );
    });

    if (b.modes) {
      const modes = b.modes;
      test("modes: chmodFd on a file and a directory handle, chmodAt on a name (set-user-ID kept)", () => {
        using fx = fixture(b);
        const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
        expect(modes.chmodFd(fd, 0o4750)).toBe(0);
        b.close(fd);
        expect(ok(b, b.stat(fx.dir, b8("f"), false)).mode).toBe(S_IFREG | 0o4750);
        const d = ok(b, b.openDir(fx.dir, b8("d"), false));
        expect(modes.chmodFd(d, 0o711)).toBe(0);
        b.close(d);
        expect(ok(b, b.stat(fx.dir, b8("d"), false)).mode).toBe(S_IFDIR | 0o711);
        expect(modes.chmodAt(fx.dir, b8("p"), 0o604)).toBe(0);
        expect(ok(b, b.stat(fx.dir, b8("p"), false)).mode).toBe(S_IFIFO | 0o604);
        expect(modes.chmodAt(fx.dir, b8("d"), 0o705)).toBe(0);
        expect(ok(b, b.stat(fx.dir, b8("d"), false)).mode).toBe(S_IFDIR | 0o705);
      });

      // The engine sets a fifo's or device's mode by name: one swapped for a
      // symlink since it was made must not lead the chmod out of DEST.
      testIf(s.chmodAtRefusesSymlink ? undefined : "a backend of paths cannot tell")("modes: chmodAt never follows a symlink: what it leads to keeps its mode", () => {
        using fx = fixture(b);
        chmodSync(join(fx.root, "f"), 0o600);
        chmodSync(join(fx.root, "d"), 0o700);
        // Linux refuses (a symlink has no mode of its own there); macOS sets the symlink's own.
        for (const link of ["l", "dl"]) expect(["success (0)", "EOPNOTSUPP", "ENOTSUP"]).toContain(errName(b, modes.chmodAt(fx.dir, b8(link), 0o777)));
        expect(statSync(join(fx.root, "f")).mode & 0o7777).toBe(0o600);
        expect(statSync(join(fx.root, "d")).mode & 0o7777).toBe(0o700);
      });
    }

    if (b.owners) {
      const owners = b.owners;
      test("owners: chown to the owner it has: files, directory handles, and a symlink itself", () => {
        using fx = fixture(b);
        const st = ok(b, b.stat(fx.dir, b8("f"), false));
        const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
        expect(owners.chownFd(fd, st.uid, st.gid)).toBe(0);
        b.close(fd);
        const d = ok(b, b.openDir(fx.dir, b8("d"), false));
        expect(owners.chownFd(d, st.uid, st.gid)).toBe(0);
        b.close(d);
        expect(owners.chownAt(fx.dir, b8("l"), st.uid, st.gid)).toBe(0);
      });

      testIf(isRoot ? undefined : "giving a file away needs root")("chown to another owner (as root): the file, and a symlink without its target", () => {
        using fx = fixture(b);
        const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
        expect(owners.chownFd(fd, 65534, 65534)).toBe(0);
        b.close(fd);
        expect(ok(b, b.stat(fx.dir, b8("f"), false))).toMatchObject({ uid: 65534, gid: 65534 });
        expect(owners.chownAt(fx.dir, b8("dl"), 65533, 65533)).toBe(0);
        expect(ok(b, b.stat(fx.dir, b8("dl"), false))).toMatchObject({ uid: 65533, gid: 65533 });
        expect(ok(b, b.stat(fx.dir, b8("d"), false))).toMatchObject({ uid: 0, gid: 0 });
      });
    }

    const { attributes } = b;
    if (attributes?.readFd && attributes.readAt) {
      const { readFd, readAt } = attributes;
      // Where Stat holds no word (Linux's inode flags): nodump, which ext4, XFS and tmpfs keep.
      test("attributes: a word set by handle and by name reads back by both; never read through a symlink", () => {
        using fx = fixture(b);
        const NODUMP = 0x40;
        const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
        const before = ok(b, readFd(fd));
        expect(attributes.setFd(fd, before | NODUMP)).toBe(0);
        expect(ok(b, readFd(fd)) & NODUMP).toBe(NODUMP);
        expect(ok(b, readAt(fx.dir, b8("f"))) & NODUMP).toBe(NODUMP);
        b.close(fd);
        expect(attributes.setAt(fx.dir, b8("f"), before)).toBe(0);
        expect(ok(b, readAt(fx.dir, b8("f"))) & NODUMP).toBe(0);
        expect(errName(b, readAt(fx.dir, b8("l")))).toBe("ELOOP");
        expect(errName(b, readAt(fx.dir, b8("missing")))).toBe("ENOENT");
      });
    }

    if (b.xattrs) {
      const x = b.xattrs;
      test("xattrs: set, listed and read back as bytes, by handle and by name; ENODATA for a missing one, EPERM for user.* on a symlink", () => {
        using fx = fixture(b);
        const value = bytesOf(0, 0xff, 0x0a, 0x41);
        const attr = b8("user.blit.test");
        const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
        expect(x.set(fd, attr, value)).toBe(0);
        expect(same(ok(b, x.get(fd, attr)), value)).toBe(true);
        expect(ok(b, x.list(fd)).some((n) => same(n, attr))).toBe(true);
        expect(errName(b, num(x.get(fd, b8("user.none"))))).toBe("ENODATA");
        b.close(fd);
        expect(x.setAt(fx.dir, b8("empty"), attr, value)).toBe(0);
        expect(same(ok(b, x.getAt(fx.dir, b8("empty"), attr)), value)).toBe(true);
        expect(ok(b, x.listAt(fx.dir, b8("empty"))).some((n) => same(n, attr))).toBe(true);
        const d = ok(b, b.openDir(fx.dir, b8("empty"), false));
        expect(same(ok(b, x.get(d, attr)), value)).toBe(true);
        b.close(d);
        // By name, a symlink is not followed: the link has none of its target's,
        // and may have no user.* attribute (EPERM: the engine drops it quietly under -a).
        expect(ok(b, x.listAt(fx.dir, b8("l"))).some((n) => same(n, attr))).toBe(false);
        expect(errName(b, x.setAt(fx.dir, b8("l"), attr, value))).toBe("EPERM");
      });
      const { listSizesAt } = x;
      if (listSizesAt) {
        test("xattrs: the sizes of many entries' name lists in one call, 0 for none, not following a symlink, errors per name", () => {
          using fx = fixture(b);
          const attr = b8("user.blit.sized");
          expect(x.setAt(fx.dir, b8("f"), attr, b8("1"))).toBe(0);
          const sizes = listSizesAt.call(x, fx.dir, ["f", "empty", "l", "missing"].map(b8));
          expect(sizes[0]).toBe(ok(b, x.listAt(fx.dir, b8("f"))).reduce((n, name) => n + name.length + 1, 0));
          expect(sizes.slice(1, 3)).toEqual([0, 0]);
          expect(errName(b, sizes[3]!)).toBe("ENOENT");
        });
      }
      // Optional within xattrs: a backend without them leaves DEST's extra attributes (the engine says so).
      const { remove, removeAt } = x;
      if (remove && removeAt) {
        test("xattrs: removed by handle and by name; ENODATA for one not there; a symlink's target keeps its own", () => {
          using fx = fixture(b);
          const attr = b8("user.blit.gone");
          const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
          expect(x.set(fd, attr, b8("1"))).toBe(0);
          expect(remove.call(x, fd, attr)).toBe(0);
          expect(ok(b, x.list(fd)).some((n) => same(n, attr))).toBe(false);
          expect(errName(b, remove.call(x, fd, attr))).toBe("ENODATA");
          expect(x.set(fd, attr, b8("2"))).toBe(0);
          b.close(fd);
          // Not followed: the link has no such attribute (Linux refuses user.* on a link outright).
          expect(["ENODATA", "EPERM"]).toContain(errName(b, removeAt.call(x, fx.dir, b8("l"), attr)));
          expect(ok(b, x.listAt(fx.dir, b8("f"))).some((n) => same(n, attr))).toBe(true);
          expect(removeAt.call(x, fx.dir, b8("f"), attr)).toBe(0);
          expect(ok(b, x.listAt(fx.dir, b8("f"))).some((n) => same(n, attr))).toBe(false);
        });
      }
    }
  });

  describe("EACCES and EPERM, from a process without rights", () => {
    for (const [what, expected, expression] of ACCESS_CASES) testIf(accessUnavailable)(`${what}: ${expected}`, () => {
      using fx = fixture(b);
      sh("printf s > secret && chmod 600 secret && mkdir closed && touch closed/inside && chmod 700 closed && chmod 755 . && touch theirs", fx.root);
      if (isRoot) sh("chown 65534:65534 theirs", fx.root);
      const script = join(sandbox("contract-child"), "child.ts");
      writeFileSync(script, `${s.childSetup}
        const e = (text: string) => new TextEncoder().encode(text);
        const d = b.openDir(b.cwd, e(${JSON.stringify(fx.root)}), true);
        const r = ${expression};
        const n = typeof r === "number" ? r : 0;
        const name = Object.entries(b.errno).find(([, v]) => v === -n)?.[0];
        console.log(d < 0 ? "openDir failed" : n >= 0 ? "success" : name ?? String(n));
      `);
      chmodSync(dirname(script), 0o755);
      chmodSync(script, 0o644);
      const asNobody = isRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
      const r = run([...asNobody, process.execPath, script]);
      expect({ result: r.stdout.trim(), stderr: r.stderr }).toEqual({ result: expected, stderr: "" });
    });
  });

  describe("error kinds", () => {
    test.each(ERRNO_CASES)("%s: %s", (_what, expected, op) => {
      using fx = fixture(b);
      const r = op(b, fx.dir);
      if (r > 0) b.close(r);
      expect(errName(b, r)).toBe(expected);
    });
  });

  describe("optional capabilities", () => {
    test(`offers exactly: ${s.offers.length ? s.offers.join(", ") : "none"}`, () => {
      expect(CAPABILITIES.filter((c) => b[c] !== undefined)).toEqual(s.offers);
    });

    test("probeFilesystem claims no method the backend does not offer", () => {
      using fx = fixture(b);
      const report = ok(b, b.probeFilesystem(fx.dir));
      const offeredFor = { clone: "clone", kernel: "kernelCopy", batched: "batchedRange" } as const;
      for (const check of report.checks) {
        if (!check.supported || !check.method || check.method === "read_write") continue;
        expect(`${check.method}: ${b[offeredFor[check.method]] !== undefined}`).toBe(`${check.method}: true`);
      }
      if (report.batched) expect(b.batchedRange).toBeDefined();
    });

    for (const cap of CAPABILITIES) {
      if (!s.offers.includes(cap)) {
        test(`${cap}: absent`, () => {
          expect(b[cap]).toBeUndefined();
        });
      }
    }

    if (b.pageCache) {
      const cache = b.pageCache;
      test(`pageCache: a file written, then evicted through its write descriptor, reads back the same${cache.openUncached ? " through a descriptor opened past the cache" : ""}`, () => {
        using fx = fixture(b);
        const data = crypto.getRandomValues(new Uint8Array(1 << 16));
        const fd = ok(b, b.createFile(fx.dir, b8("evicted"), 0o644));
        expect(writeAll(b, fd, data)).toBe(0);
        expect(cache.evict(fd)).toBe(0);
        b.close(fd);
        const back = ok(b, cache.openUncached ? cache.openUncached(fx.dir, b8("evicted"), false) : b.openRead(fx.dir, b8("evicted"), false));
        const buf = new Uint8Array(data.length + 1);
        expect(b.readAt(back, buf, buf.length, 0)).toBe(data.length);
        expect(cache.evict(back)).toBe(0);
        b.close(back);
        expect(Buffer.compare(buf.subarray(0, data.length), data)).toBe(0);
      });
    }

    if (b.clone) {
      const clone = b.clone;
      test(`clone: ${sandboxClones ? "succeeds where the sandbox clones" : "fails here with an errno the engine takes as 'unsupported'"}`, () => {
        using fx = fixture(b);
        const data = randomFile(fx.root, "src", 1 << 20);
        const src = ok(b, b.openRead(fx.dir, b8("src"), false));
        const dst = ok(b, b.createFile(fx.dir, b8("dst"), 0o644));
        const r = clone.into(src, dst);
        b.close(src);
        b.close(dst);
        if (sandboxClones) {
          expect(r).toBe(0);
          expect(readFileSync(join(fx.root, "dst")).equals(data)).toBe(true);
        } else {
          expect(CLONE_UNSUPPORTED).toContain(errName(b, r));
        }
      });

      testIf(xfsUnavailable)("clone: succeeds on XFS with reflink, and the copy shares the source's blocks", () => {
        const mnt = mountXfs(300);
        const data = randomFile(mnt, "src", 4 << 20);
        sh("sync", mnt);
        const dir = ok(b, b.openDir(b.cwd, b8(mnt), true));
        const src = ok(b, b.openRead(dir, b8("src"), false));
        const dst = ok(b, b.createFile(dir, b8("dst"), 0o644));
        const r = clone.into(src, dst);
        b.close(src);
        b.close(dst);
        b.close(dir);
        expect(errName(b, r)).toBe("success (0)");
        expect(readFileSync(join(mnt, "dst")).equals(data)).toBe(true);
        expect(run(["filefrag", "-v", join(mnt, "dst")]).stdout).toMatch(/\bshared\b/);
      });
    }

    if (b.cloneAt) {
      const cloneAt = b.cloneAt;
      test(`cloneAt: ${sandboxClones ? "a new file sharing the source's blocks" : "fails here with an errno the engine takes as 'unsupported', leaving nothing under the name"}; EEXIST over a taken name`, () => {
        using fx = fixture(b);
        const data = randomFile(fx.root, "src", 1 << 20);
        const src = ok(b, b.openRead(fx.dir, b8("src"), false));
        const r = cloneAt.file(src, fx.dir, b8("dst"));
        const taken = cloneAt.file(src, fx.dir, b8("f"));
        b.close(src);
        if (r >= 0) b.close(r);
        expect(errName(b, taken)).toBe("EEXIST");
        expect(readFileSync(join(fx.root, "f"), "utf8")).toBe("hello");
        if (sandboxClones) {
          expect(r).toBeGreaterThanOrEqual(0);
          expect(readFileSync(join(fx.root, "dst")).equals(data)).toBe(true);
        } else {
          expect(CLONE_UNSUPPORTED).toContain(errName(b, r));
          expect(existsSync(join(fx.root, "dst"))).toBe(false);
        }
      });

      testIf(xfsUnavailable)("cloneAt: on XFS with reflink, a new file sharing the source's blocks, and a descriptor of it", () => {
        const mnt = mountXfs(300);
        const data = randomFile(mnt, "src", 4 << 20);
        sh("sync", mnt);
        const dir = ok(b, b.openDir(b.cwd, b8(mnt), true));
        const src = ok(b, b.openRead(dir, b8("src"), false));
        const dst = ok(b, cloneAt.file(src, dir, b8("dst")));
        expect(errName(b, cloneAt.file(src, dir, b8("dst")))).toBe("EEXIST");
        expect(ok(b, b.fstat(dst)).ino).toBe(BigInt(lstatSync(join(mnt, "dst")).ino));
        b.close(src);
        b.close(dst);
        b.close(dir);
        expect(readFileSync(join(mnt, "dst")).equals(data)).toBe(true);
        expect(readFileSync(join(mnt, "src")).equals(data)).toBe(true);
        expect(run(["filefrag", "-v", join(mnt, "dst")]).stdout).toMatch(/\bshared\b/);
      });
    }

    if (b.workers) {
      const workers = b.workers.bind(b);
      test("workers: a count no larger than the CPUs', or undefined to take theirs", () => {
        const n = workers();
        if (n !== undefined) expect(Number.isInteger(n) && n >= 1 && n <= navigator.hardwareConcurrency).toBe(true);
        // The Linux build of the macOS shim has no performance cores to count.
        if (b.platform.startsWith("linux")) expect(n).toBeUndefined();
      });
    }

    if (b.kernelCopy) {
      const kernel = b.kernelCopy;
      test("kernelCopy: ranges of a real file, then 0 at the end", () => {
        using fx = fixture(b);
        const data = randomFile(fx.root, "src", 300_001);
        const src = ok(b, b.openRead(fx.dir, b8("src"), false));
        const dst = ok(b, b.createFile(fx.dir, b8("dst"), 0o644));
        // The second half first, at its own offset, then the first.
        let pos = 150_000;
        for (;;) {
          const n = ok(b, kernel.range(src, pos, dst, pos, 1 << 20));
          if (n === 0) break;
          pos += n;
        }
        expect(pos).toBe(300_001);
        expect(ok(b, kernel.range(src, 0, dst, 0, 150_000))).toBe(150_000);
        b.close(src);
        b.close(dst);
        expect(readFileSync(join(fx.root, "dst")).equals(data)).toBe(true);
      });
    }

    if (b.holes) {
      const holes = b.holes;
      test("holes: where a sparse file's data and holes are, ENXIO past the last data, its end", () => {
        using fx = fixture(b);
        sh("truncate -s 3M sparse && dd if=/dev/urandom of=sparse bs=4096 seek=256 count=1 conv=notrunc status=none", fx.root);
        const fd = ok(b, b.openRead(fx.dir, b8("sparse"), false));
        const MiB = 1 << 20;
        expect(holes.nextData(fd, 0)).toBe(MiB);
        expect(holes.nextHole(fd, MiB)).toBe(MiB + 4096);
        expect(errName(b, holes.nextData(fd, MiB + 4096))).toBe("ENXIO");
        expect(holes.nextHole(fd, 2 * MiB)).toBe(2 * MiB);
        expect(holes.end(fd)).toBe(3 * MiB);
        b.close(fd);
      });
    }

    if (b.holes?.punch) {
      const punch = b.holes.punch.bind(b.holes);
      test("holes: punch frees a written range, which reads back as zeros, and keeps the size, past it too", () => {
        using fx = fixture(b);
        sh("head -c 3M /dev/urandom > dense && sync", fx.root);
        const fd = ok(b, b.openWrite(fx.dir, b8("dense")));
        const MiB = 1 << 20;
        expect(punch(fd, MiB, MiB)).toBe(0);
        expect(punch(fd, 3 * MiB, MiB)).toBe(0);
        b.close(fd);
        const after = readFileSync(join(fx.root, "dense"));
        expect(after.length).toBe(3 * MiB);
        expect(after.subarray(MiB, 2 * MiB).equals(Buffer.alloc(MiB))).toBe(true);
        expect(after.subarray(0, 4096).equals(Buffer.alloc(4096))).toBe(false);
        expect(statSync(join(fx.root, "dense")).blocks * 512).toBeLessThanOrEqual(2 * MiB);
      });
    }

    if (b.streams) {
      const streams = b.streams;
      test("streams: a fifo waited on for data and for room; openWrite without a reader is ENXIO", () => {
        using fx = fixture(b);
        expect(errName(b, b.openWrite(fx.dir, b8("p")))).toBe("ENXIO");
        const r = ok(b, b.openRead(fx.dir, b8("p"), false, true));
        // No writer yet: nothing to read, and no end either.
        expect(streams.wait(r, false, 20)).toBe(0);
        const w = ok(b, b.openWrite(fx.dir, b8("p")));
        expect(streams.wait(w, true, 1000)).toBe(1);
        expect(b.writeAt(w, b8("abc"), 3, -1)).toBe(3);
        expect(streams.wait(r, false, 1000)).toBe(1);
        const buf = new Uint8Array(16);
        expect(b.readAt(r, buf, 16, -1)).toBe(3);
        expect(errName(b, b.readAt(r, buf, 16, -1))).toBe("EAGAIN");
        b.close(w);
        // The writer gone: readable, and at its end.
        expect(streams.wait(r, false, 1000)).toBe(1);
        expect(b.readAt(r, buf, 16, -1)).toBe(0);
        b.close(r);
      });
    }

    if (b.batchedRange) {
      const batched = b.batchedRange.bind(b);
      testIf(uring ? undefined : "BLIT_NO_URING=1 turns the ring off")("batchedRange: a real file's ranges, the last one past the end", () => {
        using fx = fixture(b);
        const data = randomFile(fx.root, "src", (3 << 20) + 123);
        const src = ok(b, b.openRead(fx.dir, b8("src"), false));
        const dst = ok(b, b.createFile(fx.dir, b8("dst"), 0o644));
        expect(batched(src, dst, 0, 1 << 20, undefined)).toEqual({ ok: true, bytes: 1 << 20, eof: false });
        // Short: the source ended first (eof is left false: the caller reads on to the real end).
        expect(batched(src, dst, 1 << 20, 8 << 20, undefined)).toMatchObject({ ok: true, bytes: (2 << 20) + 123 });
        b.close(src);
        b.close(dst);
        expect(readFileSync(join(fx.root, "dst")).equals(data)).toBe(true);
      });
    }

    if (b.reopenRead) {
      const reopen = b.reopenRead.bind(b);
      test("reopenRead: the same file on a new descriptor of its own", () => {
        using fx = fixture(b);
        const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
        const again = ok(b, reopen(fd));
        expect(again).not.toBe(fd);
        b.close(fd);
        expect(ok(b, b.fstat(again)).ino).toBe(BigInt(lstatSync(join(fx.root, "f")).ino));
        expect(Buffer.from(readAll(b, again)).toString()).toBe("hello");
        b.close(again);
      });
    }

    if (b.adviseSequential) {
      const advise = b.adviseSequential.bind(b);
      test("adviseSequential: a hint, after which the file reads as before", () => {
        using fx = fixture(b);
        const fd = ok(b, b.openRead(fx.dir, b8("f"), false));
        advise(fd);
        expect(Buffer.from(readAll(b, fd)).toString()).toBe("hello");
        b.close(fd);
      });
    }
  });
});
