// The Linux copy-method chain on real filesystems: clone on XFS with reflink,
// copy_file_range within ext4, io_uring across filesystems, plain reads when
// io_uring is off, and clean failures where a method was demanded.

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { BLIT, blit, hasCommand, isRoot, ROOT, run, sh, stats } from "../helpers/blit.ts";
import { bindfsUnavailable, mountBindfs, mountTmpfs, mountXfs, tmpfsUnavailable, xfsUnavailable } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { snapshot } from "../helpers/tree.ts";

/** filefrag -v marks extents whose blocks another file shares. */
function sharedExtents(path: string): boolean {
  const out = run(["filefrag", "-v", path]);
  if (out.exitCode !== 0) throw new Error(out.stderr);
  return /\bshared\b/.test(out.stdout);
}

function methods(stdout: string): Record<string, string> {
  const s = stats(stdout);
  // "method kernel (copy_file_range)": keyed by the engine's name.
  return Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith("method ")).map(([k, v]) => [k.slice(7).split(" ")[0]!, v]));
}

describe("clone (reflink) on XFS", () => {
  testIf(xfsUnavailable)("the default (--reflink=auto) clones, and the copy shares the source's extents", () => {
    const dir = mountXfs();
    sh("mkdir src && head -c 8388608 /dev/urandom > src/big && printf small > src/small", dir);
    sh("sync", dir);
    const r = blit(["-a", "--stats", "src", "dst"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(methods(r.stdout).clone).toBe("2");
    expect(sharedExtents(`${dir}/dst/big`)).toBe(true);
    expect(snapshot(`${dir}/dst`, { times: true })).toEqual(snapshot(`${dir}/src`, { times: true }));
  });

  testIf(xfsUnavailable)("--reflink=always clones", () => {
    const dir = mountXfs();
    sh("head -c 4194304 /dev/urandom > f && sync", dir);
    const r = blit(["--reflink=always", "--stats", "f", "g"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(methods(r.stdout).clone).toBe("1");
    expect(sharedExtents(`${dir}/g`)).toBe(true);
    expect(readFileSync(`${dir}/g`).equals(readFileSync(`${dir}/f`))).toBe(true);
  });

  testIf(xfsUnavailable)("--reflink=never makes an independent copy", () => {
    const dir = mountXfs();
    sh("head -c 4194304 /dev/urandom > f && sync", dir);
    const r = blit(["--reflink=never", "--stats", "f", "g"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(methods(r.stdout).clone).toBe("0");
    expect(methods(r.stdout).kernel).toBe("0");
    sh("sync", dir);
    expect(sharedExtents(`${dir}/g`)).toBe(false);
    expect(readFileSync(`${dir}/g`).equals(readFileSync(`${dir}/f`))).toBe(true);
  });

  testIf(xfsUnavailable)("--reflink=never through the ring keeps every chunk when completions come out of order", () => {
    // Every fourth 256 KiB chunk is evicted from the page cache, the rest
    // cached, so that read/write pairs through the ring can finish out of
    // order. A buffer slot reused before its earlier pair completed would
    // write another chunk's bytes (or hang the copy); the bytes must match.
    // (This VM's timing did not make the old slot rule fail here: the test
    // guards the bytes, it does not force the race.)
    const dir = mountXfs();
    sh("head -c 67108864 /dev/urandom > f && sync", dir);
    sh(
      `python3 -c '
import os
fd = os.open("f", os.O_RDONLY)
size, chunk = os.fstat(fd).st_size, 256 << 10
for off in range(0, size, chunk): os.pread(fd, chunk, off)
for off in range(0, size, 4 * chunk): os.posix_fadvise(fd, off, chunk, os.POSIX_FADV_DONTNEED)'`,
      dir,
    );
    const r = blit(["--reflink=never", "--stats", "f", "g"], { cwd: dir, timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(methods(r.stdout).batched).toBe("1");
    expect(readFileSync(`${dir}/g`).equals(readFileSync(`${dir}/f`))).toBe(true);
  });

  testIf(xfsUnavailable)("doctor reports clone support and picks it", () => {
    const dir = mountXfs();
    const r = blit(["doctor", dir]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(": xfs\n");
    expect(r.stdout).toContain("reflink (FICLONE): yes");
    expect(r.stdout).toContain("method for files within this filesystem: clone");
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("ext4", () => {
  testIf(undefined)("within ext4 the kernel copies (copy_file_range)", () => {
    const root = sandbox("cfr");
    sh("head -c 3000000 /dev/urandom > f", root);
    const r = blit(["--stats", "f", "g"], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(methods(r.stdout).kernel).toBe("1");
    expect(readFileSync(`${root}/g`).equals(readFileSync(`${root}/f`))).toBe(true);
  });

  testIf(undefined)("--reflink=always fails cleanly where cloning is impossible: no file, no temporary", () => {
    const root = sandbox("always");
    sh("mkdir d && printf data > f", root);
    const r = blit(["--reflink=always", "f", "d/g"], { cwd: root });
    expect(r.stderr).toBe("blit: failed to clone 'd/g' from 'f': Operation not supported\n");
    expect(r.stdout).toBe("");
    expect(r.exitCode).toBe(1);
    expect(readdirSync(`${root}/d`)).toEqual([]);
  });

  testIf(undefined)("--reflink=always over an existing file leaves that file as it was", () => {
    const root = sandbox("always-existing");
    sh("printf new > f && printf old > g", root);
    const r = blit(["--reflink=always", "f", "g"], { cwd: root });
    expect(r.exitCode).toBe(1);
    expect(readFileSync(`${root}/g`, "utf8")).toBe("old");
    expect(readdirSync(root).sort()).toEqual(["f", "g"]);
  });
});

describe("statting a directory's entries", () => {
  // A stat that waits on the device sends the next batches through the ring;
  // BLIT_STAT_WAIT_NS=0 counts every one as waiting, as a slow disk would, and
  // a threshold of an hour none (the default, 30 µs, is a time: a busy CI
  // machine made one cached stat look waiting, and the test failed).
  for (const [label, env, throughRing] of [
    ["in turn while no stat waits (BLIT_STAT_WAIT_NS of an hour)", { BLIT_STAT_WAIT_NS: String(3_600e9) }, false],
    ["through io_uring when each stat waits (BLIT_STAT_WAIT_NS=0)", { BLIT_STAT_WAIT_NS: "0" }, true],
  ] as const) {
    testIf(undefined)(`a directory's entries are statted ${label}; a second run leaves them all`, () => {
      const root = sandbox("stat-batches");
      // Past the 128 entries a tree may have to be copied on the main thread, whose first stats are its count's.
      sh("mkdir -p src/sub && for i in $(seq 70); do printf $i > src/f$i; printf $i > src/sub/g$i; done && ln -s f1 src/l && mkfifo src/p", root);
      const first = blit(["-a", "--stats", "src", "dst"], { cwd: root, env });
      expect(first.stderr).toBe("");
      expect(first.exitCode).toBe(0);
      const again = blit(["-aT", "--stats", "--skip-unchanged", "src", "dst"], { cwd: root, env });
      expect(again.stderr).toBe("");
      expect(again.exitCode).toBe(0);
      expect(stats(again.stdout).unchanged).toBe("142");
      const ring = Number(stats(again.stdout)["stat batches through io_uring"]);
      expect(throughRing ? ring > 0 : ring === 0).toBe(true);
      expect(Number(stats(again.stdout)["stat batches in turn"]) > 0).toBe(true);
      expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
    });
  }
});

describe("extended attributes of a directory's entries", () => {
  // Linux 6.13 added listxattrat/getxattrat (numbers 465/464): with them an
  // entry's xattrs are read relative to its directory's descriptor, one call
  // each; without them, through a /proc/self/fd path, which costs a path walk
  // through procfs per call (a second run asks twice per file).
  const [major, minor] = run(["uname", "-r"]).stdout.split(".").map(Number) as [number, number];
  const old = major < 6 || (major === 6 && minor < 13) ? `this kernel (${major}.${minor}) predates listxattrat (6.13)` : undefined;
  testIf(old ?? (hasCommand("strace") ? undefined : "strace is not installed"))("a second run lists and reads them relative to the directory, never through /proc/self/fd", () => {
    const root = sandbox("xattrat");
    sh("mkdir -p src/sub && printf a > src/sub/a && setfattr -n user.k -v v src/sub/a && ln -s a src/sub/l", root);
    expect(blit(["-a", "src", "dst"], { cwd: root }).exitCode).toBe(0);
    sh("setfattr -n user.k -v other dst/sub/a", root);
    const r = run(["strace", "-f", BLIT, "-aT", "--skip-unchanged", "--itemize", "src", "dst"], { cwd: root });
    // With the calls that wrote blit's own messages, should it fail (once in CI, under load: exit 1).
    expect({ exitCode: r.exitCode, said: r.exitCode === 0 ? [] : r.stderr.split("\n").filter((line) => line.includes("blit: ")) }).toEqual({ exitCode: 0, said: [] });
    // The symlink and the directories are unchanged (listed as rsync -ii lists them); the file's xattr is set back.
    expect(r.stdout).toBe(".d          dst/\n.d          dst/sub/\n.L          dst/sub/l -> a\n.f........x dst/sub/a\n");
    const calls = r.stderr.split("\n");
    expect(calls.filter((line) => /xattr\("\/proc\/self\/fd\//.test(line))).toEqual([]);
    expect(calls.some((line) => /syscall_0x1d1\(|listxattrat\(/.test(line) && !line.includes("EBADF"))).toBe(true);
    expect(sh("getfattr --only-values -n user.k dst/sub/a", root)).toBe("v");
  });
});

// Before Linux 6.13 (and under a seccomp profile that does not know the
// *xattrat calls) an entry's xattrs are read and written through
// /proc/self/fd/DIR/NAME. A command-line operand is named from the working
// directory (AT_FDCWD), or by an absolute path: neither is under a
// descriptor's /proc entry. tests/helpers/older-kernel.c takes the calls
// away, as such a kernel has none of them.
describe("extended attributes of operands that are not opened (a symlink, a fifo)", () => {
  const needs = isRoot ? undefined : "trusted.* attributes (the only ones a symlink or fifo holds) need root";
  for (const kernel of ["this kernel", "a kernel without fchmodat2 and the *xattrat calls"]) {
    testIf(needs)(`${kernel}: copied with them, as cp -a copies them, by relative and absolute operands`, () => {
      const root = sandbox("operand-xattrs");
      sh(`gcc -O2 -Wall -Werror -o older-kernel ${ROOT}/tests/helpers/older-kernel.c`, root);
      sh("printf a > f && ln -s f link && mkfifo fifo && mkdir d && ln -s f d/l && mkdir dst", root);
      sh("setfattr -h -n trusted.k -v link link && setfattr -n trusted.k -v fifo fifo && setfattr -h -n trusted.k -v inner d/l", root);
      const older = kernel === "this kernel" ? [] : [`${root}/older-kernel`];
      const r = run([...older, BLIT, "-a", "--preserve=xattr", "link", `${root}/fifo`, "d", "dst/"], { cwd: root });
      expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      const value = (path: string) => sh(`getfattr -h --only-values -n trusted.k ${path}`, root);
      expect([value("dst/link"), value("dst/fifo"), value("dst/d/l")]).toEqual(["link", "fifo", "inner"]);
    });
  }
});

// The ring given up under a copy (io_uring_enter failing, made so by strace;
// a seccomp profile or a pids limit does it for real): what its batch held
// is done in turn, never reported as the files' errors.
describe("an io_uring ring that fails under the copy", () => {
  const noStrace = hasCommand("strace") ? undefined : "strace is not installed";
  const CASES = [
    { name: "opening and reading a directory of small files", setup: "for i in $(seq 1 300); do printf $i > src/f$i; done", args: ["-a"], when: ["1", "1+"], tmpfs: false },
    // -L stats each entry on its own (no stats come with the listing); a wait of 0 sends every batch after the first through the ring.
    { name: "statting a directory's entries", setup: "for d in a b c; do mkdir src/$d; for i in $(seq 1 50); do printf $d$i > src/$d/f$i; done; done", args: ["-rL"], when: ["1"], tmpfs: false },
    { name: "a file's ranges across filesystems", setup: "head -c 5000000 /dev/urandom > src/big && printf 1 > src/one", args: ["-a"], when: ["1", "10", "1+"], tmpfs: true },
  ];
  for (const c of CASES) {
    testIf(noStrace ?? (c.tmpfs ? tmpfsUnavailable : undefined))(`${c.name}: copied whole, no error`, () => {
      const root = sandbox("ring-fails");
      sh(`mkdir src && ${c.setup}`, root);
      const base = c.tmpfs ? mountTmpfs() : root;
      for (const when of c.when) {
        const dst = `${base}/dst-${when}`;
        const r = run(["strace", "-f", "-o", "/dev/null", "-e", "trace=io_uring_enter", "-e", `inject=io_uring_enter:error=EBUSY:when=${when}`, BLIT, "-j", "1", ...c.args, "src", dst], { cwd: root, env: { BLIT_STAT_WAIT_NS: "0" } });
        expect({ when, ...r }).toEqual({ when, stdout: "", stderr: "", exitCode: 0 });
        expect(snapshot(dst)).toEqual(snapshot(`${root}/src`));
      }
    });
  }
});

// A batch's opens and reads complete in any order; each result must reach
// its own file. One matched to the next file's name is caught by the
// engine (the inode read is not the one listed) and copied again on its
// own, so the bytes come out right either way: the count of files the
// ring carried tells the two apart.
test("a directory's small files go through the ring in batches, each read matched to its own file", () => {
  const root = sandbox("batched-many");
  sh("mkdir src && for i in $(seq 1 50); do printf \"file $i\" > src/f$i; done", root);
  const r = blit(["-r", "-j", "1", "--stats", "src", "dst"], { cwd: root });
  expect([r.stderr, r.exitCode]).toEqual(["", 0]);
  const m = methods(r.stdout);
  expect(Number(m.batched) + Number(m.kernel)).toBe(50);
  expect(Number(m.batched)).toBeGreaterThanOrEqual(40);
  expect(sh("for i in $(seq 1 50); do cat dst/f$i; echo; done", root)).toBe(Array.from({ length: 50 }, (_, i) => `file ${i + 1}\n`).join(""));
});

describe("across filesystems", () => {
  testIf(tmpfsUnavailable)("ext4 to tmpfs goes through the worker's io_uring ring", () => {
    const root = sandbox("xdev");
    const tmpfs = mountTmpfs();
    sh("mkdir -p src/sub && head -c 5000000 /dev/urandom > src/big && printf 1 > src/sub/one && : > src/empty", root);
    const r = blit(["-a", "--stats", "src", `${tmpfs}/dst`], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(methods(r.stdout).batched).toBe("2");
    expect(snapshot(`${tmpfs}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  });

  testIf(tmpfsUnavailable)("with io_uring disabled (BLIT_NO_URING=1) the same copy uses read and write", () => {
    const root = sandbox("xdev-plain");
    const tmpfs = mountTmpfs();
    sh("mkdir src && head -c 5000000 /dev/urandom > src/big && printf 1 > src/one", root);
    const r = blit(["-a", "--stats", "src", `${tmpfs}/dst`], { cwd: root, env: { BLIT_NO_URING: "1" } });
    expect(r.exitCode).toBe(0);
    expect(methods(r.stdout).batched).toBe("0");
    expect(methods(r.stdout).read_write).toBe("2");
    expect(snapshot(`${tmpfs}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
    const doctor = blit(["doctor", tmpfs], { env: { BLIT_NO_URING: "1" } });
    expect(doctor.stdout).toContain("not used: BLIT_NO_URING=1");
  });

  // Within one tmpfs the kernel copies (copy_file_range), which does not say
  // whether reading or writing failed: cp says "error copying" too. The
  // large file fails in the ranges its workers share.
  for (const [label, mib, size] of [["a file", 3, "size=5m"], ["a large file copied in ranges", 300, "size=400m"]] as const) {
    testIf(tmpfsUnavailable)(`${label} that fills its filesystem: one message, nothing left behind`, () => {
      const tmpfs = mountTmpfs(size);
      sh(`head -c ${mib}M /dev/urandom > f`, tmpfs);
      const r = blit(["-j", "2", "f", "g"], { cwd: tmpfs });
      expect(r.stderr).toBe("blit: error copying 'f' to 'g': No space left on device\n");
      expect(r.stdout).toBe("");
      expect(r.exitCode).toBe(1);
      expect(readdirSync(tmpfs)).toEqual(["f"]);
    }, 60_000);
  }

  // A write the limit cuts short says nothing of why; the next one does (cp is killed by SIGXFSZ instead).
  testIf(tmpfsUnavailable)("a write through the ring cut short by a file size limit gives the kernel's reason", () => {
    const root = sandbox("efbig");
    const tmpfs = mountTmpfs();
    sh("head -c 4000000 /dev/urandom > big", root);
    const r = run(["sh", "-c", `ulimit -f 1500 && exec "$0" --stats big ${tmpfs}/big`, BLIT], { cwd: root });
    expect(r).toEqual({ stdout: expect.stringMatching(/^io_uring ops: [1-9]/m), stderr: `blit: error writing '${tmpfs}/big': File too large\n`, exitCode: 1 });
    expect(readdirSync(tmpfs)).toEqual([]);
  });

  testIf(tmpfsUnavailable)("a full destination fails with a message and leaves no partial file", () => {
    const root = sandbox("enospc");
    const tmpfs = mountTmpfs("size=2m");
    sh("head -c 4000000 /dev/urandom > big && printf ok > small", root);
    const r = blit(["big", "small", tmpfs], { cwd: root });
    expect(r.stderr).toBe(`blit: error writing '${tmpfs}/big': No space left on device\n`);
    expect(r.exitCode).toBe(1);
    expect(readdirSync(tmpfs)).toEqual(["small"]);
    expect(existsSync(`${tmpfs}/big`)).toBe(false);
  });
});

// A FUSE server without rename flags (bindfs here, sshfs too) answers
// RENAME_NOREPLACE with EINVAL: a file is then put in place by a hard link
// (EEXIST where the name is taken), a directory after a look. Every
// directory of a tree failed, its staged copy left behind, and -n, -u, -b
// onto a free name failed, where cp succeeds.
describe("a FUSE filesystem without RENAME_NOREPLACE (bindfs)", () => {
  const cases: { name: string; setup?: string; args: string[]; after: Record<string, string> }[] = [
    { name: "-a of a tree with a subdirectory", args: ["-a", "SRC", "m/tree"], after: { "tree/top": "top", "tree/sub/f": "deep" } },
    { name: "-n onto a free name", args: ["-n", "SRC/top", "m/n"], after: { n: "top" } },
    { name: "-n onto a taken name: kept", setup: "printf old > m/n", args: ["-n", "SRC/top", "m/n"], after: { n: "old" } },
    { name: "-u onto a free name", args: ["-u", "SRC/top", "m/u"], after: { u: "top" } },
    { name: "-b onto a free name", args: ["-b", "SRC/top", "m/b"], after: { b: "top" } },
    { name: "--backup=numbered past a taken number", setup: "printf old > m/x && printf one > m/x.~1~", args: ["--backup=numbered", "SRC/top", "m/x"], after: { x: "top", "x.~1~": "one", "x.~2~": "old" } },
  ];
  for (const c of cases) {
    testIf(bindfsUnavailable)(`${c.name}: as cp, nothing left behind`, () => {
      const root = sandbox("fuse-rename");
      const m = mountBindfs();
      sh("mkdir -p src/sub && printf top > src/top && printf deep > src/sub/f", root);
      if (c.setup) sh(c.setup.replaceAll("m/", `${m}/`), root);
      const r = blit(c.args.map((arg) => arg.replace("SRC", `${root}/src`).replace(/^m\//, `${m}/`)));
      expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      const found = sh("find . -type f | sort", m).trim().split("\n").map((path) => path.slice(2));
      expect(Object.fromEntries(found.map((path) => [path, readFileSync(`${m}/${path}`, "utf8")]))).toEqual(c.after);
    });
  }

  // The link made, the old name's unlink failing (strace): the link is
  // undone, as a rename that fails changes nothing. DEST held the file
  // while the run said it could not be created.
  testIf(bindfsUnavailable ?? (hasCommand("strace") ? undefined : "strace is not installed"))("the fallback's unlink failing: undone, said, nothing under the name", () => {
    const root = sandbox("fuse-rename-undone");
    const m = mountBindfs();
    sh("printf top > top", root);
    const r = run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=unlinkat", "-e", "inject=unlinkat:error=EIO:when=1", BLIT, "-n", "top", `${m}/n`], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: `blit: cannot create regular file '${m}/n': Input/output error\n`, exitCode: 1 });
    expect(readdirSync(m)).toEqual([]);
  });
});
