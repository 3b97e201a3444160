// The benchmark's source trees, generated from a seed so every run (and every
// machine) copies the same names, sizes and bytes. File contents come from an
// AES-CTR keystream: incompressible, and fast to make.

import { createCipheriv, createHash } from "node:crypto";
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

/** mulberry32: a small seeded PRNG, enough to pick names and sizes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic bytes for a file, from the tree's seed and the file's number. */
class Bytes {
  private readonly zeros = Buffer.alloc(1 << 20);
  constructor(private readonly seed: string) {}

  write(fd: number, length: number, stream: number, position = 0): void {
    const key = createHash("sha256").update(`${this.seed}:${stream}`).digest().subarray(0, 16);
    const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
    let done = 0;
    while (done < length) {
      const n = Math.min(this.zeros.length, length - done);
      const chunk = cipher.update(n === this.zeros.length ? this.zeros : this.zeros.subarray(0, n));
      writeSync(fd, chunk, 0, chunk.length, position + done);
      done += n;
    }
  }
}

function writeFile(path: string, bytes: Bytes, length: number, stream: number): void {
  const fd = openSync(path, "w", 0o644);
  try {
    bytes.write(fd, length, stream);
  } finally {
    closeSync(fd);
  }
}

export interface TreeSpec {
  name: string;
  describe: string;
  build(root: string): void;
}

/** 50,000 files of 4 KiB in 500 directories. */
const small: TreeSpec = {
  name: "small",
  describe: "50,000 × 4 KiB files in 500 directories",
  build(root) {
    const bytes = new Bytes("small");
    let n = 0;
    for (let d = 0; d < 500; d++) {
      const dir = join(root, `dir${String(d).padStart(3, "0")}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 100; f++) writeFile(join(dir, `file${String(f).padStart(3, "0")}`), bytes, 4096, n++);
    }
  },
};

/** ~20,000 files with log-normal sizes (~800 MB), nested directories, symlinks, hard links. */
const mixed: TreeSpec = {
  name: "mixed",
  describe: "~20,000 files, log-normal sizes (~800 MB), 1,000 directories, symlinks and hard links",
  build(root) {
    const random = prng(20261122);
    const bytes = new Bytes("mixed");
    const dirs = [root];
    mkdirSync(root, { recursive: true });
    for (let d = 1; d < 1000; d++) {
      const parent = dirs[Math.floor(random() * dirs.length)]!;
      const dir = join(parent, `d${d}`);
      mkdirSync(dir);
      dirs.push(dir);
    }
    const files: string[] = [];
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    for (let f = 0; f < 20000; f++) {
      const dir = dirs[Math.floor(random() * dirs.length)]!;
      const path = join(dir, `f${f}.dat`);
      const roll = random();
      if (roll < 0.02 && files.length) {
        symlinkSync(`/nonexistent/target-${f}`, path);
      } else if (roll < 0.04 && files.length) {
        linkSync(files[Math.floor(random() * files.length)]!, path);
      } else {
        // Median 5.4 KB, sigma 2: a mean near 40 KB, a long tail to 200 MB.
        const size = Math.min(200 << 20, Math.round(5400 * Math.exp(2 * normal())));
        writeFile(path, bytes, size, f);
        files.push(path);
      }
    }
  },
};

const big: TreeSpec = {
  name: "big",
  describe: "one 2 GiB file",
  build(root) {
    mkdirSync(root, { recursive: true });
    writeFile(join(root, "big.bin"), new Bytes("big"), 2 * 1024 ** 3, 0);
  },
};

const sparse: TreeSpec = {
  name: "sparse",
  describe: "one 8 GiB sparse file holding 64 MiB of data",
  build(root) {
    mkdirSync(root, { recursive: true });
    const path = join(root, "sparse.img");
    const fd = openSync(path, "w", 0o644);
    try {
      const bytes = new Bytes("sparse");
      for (let i = 0; i < 64; i++) bytes.write(fd, 1 << 20, i, i * (128 << 20));
    } finally {
      closeSync(fd);
    }
    Bun.spawnSync(["truncate", "-s", "8G", path]);
  },
};

/**
 * A real tree, the same on every machine: the Linux 6.1 source as Debian
 * ships it (package linux-source-6.1, pinned), 78,579 files of every size
 * from a few bytes to a few MB, 1.5 GB. Needs apt (Debian) and xz.
 */
const LINUX_SOURCE = "linux-source-6.1=6.1.192-3";
const real: TreeSpec = {
  name: "real",
  describe: `a real source tree: Linux 6.1 (Debian ${LINUX_SOURCE.replace("=", " ")}, unpacked)`,
  build(root) {
    const download = `${root}.download`;
    rmSync(download, { recursive: true, force: true });
    mkdirSync(download, { recursive: true });
    mkdirSync(root, { recursive: true });
    const script = [
      `cd '${download}'`,
      `apt-get download -q '${LINUX_SOURCE}'`,
      "dpkg-deb --fsys-tarfile linux-source-6.1_*.deb | tar -xf - --wildcards './usr/src/linux-source-6.1.tar.xz'",
      `tar -C '${root}' -xJf usr/src/linux-source-6.1.tar.xz`,
    ].join(" && ");
    const r = Bun.spawnSync(["sh", "-c", script], { stderr: "pipe" });
    rmSync(download, { recursive: true, force: true });
    if (r.exitCode !== 0) {
      throw new Error(`the real tree needs ${LINUX_SOURCE} from Debian's archive (update the pin in bench/trees.ts if it is gone): ${r.stderr.toString().trim()}`);
    }
  },
};

/** For memory only: many small files and directories. */
function manyFiles(count: number): TreeSpec {
  return {
    name: `files-${count}`,
    describe: `${count.toLocaleString("en")} files of 100 bytes in ${(count / 1000).toLocaleString("en")} directories`,
    build(root) {
      const script = `
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
data = b"x" * 100
for d in range(count // 1000):
    dir = os.path.join(root, "d%04d" % d)
    os.makedirs(dir)
    for f in range(1000):
        fd = os.open(os.path.join(dir, "f%04d" % f), os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, data)
        os.close(fd)
`;
      const r = Bun.spawnSync(["python3", "-c", script, root, String(count)]);
      if (r.exitCode !== 0) throw new Error(r.stderr.toString());
    },
  };
}

/**
 * For memory only: many small files in one directory. Its listing is one
 * task; it must be streamed like a deep tree, not held whole.
 */
function flatFiles(count: number): TreeSpec {
  return {
    name: `files-flat-${count}`,
    describe: `${count.toLocaleString("en")} files of 100 bytes in one directory`,
    build(root) {
      const script = `
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
data = b"x" * 100
os.makedirs(root)
for f in range(count):
    fd = os.open(os.path.join(root, "f%07d" % f), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, data)
    os.close(fd)
`;
      const r = Bun.spawnSync(["python3", "-c", script, root, String(count)]);
      if (r.exitCode !== 0) throw new Error(r.stderr.toString());
    },
  };
}

export const TREES: Record<string, TreeSpec> = {
  small,
  mixed,
  real,
  big,
  sparse,
  "files-100k": manyFiles(100_000),
  "files-1m": manyFiles(1_000_000),
  "files-flat-1m": flatFiles(1_000_000),
};

/** A file in the work folder holding the time of the last deletion there (see run.ts). */
export const DELETION_STAMP = "last-deletion";

/** The tree under base, generated unless an identical one is there already. */
export function ensureTree(base: string, spec: TreeSpec): string {
  const root = join(base, "src", spec.name);
  const marker = join(base, "src", `${spec.name}.done`);
  const version = `${spec.describe}\n${spec.build.toString()}`;
  if (existsSync(marker) && readFileSync(marker, "utf8") === version) return root;
  if (existsSync(root)) {
    rmSync(root, { recursive: true, force: true });
    Bun.spawnSync(["sync"]);
    // A deletion, like the runner's own: run.ts reads this and waits out ext4's inode-reuse window.
    writeFileSync(join(base, DELETION_STAMP), String(Date.now()));
  }
  console.log(`generating ${spec.name}: ${spec.describe}`);
  spec.build(root);
  Bun.spawnSync(["sync"]);
  writeFileSync(marker, version);
  return root;
}
