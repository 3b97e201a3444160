// Sparse files: holes found with SEEK_DATA/SEEK_HOLE stay holes (--sparse=auto),
// zero blocks become holes (--sparse=always), or every byte is written
// (--sparse=never); the copy never allocates more than cp's.

import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { BLIT, blit, ROOT, run, sh, stats } from "../helpers/blit.ts";
import { bindfsUnavailable, mountBindfs, mountTmpfs, mountXfs, tmpfsUnavailable, xfsUnavailable } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";

/** Data extents, allocation and a hash of the data, read with SEEK_DATA so 16 GiB of holes cost nothing. */
function layout(path: string): { size: number; blocks: number; extents: [number, number][]; sha256: string } {
  const script = `
import hashlib, json, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
st = os.fstat(fd)
pos, extents, h = 0, [], hashlib.sha256()
while True:
    try:
        data = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError:
        break
    hole = os.lseek(fd, data, os.SEEK_HOLE)
    extents.append([data, hole])
    os.lseek(fd, data, os.SEEK_SET)
    left = hole - data
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        h.update(chunk)
        left -= len(chunk)
    pos = hole
print(json.dumps({"size": st.st_size, "blocks": st.st_blocks, "extents": extents, "sha256": h.hexdigest()}))
`;
  const r = run(["python3", "-c", script, path]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe("sparse files", () => {
  test("a 16 GiB file with a few MiB of data: same holes, same data, no more blocks than the source", () => {
    const root = sandbox("sparse16");
    sh(
      `truncate -s 16G big &&
       head -c 2097152 /dev/urandom | dd of=big bs=1M seek=1000 conv=notrunc status=none &&
       head -c 1048576 /dev/urandom | dd of=big bs=1M seek=9000 conv=notrunc status=none &&
       head -c 3000 /dev/urandom | dd of=big bs=1 seek=17179860000 conv=notrunc status=none`,
      root,
    );
    const r = blit(["--stats", "big", "copy"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout).files).toBe("1");
    const src = layout(`${root}/big`);
    const dst = layout(`${root}/copy`);
    expect(dst.size).toBe(16 * 2 ** 30);
    expect(dst.sha256).toBe(src.sha256);
    expect(dst.extents).toEqual(src.extents);
    expect(dst.blocks).toBeLessThanOrEqual(src.blocks);
  });

  test("a trailing hole keeps the size; a leading hole stays a hole", () => {
    const root = sandbox("sparse-ends");
    sh("truncate -s 10M f && printf data | dd of=f bs=1 seek=5000000 conv=notrunc status=none", root);
    expect(blit(["-a", "f", "g"], { cwd: root }).exitCode).toBe(0);
    expect(layout(`${root}/g`)).toEqual(layout(`${root}/f`));
  });

  const MODES: [mode: string, expectHoles: boolean][] = [
    ["always", true],
    ["never", false],
  ];
  for (const [mode, expectHoles] of MODES) {
    test(`--sparse=${mode} allocates as cp --sparse=${mode} does`, () => {
      const root = sandbox(`sparse-${mode}`);
      // Written zeros (not holes) between two blocks of data, plus a real hole.
      sh(
        `head -c 1M /dev/urandom > f && head -c 8M /dev/zero >> f && head -c 1M /dev/urandom >> f && truncate -s 20M f && sync`,
        root,
      );
      const r = blit([`--sparse=${mode}`, "f", "by-blit"], { cwd: root });
      expect(r.exitCode).toBe(0);
      expect(run(["cp", `--sparse=${mode}`, "f", "by-cp"], { cwd: root }).exitCode).toBe(0);
      sh("sync", root);
      const mine = layout(`${root}/by-blit`);
      const theirs = layout(`${root}/by-cp`);
      const src = layout(`${root}/f`);
      // Contents equal byte for byte, holes read as zeros.
      expect(sh("cmp f by-blit && echo same", root)).toBe("same\n");
      expect(mine.blocks).toBeLessThanOrEqual(theirs.blocks);
      expect(mine.blocks < src.blocks).toBe(expectHoles);
      if (!expectHoles) expect(mine.blocks).toBeGreaterThanOrEqual((20 * 2 ** 20) / 512);
    });
  }

  test("--sparse=always in a tree: small files' zero blocks become holes too, as cp -r --sparse=always makes them", () => {
    const root = sandbox("sparse-small");
    sh("mkdir src && head -c 1000000 /dev/zero > src/zeros && head -c 8192 /dev/urandom > src/mixed && head -c 500000 /dev/zero >> src/mixed && head -c 8192 /dev/urandom >> src/mixed && sync", root);
    expect(blit(["-r", "--sparse=always", "src", "by-blit"], { cwd: root }).exitCode).toBe(0);
    expect(run(["cp", "-r", "--sparse=always", "src", "by-cp"], { cwd: root }).exitCode).toBe(0);
    sh("sync", root);
    for (const name of ["zeros", "mixed"]) {
      expect(sh(`cmp src/${name} by-blit/${name} && echo same`, root)).toBe("same\n");
      expect(layout(`${root}/by-blit/${name}`).blocks).toBeLessThanOrEqual(layout(`${root}/by-cp/${name}`).blocks);
    }
    expect(layout(`${root}/by-blit/zeros`).blocks).toBe(0);
  });

  test("--sparse=always on a pipe of zeros that ends inside a block: nothing allocated, as cp", () => {
    const root = sandbox("sparse-pipe");
    for (const [tool, out] of [["\"$0\"", "by-blit"], ["cp", "by-cp"]] as const) {
      expect(run(["sh", "-c", `head -c 100000 /dev/zero | ${tool} --sparse=always /dev/stdin ${out} && sync`, BLIT], { cwd: root }).exitCode).toBe(0);
    }
    const mine = layout(`${root}/by-blit`);
    expect(mine.size).toBe(100000);
    expect(mine.blocks).toBeLessThanOrEqual(layout(`${root}/by-cp`).blocks);
    expect(mine.blocks).toBe(0);
    expect(sh("head -c 100000 /dev/zero | cmp - by-blit && echo same", root)).toBe("same\n");
  });

  // XFS preallocates past each write's end: a gap only skipped keeps those
  // blocks, so the copy is as large as if its zeros had been written.
  const SCATTERED: [shape: string, make: string, source: string][] = [
    ["zeros written between blocks of data", "for i in $(seq 256); do head -c 4096 /dev/urandom; head -c 61440 /dev/zero; done > f", "f"],
    ["holes between blocks of data", "for i in $(seq 0 255); do head -c 4096 /dev/urandom | dd of=f bs=4096 seek=$((i * 16)) conv=notrunc status=none; done && truncate -s 17M f", "f"],
    ["a pipe of zeros and data", "for i in $(seq 256); do head -c 4096 /dev/urandom; head -c 61440 /dev/zero; done > f", "/dev/stdin"],
  ];
  for (const [shape, make, source] of SCATTERED) {
    testIf(xfsUnavailable)(`--sparse=always onto XFS, ${shape}: no more blocks than cp --sparse=always, whose gaps are punched`, () => {
      const root = sandbox("sparse-xfs");
      const xfs = mountXfs(300);
      sh(`${make} && sync`, root);
      for (const [tool, out] of [["\"$0\"", "by-blit"], ["cp", "by-cp"]] as const) {
        const r = run(["sh", "-c", `${tool} --sparse=always ${source} ${xfs}/${out} < f && sync`, BLIT], { cwd: root });
        expect([tool, r.stdout, r.stderr, r.exitCode]).toEqual([tool, "", "", 0]);
      }
      expect(sh(`cmp f ${xfs}/by-blit && echo same`, root)).toBe("same\n");
      const theirs = layout(`${xfs}/by-cp`).blocks;
      expect(theirs).toBeLessThan((2 * 2 ** 20) / 512);
      expect(layout(`${xfs}/by-blit`).blocks).toBeLessThanOrEqual(theirs);
    });
  }

  // The size of a copy is what was read, never what stat or SEEK_END said.
  for (const flags of [[], ["--sparse=always"]]) {
    test(`a sparse file that grows after its last extent was read: the new bytes are copied, not zeros (${["blit", ...flags].join(" ")})`, () => {
      const root = sandbox("sparse-grow");
      // Another process appends at the worst moment: just before blit asks
      // where the file ends (tests/helpers/grow-at-end.c).
      sh(`gcc -shared -fPIC -O2 -Wall -Werror -o grow.so ${ROOT}/tests/helpers/grow-at-end.c -ldl`, root);
      sh("printf A | dd of=sp bs=4096 count=1 conv=sync status=none && printf B | dd of=sp bs=4096 seek=8192 count=1 conv=sync status=none && truncate -s 64M sp", root);
      const inode = sh("stat -c %i sp", root).trim();
      const r = blit([...flags, "sp", "spd"], { cwd: root, env: { LD_PRELOAD: `${root}/grow.so`, BLIT_TEST_GROW_INODE: inode } });
      expect(r.stderr).toBe("blit: warning: 'sp': file changed as we read it\n");
      expect(r.stdout).toBe("");
      expect(r.exitCode).toBe(0);
      // The append happened (else this test could not fail), and was copied.
      expect(layout(`${root}/sp`).size).toBe(64 * 2 ** 20 + 16384);
      expect(sh("cmp sp spd && echo same", root)).toBe("same\n");
    });
  }

  // sysfs says 4096 bytes and 0 blocks for a file of a few bytes: it looks
  // sparse, and its size must come from the reads.
  const SYSFS = ["/sys/kernel/mm/transparent_hugepage/enabled", "/sys/devices/system/cpu/online", "/sys/kernel/mm/transparent_hugepage/defrag"]
    .filter((path) => existsSync(path) && statSync(path).size === 4096 && readFileSync(path).length < 4096);
  const noSysfs = SYSFS.length === 0 ? "no sysfs file here reports 4096 bytes and holds fewer" : undefined;
  for (const args of [["FILE", "out"], ["-rL", "links", "out"], ["-a", "FILE", "out"]]) {
    testIf(noSysfs)(`sysfs files copy as cat reads them, not padded with NULs: blit ${args.join(" ")}`, () => {
      const root = sandbox("sysfs");
      for (const [i, path] of SYSFS.entries()) {
        sh(`rm -rf links out && mkdir links && ln -s ${path} links/x && cat ${path} > expected`, root);
        const r = blit(args.map((arg) => (arg === "FILE" ? path : arg)), { cwd: root });
        expect(r.stderr).toBe("");
        expect(r.exitCode).toBe(0);
        const out = args[0] === "-rL" ? `${root}/out/x` : `${root}/out`;
        expect([i, readFileSync(out).toString()]).toEqual([i, readFileSync(`${root}/expected`).toString()]);
      }
    });
  }

  // tmpfs holds files up to 2^63 bytes; blit's sizes and offsets are exact to 2^53.
  const HUGE: [name: string, args: string[], data: boolean][] = [
    ["a file operand", ["s/huge", "d"], true],
    ["in a tree", ["-r", "s", "d"], true],
    ["--sparse=always", ["--sparse=always", "s/huge", "d"], true],
    ["all hole", ["-a", "s", "d"], false],
    ["a dry run says it too", ["--dry-run", "-r", "s", "d"], true],
  ];
  for (const [name, args, data] of HUGE) {
    testIf(tmpfsUnavailable)(`a file past 2^53 bytes (${name}): refused by name, nothing left behind`, () => {
      const root = mountTmpfs("size=16m");
      sh(`mkdir s && printf x > s/small && truncate -s 1152921504606846977 s/huge${data ? " && printf abc | dd of=s/huge bs=1 seek=576460752303423488 conv=notrunc status=none" : ""}`, root);
      const r = run([BLIT, ...args], { cwd: root });
      expect(r).toEqual({ stdout: "", stderr: "blit: cannot copy 's/huge': File too large (blit copies files of up to 2^53 - 1 bytes, 8 PiB)\n", exitCode: 1 });
      expect(sh("[ ! -e d ] || find d | sort", root)).toBe(args.includes("s") && !args.includes("--dry-run") ? "d\nd/small\n" : "");
    });
  }
  testIf(tmpfsUnavailable)("a file past 2^53 bytes with --attributes-only, which reads no data: made empty with its attributes, as cp makes it", () => {
    const root = mountTmpfs("size=16m");
    sh("mkdir s && truncate -s 1152921504606846977 s/huge && chmod 640 s/huge", root);
    expect(run([BLIT, "-a", "--attributes-only", "s", "d"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(run(["cp", "-a", "--attributes-only", "s", "c"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sh("stat -c '%a %s' d/huge", root)).toBe(sh("stat -c '%a %s' c/huge", root));
  });

  test("--sparse=bogus is a usage error", () => {
    const r = blit(["--sparse=bogus", "a", "b"]);
    expect(r.stderr).toBe("blit: invalid argument 'bogus' for '--sparse'\nValid arguments are:\n  - 'never'\n  - 'auto'\n  - 'always'\nTry 'blit --help' for more information.\n");
    expect(r.exitCode).toBe(2);
  });
});

// A FUSE filesystem that does not answer SEEK_HOLE (bindfs) reports every
// byte as data, while its stat gives the blocks the file really holds: the
// zeros then become holes, as cp's --sparse=auto makes them. The copy was
// written whole, 64 MiB for 4 KiB of data.
describe("a sparse file read through FUSE (no SEEK_HOLE)", () => {
  testIf(bindfsUnavailable)("--sparse=auto keeps it sparse, contents equal, as cp", () => {
    const root = sandbox("fuse-sparse");
    const m = mountBindfs();
    sh(`truncate -s 64M ${m}/big && printf data | dd of=${m}/big bs=1 seek=1048576 conv=notrunc status=none && sync`, root);
    expect(statSync(`${m}/big`).blocks * 512).toBeLessThan(1 << 20);
    expect(blit([`${m}/big`, "by-blit"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(run(["cp", `${m}/big`, "by-cp"], { cwd: root }).exitCode).toBe(0);
    expect(sh("cmp by-blit by-cp && cmp by-blit " + `${m}/big`, root)).toBe("");
    expect(statSync(`${root}/by-blit`).blocks).toBeLessThanOrEqual(statSync(`${root}/by-cp`).blocks);
  });
});
