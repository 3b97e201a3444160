// Differential fuzzing: random trees copied by `blit -a` and by `cp -a`, both
// compared with the source (names as bytes, types, modes, owners, ns mtimes,
// contents, symlink targets, xattrs, hard-link groups, and for sparse files
// the blocks allocated); kernel files (procfs, sysfs) copied one by one, as
// cp copies them; and files that grow or shrink while blit copies them.
//
// Every random choice comes from one seed, printed in each test's name. A
// failure is replayed with that tree's seed alone:
//
//   BLIT_FUZZ_SEED=<seed> BLIT_FUZZ_CASES=1 bun test tests/engine/fuzz.test.ts
//
// BLIT_FUZZ_SEED sets the first tree's seed (the others follow it: seed + 1,
// seed + 2, ...); without it the seed is new on every run. BLIT_FUZZ_CASES
// is the number of random trees (default 12, of 12 to 40 entries each; each
// tree is copied, then changed a little and copied again onto the copies).

import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { BLIT, blit, hasCommand, isRoot, run, sh } from "../helpers/blit.ts";
import { removeTree, sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { type Entry, showBytes, type Tree, tree } from "../helpers/tree.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

const FIRST_SEED = process.env.BLIT_FUZZ_SEED !== undefined ? Number(process.env.BLIT_FUZZ_SEED) : crypto.getRandomValues(new Uint32Array(1))[0]!;
if (!Number.isInteger(FIRST_SEED) || FIRST_SEED < 0 || FIRST_SEED >= 2 ** 32) throw new Error(`BLIT_FUZZ_SEED must be a number below 2^32, not ${process.env.BLIT_FUZZ_SEED}`);
const CASES = process.env.BLIT_FUZZ_CASES !== undefined ? Number(process.env.BLIT_FUZZ_CASES) : 12;
if (!Number.isInteger(CASES) || CASES < 0) throw new Error(`BLIT_FUZZ_CASES must be a count, not ${process.env.BLIT_FUZZ_CASES}`);

// ------------------------------------------------------------------ randomness

/** mulberry32 over a seed first mixed by splitmix32: neighbouring seeds give unrelated streams. */
class Random {
  private state: number;
  constructor(seed: number) {
    let z = (seed + 0x9e3779b9) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    this.state = (z ^ (z >>> 16)) >>> 0;
  }
  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  seed(): number {
    return this.int(2 ** 32);
  }
}

// ------------------------------------------------------------------ random trees

/** Bytes at an offset: random ones from a seed, or zeros (written, not a hole) for null. */
type Chunk = [offset: number, length: number, seed: number | null];

/** What the builder makes; paths and targets are bytes, as hex. */
type Op =
  | { kind: "dir"; path: string }
  | { kind: "file"; path: string; size: number; chunks: Chunk[]; rewrite?: boolean }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "link"; path: string; to: string }
  | { kind: "fifo"; path: string };

/** Attributes set once everything exists: owner, then mode, xattrs, and times last. */
interface Attrs {
  path: string;
  owner?: [number, number];
  mode?: number;
  xattrs?: [name: string, value: string][];
  times?: [atimeNs: string, mtimeNs: string];
}

interface Case {
  seed: number;
  jobs: string[];
  ops: Op[];
  attrs: Attrs[];
  /** What each path was made as, by the name treecheck gives it, for failure messages. */
  notes: Map<string, string>;
}

const EDGE_SIZES = [0, 1, 2, 511, 512, 4095, 4096, 4097, 8191, 8192, 65535, 65536, 65537, 131072, MiB - 1, MiB, MiB + 1, 2 * MiB + 3];
const SPARSE_SIZES = [4097, 65537, MiB + 1, 3 * MiB, 8 * MiB, 16 * MiB - 1, 64 * MiB - 1, 64 * MiB];
const CHUNK_LENGTHS = [1, 100, 4095, 4096, 4097, 65536, 200_000];
const FILE_MODES = [0o644, 0o644, 0o600, 0o755, 0o444, 0o400, 0o640, 0o000, 0o4755, 0o2755, 0o1644];
const DIR_MODES = [0o755, 0o755, 0o700, 0o750, 0o2755, 0o2775, 0o555, 0o1777];
/** Owners only root can give; as another user every entry stays the user's. */
const OWNERS: [number, number][] = [[0, 0], [1, 1], [1000, 1000], [65534, 65534], [123456, 654321]];
/** Bytes that trip up code that treats names as text. */
const ODD_BYTES = [0xff, 0xfe, 0x80, 0xc3, 0xe2, 0x0a, 0x0d, 0x09, 0x20, 0x2d, 0x5c, 0x27, 0x22, 0x24, 0x2a, 0x3f, 0x5b, 0x3a, 0x01, 0x1b, 0x7f];
const TEXT = ["caf\u00e9", "cafe\u0301", "\u65e5\u672c", "\u{1f600}", "\ufeffbom", "a b", "it's", "$HOME", "*", "[x]"];
const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]) => Buffer.concat(parts);

function alnum(r: Random, lo: number, hi: number): Uint8Array {
  const n = r.between(lo, hi);
  return utf8(Array.from({ length: n }, () => r.pick([...ALNUM])).join(""));
}

function randomName(r: Random): Uint8Array {
  switch (r.int(12)) {
    case 0:
      return concat(utf8("-"), alnum(r, 0, 6));
    case 1:
      return concat(utf8(r.pick([" ", "  "])), alnum(r, 1, 5), utf8(r.pick(["", " "])));
    case 2:
      return concat(alnum(r, 0, 4), utf8(r.pick(TEXT)), alnum(r, 0, 4));
    case 3:
    case 4: {
      // Any bytes but '/' and NUL, biased towards the odd ones.
      const n = r.between(1, 16);
      return Uint8Array.from({ length: n }, () => (r.chance(0.5) ? r.pick(ODD_BYTES) : r.between(1, 255))).map((b) => (b === 0x2f ? 0xff : b));
    }
    case 5:
      return concat(alnum(r, 1, 4), utf8("\n"), alnum(r, 0, 4));
    case 6:
      return concat(utf8("."), alnum(r, 1, 8));
    case 7:
      // Names the longest a name may be, or close to it.
      return r.chance(0.3) ? concat(alnum(r, 1, 1), new Uint8Array(254).fill(0xe9)) : alnum(r, 250, 255);
    case 8:
      // Looks like one of blit's own temporary files.
      return utf8(`.blit-${r.between(1, 99999)}-${r.int(3)}-${r.int(3)}-${r.int(9)}.tmp`);
    default:
      return alnum(r, 1, 12);
  }
}

/** A time in ns: mostly recent, some at the edges (before 1970, 2038, past 2106). */
function randomTimeNs(r: Random): string {
  const ns = BigInt(r.pick([0, 1, 999_999_999, r.int(1_000_000_000), r.int(1_000_000_000)]));
  const sec = BigInt(
    r.pick([
      r.between(1_000_000_000, 1_900_000_000),
      r.between(1_000_000_000, 1_900_000_000),
      r.between(1_000_000_000, 1_900_000_000),
      0,
      -1,
      -r.between(1, 1_000_000_000),
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 + r.int(1000),
      2 ** 33 + r.int(1000),
    ]),
  );
  return (sec * 1_000_000_000n + ns).toString();
}

/** What is left to spend on the files of one tree. */
interface Budget {
  dataLeft: number;
  bigSparseLeft: number;
}

/** A file's size and data: sizes at the edges, or sparse with data at the start, end, middle, scattered, or none. */
function randomContents(r: Random, budget: Budget): { size: number; chunks: Chunk[]; note: string } {
  let size: number;
  let chunks: Chunk[];
  if (r.chance(0.25)) {
    size = r.chance(0.2) ? r.between(4097, 64 * MiB) : r.pick(SPARSE_SIZES);
    if (size > 16 * MiB) {
      if (budget.bigSparseLeft === 0) size = r.pick(SPARSE_SIZES.slice(0, 5));
      else budget.bigSparseLeft--;
    }
    const len = () => Math.min(size, r.chance(0.8) ? r.pick(CHUNK_LENGTHS) : r.between(1, 600_000));
    const layout = r.pick(["start", "end", "middle", "start+end", "scattered", "hole only", "zeros written"] as const);
    chunks = [];
    if (layout === "start" || layout === "start+end") chunks.push([0, len(), r.seed()]);
    if (layout === "end" || layout === "start+end") {
      const n = len();
      chunks.push([size - n, n, r.seed()]);
    }
    if (layout === "middle") chunks.push([Math.max(0, Math.floor(size / 2) - r.int(5000)), len(), r.seed()]);
    if (layout === "scattered") for (let i = r.between(2, 6); i > 0; i--) chunks.push([r.int(size), len(), r.seed()]);
    if (layout === "zeros written") {
      // Blocks of zeros written as data between data, in a file with a hole too.
      chunks.push([0, len(), r.seed()], [Math.floor(size / 3), Math.min(size - Math.floor(size / 3), 65536 + r.int(65536)), null]);
      chunks.push([Math.floor((size * 2) / 3), len(), r.seed()]);
    }
    chunks = chunks.map(([offset, length, s]) => [offset, Math.min(length, size - offset), s]);
    budget.dataLeft -= chunks.reduce((sum, [, length]) => sum + length, 0);
    const data = chunks.map(([o, l, s]) => `${s === null ? "zeros" : "data"} at [${o}, ${o + l})`).join(", ");
    return { size, chunks, note: `sparse file of ${size} bytes, ${layout}: ${data || "no data"}` };
  }
  size = r.chance(0.8) ? r.pick(EDGE_SIZES) : r.chance(0.5) ? r.int(10_000) : r.int(3 * MiB);
  if (size > budget.dataLeft) size = r.pick(EDGE_SIZES.slice(0, 12));
  budget.dataLeft -= size;
  return { size, chunks: size ? [[0, size, r.seed()]] : [], note: `file of ${size} bytes` };
}

/** A tree of 12 to 40 entries under `src`, with ~4 MiB of data at most, and now and then a sparse file of up to 64 MiB. */
function randomCase(seed: number): Case {
  const r = new Random(seed);
  const ops: Op[] = [];
  const attrs: Attrs[] = [];
  const notes = new Map<string, string>();
  const dirs: Uint8Array[] = [new Uint8Array(0)];
  const children = new Map<string, Set<string>>([["", new Set()]]);
  const files: Uint8Array[] = [];
  const others: Uint8Array[] = [];
  // Hashing 64 MiB of holes three times costs more than the rest of a tree.
  const budget: Budget = { dataLeft: 4 * MiB, bigSparseLeft: r.chance(0.3) ? 1 : 0 };

  const join = (dir: Uint8Array, name: Uint8Array) => (dir.length ? concat(dir, utf8("/"), name) : name);
  const shown = (path: Uint8Array) => showBytes(path);
  const depth = (path: Uint8Array) => (path.length ? path.filter((b) => b === 0x2f).length + 1 : 0);
  const newPath = (): Uint8Array => {
    // Deeper directories are picked as often as shallow ones.
    const dir = r.pick(dirs);
    const taken = children.get(hex(dir))!;
    for (;;) {
      const name = randomName(r);
      const text = Buffer.from(name).toString("latin1");
      if (text === "." || text === ".." || taken.has(hex(name))) continue;
      taken.add(hex(name));
      return join(dir, name);
    }
  };
  const setAttrs = (path: Uint8Array, kind: "file" | "dir" | "symlink" | "fifo") => {
    const a: Attrs = { path: hex(path) };
    if (isRoot && r.chance(0.2)) a.owner = r.pick(OWNERS);
    if (kind === "file") a.mode = r.pick(FILE_MODES);
    if (kind === "dir" && r.chance(0.8)) a.mode = r.pick(DIR_MODES);
    if (kind === "fifo") a.mode = r.pick([0o644, 0o600, 0o666]);
    if ((kind === "file" || kind === "dir") && r.chance(0.15)) {
      a.xattrs = Array.from({ length: r.between(1, 3) }, (_, i) => [`user.fuzz${i}`, hex(r.chance(0.2) ? new Uint8Array(0) : randomName(r))]);
    }
    // A few keep the time they were made with (now), the rest get one of their own.
    if (r.chance(0.9)) a.times = [randomTimeNs(r), randomTimeNs(r)];
    attrs.push(a);
  };

  const addFile = (path: Uint8Array) => {
    const { size, chunks, note } = randomContents(r, budget);
    ops.push({ kind: "file", path: hex(path), size, chunks });
    notes.set(shown(path), note);
    files.push(path);
    setAttrs(path, "file");
  };

  const addSymlink = (path: Uint8Array) => {
    let target: Uint8Array;
    let what: string;
    const all = [...files, ...others, ...dirs.slice(1)];
    const kind = r.int(8);
    if (kind <= 2 && all.length) {
      // Relative, up from the link's directory and down to an entry that exists.
      const to = r.pick(all);
      target = concat(utf8("../".repeat(depth(path) - 1)), to);
      what = "relative";
    } else if (kind === 3) {
      target = concat(utf8("does/not/"), randomName(r));
      what = "dangling";
    } else if (kind === 4) {
      target = r.pick([utf8("/etc/hostname"), utf8("/nonexistent/x"), utf8("/")]);
      what = "absolute";
    } else if (kind === 5) {
      target = r.pick([utf8("."), utf8(".."), utf8("../".repeat(depth(path)))]);
      what = "to a directory";
    } else if (kind === 6) {
      target = r.chance(0.5) ? utf8("a/".repeat(r.between(150, 2000))) : randomName(r);
      what = "long or odd";
    } else {
      target = randomName(r);
      what = "to a sibling name";
    }
    if (target.length === 0) target = utf8(".");
    ops.push({ kind: "symlink", path: hex(path), target: hex(target) });
    notes.set(shown(path), `symlink ${what} -> ${showBytes(target)}`);
    others.push(path);
    setAttrs(path, "symlink");
  };

  const entries = r.between(12, 40);
  for (let i = 0; i < entries; i++) {
    const kind = r.int(100);
    const path = newPath();
    if (kind < 50) addFile(path);
    else if (kind < 65 && depth(path) < 6) {
      ops.push({ kind: "dir", path: hex(path) });
      notes.set(shown(path), "directory");
      dirs.push(path);
      children.set(hex(path), new Set());
      setAttrs(path, "dir");
    } else if (kind < 80) addSymlink(path);
    else if (kind < 95 && files.length) {
      // A hard link, mostly to a file, now and then to a symlink or a fifo.
      const to = r.chance(0.85) || !others.length ? r.pick(files) : r.pick(others);
      ops.push({ kind: "link", path: hex(path), to: hex(to) });
      notes.set(shown(path), `hard link to ${shown(to)}`);
    } else if (kind < 98) {
      ops.push({ kind: "fifo", path: hex(path) });
      notes.set(shown(path), "fifo");
      others.push(path);
      setAttrs(path, "fifo");
    } else addFile(path);
  }
  const jobs = r.pick([[], [], ["-j1"], ["-j3"]]);
  return { seed, jobs, ops, attrs, notes };
}

/**
 * The same tree changed a little, to be copied again onto the copies: some
 * files rewritten (other sizes, holes elsewhere), modes and times changed,
 * new files. Nothing removed, nothing of another type: cp -a does not
 * delete, and it refuses to put a file where a directory is.
 */
function randomChanges(c: Case): Case {
  const r = new Random(c.seed ^ 0x5bd1e995);
  const budget: Budget = { dataLeft: 2 * MiB, bigSparseLeft: 0 };
  const ops: Op[] = [];
  const attrs: Attrs[] = [];
  const notes = new Map(c.notes);
  const times = (): [string, string] => [randomTimeNs(r), randomTimeNs(r)];
  const shown = (path: string) => showBytes(Buffer.from(path, "hex"));
  for (const op of c.ops) {
    if (op.kind === "file" && r.chance(0.3)) {
      const { size, chunks, note } = randomContents(r, budget);
      ops.push({ kind: "file", path: op.path, size, chunks, rewrite: true });
      notes.set(shown(op.path), `${notes.get(shown(op.path))}; then rewritten as a ${note}`);
      attrs.push({ path: op.path, mode: r.pick(FILE_MODES), ...(r.chance(0.9) ? { times: times() } : {}) });
    } else if (op.kind === "dir" && r.chance(0.3)) {
      attrs.push({ path: op.path, mode: r.pick(DIR_MODES), times: times() });
    }
  }
  const taken = new Set(c.ops.map((op) => op.path));
  const dirs = ["", ...c.ops.filter((op) => op.kind === "dir").map((op) => op.path)];
  for (let i = r.between(0, 3); i > 0; i--) {
    const dir = r.pick(dirs);
    let path: string;
    do path = hex(dir ? concat(Buffer.from(dir, "hex"), utf8("/"), randomName(r)) : randomName(r));
    while (taken.has(path) || [".", ".."].includes(Buffer.from(path, "hex").toString("latin1").split("/").pop()!));
    taken.add(path);
    const { size, chunks, note } = randomContents(r, budget);
    ops.push({ kind: "file", path, size, chunks });
    notes.set(shown(path), `new ${note}`);
    attrs.push({ path, mode: r.pick(FILE_MODES), times: times() });
  }
  return { ...c, ops, attrs, notes };
}

/** Makes a case's tree as `dir/src`, or changes it, from bytes (python3, as treecheck.py). */
const BUILDER = `
import json, os, random, sys
spec = json.load(sys.stdin)
root = os.fsencode(sys.argv[1])
if not os.path.isdir(root):
    os.mkdir(root, 0o700)
p = lambda h: os.path.join(root, bytes.fromhex(h))
for op in spec["ops"]:
    path, kind = p(op["path"]), op["kind"]
    if kind == "dir":
        os.mkdir(path, 0o700)
    elif kind == "file":
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if op.get("rewrite") else os.O_EXCL), 0o600)
        for offset, length, seed in op["chunks"]:
            data = bytes(length) if seed is None else random.Random(seed).randbytes(length)
            while data:
                n = os.pwrite(fd, data, offset)
                data, offset = data[n:], offset + n
        os.ftruncate(fd, op["size"])
        os.close(fd)
    elif kind == "symlink":
        os.symlink(bytes.fromhex(op["target"]), path)
    elif kind == "link":
        os.link(p(op["to"]), path, follow_symlinks=False)
    elif kind == "fifo":
        os.mkfifo(path, 0o600)
attrs = spec["attrs"]
for a in attrs:
    path = p(a["path"])
    if "owner" in a:
        os.chown(path, *a["owner"], follow_symlinks=False)
    if "mode" in a:
        os.chmod(path, a["mode"])
    for name, value in a.get("xattrs", []):
        os.setxattr(path, name, bytes.fromhex(value))
# Times last, once nothing more changes in any directory.
for a in reversed(attrs):
    if "times" in a:
        os.utime(p(a["path"]), ns=tuple(int(t) for t in a["times"]), follow_symlinks=False)
`;

function build(dir: string, c: Case): void {
  const r = Bun.spawnSync(["python3", "-c", BUILDER, `${dir}/src`], {
    stdin: Buffer.from(JSON.stringify({ ops: c.ops, attrs: c.attrs })),
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`building the tree of seed ${c.seed} failed: ${r.stderr.toString()}`);
}

// ------------------------------------------------------------------ comparing

const FIELDS = ["type", "mode", "uid", "gid", "size", "sha256", "target", "rdev", "xattrs", "mtime_ns"] as const;

/** Each way `copy` differs from `reference`, one line each, with what the entry was made as; `ignore` lets some pass. */
function differences(reference: Tree, copy: Tree, against: string, notes: Map<string, string>, ignore?: (field: string, want: Entry, got: Entry) => boolean): string[] {
  const out: string[] = [];
  const note = (path: string) => (notes.has(path) ? ` [${notes.get(path)}]` : "");
  const paths = [...new Set([...Object.keys(reference.entries), ...Object.keys(copy.entries)])].sort();
  for (const path of paths) {
    const want = reference.entries[path];
    const got = copy.entries[path];
    if (!want || !got) {
      out.push(`${path}: ${want ? "missing from the copy" : `in the copy, not in ${against}`}${note(path)}`);
      continue;
    }
    for (const field of FIELDS) {
      const a = JSON.stringify(want[field]);
      const b = JSON.stringify(got[field]);
      if (a !== b && !ignore?.(field, want, got)) out.push(`${path}: ${field} is ${b}, ${against} has ${a}${note(path)}`);
    }
  }
  const groups = (t: Tree) => t.hardlinks.map((g) => g.join(" = "));
  const want = new Set(groups(reference));
  const got = new Set(groups(copy));
  for (const g of want) if (!got.has(g)) out.push(`hard links ${g}: not one group in the copy, as in ${against}`);
  for (const g of got) if (!want.has(g)) out.push(`hard links ${g}: one group in the copy, not in ${against}`);
  return out;
}

/**
 * 512-byte blocks a copy of a sparse file may allocate beyond its source's:
 * one 4 KiB block for an extent tree laid out differently.
 */
const BLOCK_SLACK = 8;

/** Sparse sources whose copy allocates more than the source does (beyond the slack). */
function lessSparse(source: Tree, copy: Tree, notes: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [path, src] of Object.entries(source.entries)) {
    const dst = copy.entries[path];
    if (src.type !== "file" || dst?.type !== "file" || src.blocks === undefined || dst.blocks === undefined) continue;
    const sparse = src.blocks * 512 < (src.size ?? 0);
    if (sparse && dst.blocks > src.blocks + BLOCK_SLACK) {
      out.push(`${path}: the copy allocates ${dst.blocks} blocks, the sparse source ${src.blocks}${notes.has(path) ? ` [${notes.get(path)}]` : ""}`);
    }
  }
  return out;
}

/**
 * cp 9.1's fault, not blit's: over an existing file or directory, cp -a sets
 * the mode through the ACL xattr (system.posix_acl_access), which holds the
 * permission bits only, so setuid, setgid and sticky bits the old copy had
 * stay. Where cp is the reference over existing copies, modes that differ
 * in those bits alone are let pass; blit is still held to the source's.
 */
const onlySpecialBits = (field: string, want: Entry, got: Entry) =>
  field === "mode" && want.mode !== "link" && got.mode !== "link" && ((Number.parseInt(want.mode, 8) ^ Number.parseInt(got.mode, 8)) & ~0o7000) === 0;

/**
 * blit's rule, GNU chmod's for directories: a directory copied onto one
 * that has setuid or setgid keeps them where the source's mode has none of
 * setuid, setgid and sticky (as cp -a keeps them); its mode is otherwise the source's. Over existing copies a directory may so have
 * those bits beyond the source's.
 */
const keptDirectoryBits = (field: string, want: Entry, got: Entry) => {
  if (field !== "mode" || got.type !== "dir" || (Number.parseInt(want.mode, 8) & 0o7000) !== 0) return false;
  const extra = Number.parseInt(got.mode, 8) ^ Number.parseInt(want.mode, 8);
  return (extra & ~0o6000) === 0 && (Number.parseInt(got.mode, 8) & extra) === extra;
};

const withoutBlocks = (t: Tree): Tree => ({
  hardlinks: t.hardlinks,
  entries: Object.fromEntries(Object.entries(t.entries).map(([path, { blocks: _, ...rest }]) => [path, rest as Entry])),
});

/**
 * The trees under each of `tops` in `root`, from one run of the checker (a
 * python3 start costs more than most trees). A top's own entry is "." and,
 * unlike the checker's root, has its mtime.
 */
function trees<T extends string>(root: string, tops: readonly T[]): Record<T, Tree> {
  const all = tree(root, { times: true, blocks: true });
  const out = {} as Record<T, Tree>;
  for (const top of tops) {
    const entries: Record<string, Entry> = {};
    for (const [path, entry] of Object.entries(all.entries)) {
      if (path === top) entries["."] = entry;
      else if (path.startsWith(`${top}/`)) entries[path.slice(top.length + 1)] = entry;
    }
    const hardlinks = all.hardlinks.filter((g) => g[0]!.startsWith(`${top}/`)).map((g) => g.map((path) => path.slice(top.length + 1)));
    out[top] = { entries, hardlinks };
  }
  return out;
}

describe(`blit -a against cp -a on random trees (BLIT_FUZZ_SEED=${FIRST_SEED}, BLIT_FUZZ_CASES=${CASES})`, () => {
  const cases = Array.from({ length: CASES }, (_, i) => (FIRST_SEED + i) >>> 0);
  test.each(cases)("seed %d: the same tree as cp -a, and the source's; and again, changed, onto the copies", (seed) => {
    const c = randomCase(seed);
    const root = sandbox("fuzz");
    const copyAndCompare = (spec: Case, from: string, stage: string, cpLeavesSpecialBits = false) => {
      const cpFault = cpLeavesSpecialBits ? onlySpecialBits : undefined;
      const dirBits = cpLeavesSpecialBits ? keptDirectoryBits : undefined;
      const mine = blit([...spec.jobs, "-a", from, "by-blit"], { cwd: root });
      const theirs = run(["cp", "-a", from, "by-cp"], { cwd: root });
      expect({ ...theirs, tool: `cp, ${stage}` }).toEqual({ stdout: "", stderr: "", exitCode: 0, tool: `cp, ${stage}` });
      expect({ ...mine, tool: `blit, ${stage}` }).toEqual({ stdout: "", stderr: "", exitCode: 0, tool: `blit, ${stage}` });
      const { src, "by-blit": byBlit, "by-cp": byCp } = trees(root, ["src", "by-blit", "by-cp"]);
      // The reference first: a tree cp -a does not copy faithfully is a fault of the generator.
      expect(differences(src, byCp, "the source", spec.notes, cpFault).map((line) => `${stage}, cp: ${line}`)).toEqual([]);
      expect(
        [
          ...differences(src, byBlit, "the source", spec.notes, dirBits),
          ...differences(byCp, byBlit, "cp -a's copy", spec.notes, cpFault),
          ...lessSparse(src, byBlit, spec.notes),
        ].map((line) => `${stage}: ${line}`),
      ).toEqual([]);
      // And whole, in case a field is ever added to the checker.
      const asSource = (t: Tree): Tree => ({
        hardlinks: t.hardlinks,
        entries: Object.fromEntries(Object.entries(t.entries).map(([path, e]) => {
          const want = src.entries[path];
          return [path, want && dirBits?.("mode", want, e) ? { ...e, mode: want.mode } : e];
        })),
      });
      expect(withoutBlocks(asSource(byBlit))).toEqual(withoutBlocks(src));
    };
    build(root, c);
    copyAndCompare(c, "src", "first copy");
    // Files made unwritable are written again: as root only, where cp and blit may.
    if (!isRoot) return;
    const changed = randomChanges(c);
    build(root, changed);
    copyAndCompare(changed, "src/.", "copied again onto the copies", true);
  });
});

// ------------------------------------------------------------------ kernel files

/**
 * Files of procfs and sysfs that read the same from one process to the next.
 * Their sizes say nothing: procfs says 0 and gives more, sysfs says 4096 and
 * gives less. /proc/kallsyms gives megabytes, in many reads.
 */
const KERNEL_FILES = [
  "/proc/sys/kernel/ostype",
  "/proc/sys/kernel/osrelease",
  "/proc/version",
  "/proc/cmdline",
  "/proc/filesystems",
  "/proc/devices",
  "/proc/crypto",
  "/proc/kallsyms",
  "/sys/kernel/mm/transparent_hugepage/enabled",
  "/sys/kernel/mm/transparent_hugepage/defrag",
  "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
  "/sys/devices/system/cpu/online",
  "/sys/devices/system/cpu/possible",
  "/sys/class/net/lo/address",
  "/sys/class/net/lo/mtu",
];

function unreadable(path: string): string | undefined {
  if (!existsSync(path)) return `${path} does not exist here`;
  return run(["head", "-c", "1", path]).exitCode === 0 ? undefined : `${path} cannot be read here`;
}

describe("kernel files named without -r: the bytes cp reads", () => {
  for (const path of KERNEL_FILES) {
    testIf(unreadable(path))(`blit ${path} out gives what cp ${path} out gives`, () => {
      const root = sandbox("kernel-file");
      // cp before and after blit: a file that changed meanwhile (a module
      // loaded) is compared with whichever of the two blit could have seen.
      const before = run(["cp", path, "by-cp-before"], { cwd: root });
      const mine = blit([path, "by-blit"], { cwd: root });
      const after = run(["cp", path, "by-cp-after"], { cwd: root });
      expect(before).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(after).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(mine).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      const all = tree(root, { blocks: true }).entries;
      const got = all["by-blit"]!;
      const theirs = [all["by-cp-before"]!, all["by-cp-after"]!];
      const closest = theirs.find((e) => e.sha256 === got.sha256) ?? theirs[1]!;
      const { blocks: _, ...gotNoBlocks } = got;
      const { blocks: __, ...closestNoBlocks } = closest;
      // Size and contents (a sysfs file says 4096 bytes: no NULs after its text), type and mode.
      expect(gotNoBlocks).toEqual(closestNoBlocks);
      expect(got.blocks).toBeLessThanOrEqual(closest.blocks! + BLOCK_SLACK);
    });
  }
});

// ------------------------------------------------------------------ sources that change

const TRIES = 5;

/** The CPUs this process may run on (Cpus_allowed_list: "0-3,6"). */
const allowedCpus: number[] = (() => {
  const list = readFileSync("/proc/self/status", "utf8").match(/^Cpus_allowed_list:\s*(\S+)$/m)?.[1] ?? "";
  return list.split(",").filter(Boolean).flatMap((part) => {
    const [lo, hi] = part.split("-").map(Number);
    return Array.from({ length: (hi ?? lo!) - lo! + 1 }, (_, i) => lo! + i);
  });
})();

/**
 * With two CPUs, blit on one and the helper alone on the other: the helper
 * then changes the file while blit copies it, instead of waiting for a CPU
 * (unpinned, on a 2-CPU VM, blit's threads kept it off for most of the copy
 * and the race was rarely run).
 */
const canPin = allowedCpus.length >= 2 && hasCommand("taskset");
const pinned = (which: 0 | 1, cmd: string[]) => (canPin ? ["taskset", "-c", String(allowedCpus[which]), ...cmd] : cmd);

/**
 * As root, the helper also runs before the other processes on its CPU (nice
 * -10): on a VM shared with other work, a helper at the same priority was
 * kept off its CPU for milliseconds at a time and the race was run in a few
 * copies only. It runs for a second or two at a time.
 */
const favoured = isRoot ? ["nice", "-n", "-10"] : [];

/**
 * Runs `body` while `helper` (a python3 script, on the other CPU) changes
 * the source; the helper prints a line once it is set up, and is stopped
 * (and waited for) once body is done.
 */
async function whileChanging<T>(root: string, helper: string, helperArgs: string[], body: () => Promise<T>): Promise<T> {
  const proc = Bun.spawn(pinned(1, [...favoured, "python3", "-c", helper, ...helperArgs]), { cwd: root, stdout: "pipe", stderr: "pipe" });
  try {
    const ready = await proc.stdout.getReader().read();
    if (ready.done) throw new Error(`the helper did not start: ${await new Response(proc.stderr).text()}`);
    return await body();
  } finally {
    proc.kill();
    await proc.exited;
  }
}

/** `blit args` in root, on the first CPU. */
async function blitPinned(root: string, args: string[]) {
  const copy = Bun.spawn(pinned(0, [BLIT, ...args]), { cwd: root, stdout: "pipe", stderr: "pipe" });
  const exitCode = await copy.exited;
  return { stdout: await new Response(copy.stdout).text(), stderr: await new Response(copy.stderr).text(), exitCode };
}

/**
 * Appends non-zero bytes in pieces of 1 to 15 bytes, one every microsecond
 * or two, from before blit starts until it is stopped (or, as a bound, until
 * it added `cap` bytes). Pieces that small and that frequent land between
 * any two of blit's system calls: also between the one that finds no more
 * data and the one that reads the size.
 */
const APPENDER = `
import os, random, signal, sys, time
signal.alarm(110)  # gone even if the test never stops it
path, cap, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
pattern = bytes(r.randrange(1, 256) for _ in range(65536))
fd = os.open(path, os.O_WRONLY | os.O_APPEND)
print("ready", flush=True)
added = 0
while added < cap:
    n = r.randrange(1, 16)
    start = r.randrange(0, len(pattern) - n)
    added += os.write(fd, pattern[start:start + n])
while True:
    time.sleep(1)
`;

/**
 * Shrinks the file step by step (never grows it, so every byte it ever held
 * at an offset is the first one), from blit's first read of it until it is
 * \`floor\` bytes long, then idles. Told of that read by inotify: a helper
 * that waited for blit's temporary file was set off by the main thread's
 * clone attempt, whose temporary file goes before a worker opens the source,
 * and in half or more of the sparse file's copies (all 15 of one CI run) it was
 * done cutting before the copy began.
 */
const TRUNCATER = `
import ctypes, os, random, signal, sys, time
signal.alarm(110)  # gone even if the test never stops it
path, floor, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
size = os.stat(path).st_size
libc = ctypes.CDLL(None, use_errno=True)
events = libc.inotify_init1(0)
IN_ACCESS = 0x1
if events < 0 or libc.inotify_add_watch(events, path.encode(), IN_ACCESS) < 0:
    sys.exit("inotify: " + os.strerror(ctypes.get_errno()))
print("ready", flush=True)
os.read(events, 4096)
while size > floor:
    size = max(floor, size - r.randrange(1, 3 << 20))
    os.truncate(path, size)
    time.sleep(0.0002)
while True:
    time.sleep(1)
`;

const CHANGED = "blit: warning: 'src/f': file changed as we read it\n";

/** Where `copy` first differs from `source` within the copy's length, told so a tail of zeros is plain. */
function firstDifference(copy: Buffer, source: Buffer): string | undefined {
  const n = Math.min(copy.length, source.length);
  const STEP = MiB;
  for (let start = 0; start < n; start += STEP) {
    const end = Math.min(n, start + STEP);
    if (copy.subarray(start, end).equals(source.subarray(start, end))) continue;
    let i = start;
    while (copy[i] === source[i]) i++;
    let zeros = 0;
    while (i + zeros < copy.length && copy[i + zeros] === 0) zeros++;
    const tail = i + zeros === copy.length ? " up to the copy's end: a tail of zeros" : "";
    return `the copy (${copy.length} bytes) differs from the source (${source.length} bytes) from byte ${i}: ` +
      `copy 0x${copy[i]!.toString(16)}, source 0x${source[i]!.toString(16)}; ${zeros} NUL bytes in the copy from there${tail}`;
  }
  return undefined;
}

const SPARSE_SOURCE = {
  what: "a sparse 64 MiB file (data at 0 and 32 MiB)",
  make: "truncate -s 64M src/f && head -c 1M /dev/urandom | dd of=src/f conv=notrunc status=none && head -c 1M /dev/urandom | dd of=src/f bs=1M seek=32 conv=notrunc status=none",
  size: 64 * MiB,
};
/**
 * Appended to while copied, by `copies` copies one after the other in each
 * try: the race is run once per copy, and a Python start costs more than a
 * copy. The sparse file's race (the defect: a tail of zeros) is run in 10
 * copies per try, 50 in all, of which about one in ten lands in the window
 * on a loaded 2-CPU VM.
 */
const GROWING = [
  { ...SPARSE_SOURCE, copies: 10 },
  { what: "a plain 8 MiB file", make: "head -c 8388611 /dev/urandom > src/f", size: 8388611, copies: 3 },
];
/** Cut while copied: a plain file that takes long enough to copy for the cuts to land during the copy. */
// 96 MiB: a 32 MiB file went through copy_file_range so fast, on a quiet machine, that in 1 run of 8 no try of 15 saw it cut.
const SHRINKING = [SPARSE_SOURCE, { what: "a plain 96 MiB file", make: "head -c 100663299 /dev/urandom > src/f", size: 100663299 }];

/**
 * Tries that may not run the race (the helper kept off the CPU by a loaded
 * machine) go on, up to this many, until one did.
 */
const MAX_TRIES = 15;

describe("a source that changes while blit copies it", () => {
  for (const source of GROWING) {
    test(`${source.what}, appended to: each copy is a prefix of the final file, with no zeros for appended bytes (${TRIES} tries or more, of ${source.copies} copies)`, async () => {
      let changed = 0;
      const problems: string[] = [];
      for (let attempt = 0; attempt < TRIES || (changed === 0 && attempt < MAX_TRIES); attempt++) {
        const root = sandbox("fuzz-grow");
        sh(`mkdir src && ${source.make}`, root);
        await whileChanging(root, APPENDER, ["src/f", String(128 * MiB), String(FIRST_SEED + attempt)], async () => {
          for (let n = 1; n <= source.copies; n++) {
            const r = await blitPinned(root, ["src/f", "copy"]);
            expect(r.exitCode).toBe(0);
            expect(r.stdout).toBe("");
            expect(["", CHANGED]).toContain(r.stderr);
            if (r.stderr) changed++;
            // Appends only add: the bytes the file holds now are the final file's first ones.
            const length = statSync(`${root}/copy`).size;
            expect(length).toBeGreaterThanOrEqual(source.size);
            expect(length).toBeLessThanOrEqual(statSync(`${root}/src/f`).size);
            // Compared by cmp, then read to tell where they differ. The bytes
            // the file had before the appends (64 MiB, mostly holes, slow to
            // read) only in each try's first copy; in the others what follows.
            const from = n === 1 ? 0 : source.size;
            if (run(["cmp", "-s", "-i", String(from), "-n", String(length - from), "copy", "src/f"], { cwd: root }).exitCode !== 0) {
              const diff = firstDifference(readFileSync(`${root}/copy`), readFileSync(`${root}/src/f`));
              problems.push(`try ${attempt + 1}, copy ${n}: ${diff ?? "cmp says they differ"}`);
            }
            rmSync(`${root}/copy`);
          }
        });
        removeTree(root);
      }
      expect(problems).toEqual([]);
      // Not one copy saw the file change: the race was never run.
      expect(changed).toBeGreaterThan(0);
    }, 120_000);
  }

  for (const source of SHRINKING) {
    test(`${source.what}, cut shorter and shorter: each copy holds the final file and, past it, only what was there (${TRIES} tries or more)`, async () => {
      let changed = 0;
      const problems: string[] = [];
      for (let attempt = 0; attempt < TRIES || (changed === 0 && attempt < MAX_TRIES); attempt++) {
        const root = sandbox("fuzz-shrink");
        sh(`mkdir src && ${source.make} && cp --sparse=always src/f original`, root);
        const floor = 3 * MiB + 5;
        const r = await whileChanging(root, TRUNCATER, ["src/f", String(floor), String(FIRST_SEED + attempt)], () => blitPinned(root, ["src/f", "copy"]));
        expect(r.exitCode).toBe(0);
        expect(r.stdout).toBe("");
        expect(["", CHANGED]).toContain(r.stderr);
        if (r.stderr) changed++;
        const copy = readFileSync(`${root}/copy`);
        const original = readFileSync(`${root}/original`);
        const final = readFileSync(`${root}/src/f`);
        // Never more than the file ever held, never less than it always held.
        expect(copy.length).toBeLessThanOrEqual(source.size);
        expect(copy.length).toBeGreaterThanOrEqual(final.length);
        const diff = firstDifference(copy.subarray(0, final.length), final);
        if (diff) problems.push(`try ${attempt + 1}, the bytes the file still holds: ${diff}`);
        // Past the final end, what the file held there, or zeros: a read that
        // met a cut as it happened may see a partly zeroed page.
        for (let i = final.length; i < copy.length; i++) {
          if (copy[i] !== 0 && copy[i] !== original[i]) {
            problems.push(`try ${attempt + 1}: byte ${i} of the copy is 0x${copy[i]!.toString(16)}, the file held 0x${original[i]!.toString(16)} there`);
            break;
          }
        }
        removeTree(root);
      }
      expect(problems).toEqual([]);
      expect(changed).toBeGreaterThan(0);
    }, 120_000);
  }
});

