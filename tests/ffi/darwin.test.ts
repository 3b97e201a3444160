// The macOS backend (ffi/darwin/) making real copies on Linux: ./dist/blit
// with BLIT_DARWIN_SHIM set loads it over the Linux build of the macOS shim
// (c/darwin/blit_darwin.c without __APPLE__), so the engine, the backend's
// TypeScript and the shim's POSIX core run together here, the same code a Mac
// runs. What only a Mac can check (fclonefileat on APFS, getattrlistbulk's
// records, setattrlist's birth time and st_flags, ACLs, F_NOCACHE) is absent
// from this build and tested there (.github/workflows/macos.yml); the dylibs
// themselves are inspected in tests/release/darwin.test.ts, and the archive
// cases (tests/engine/archive.test.ts) run through this backend as well.

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BLIT, blit, hasCommand, isRoot, ROOT, run, sh } from "../helpers/blit.ts";
import { mountTmpfs, mountXfs, tmpfsUnavailable, xfsUnavailable } from "../helpers/mounts.ts";
import { sandbox, sandboxClones } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { foldedKey } from "../../ffi/darwin/index.ts";
import { tree } from "../helpers/tree.ts";

const SHIM = join(ROOT, "build", "shim", "darwin-posix", "libblit.so");
if (!existsSync(SHIM)) throw new Error(`${SHIM} is missing: build it first (bun build.ts --shim)`);
const env = { BLIT_DARWIN_SHIM: SHIM };
const CLONE_LABEL = "FICLONE (Linux stand-in for fclonefileat)";

describe("blit over ffi/darwin/ and the macOS shim's POSIX core", () => {
  test("doctor names the backend, the shim's build and what it found", () => {
    const dir = sandbox("darwin-doctor");
    const r = blit(["doctor", dir], { env });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("backend: darwin (native shim over libSystem)\n");
    expect(r.stdout).toContain(`  shim: ${SHIM}\n`);
    expect(r.stdout).toContain("  shim build: Linux build of the macOS shim (POSIX core; Apple-only calls absent)\n");
    expect(r.stdout).toMatch(/\n {2}holes \(SEEK_DATA\): yes \(reported\)\n/);
    expect(r.stdout).toContain(`  clone (${CLONE_LABEL}): `);
  });

  test("one worker and eight, a large directory listed in chunks with its metadata: the same tree", () => {
    const root = sandbox("darwin-jobs");
    // 1500 names: several chunks of the listing.
    sh("mkdir -p tree/big && cd tree/big && for i in $(seq 1 1500); do printf $i > f$i; done && mkdir sub && ln f1 sub/hard && ln -s f2 link", root);
    const one = blit(["-a", "-j", "1", "tree", "one"], { cwd: root, env });
    const eight = blit(["-a", "-j", "8", "tree", "eight"], { cwd: root, env });
    expect([one, eight]).toEqual([{ stdout: "", stderr: "", exitCode: 0 }, { stdout: "", stderr: "", exitCode: 0 }]);
    const src = tree(`${root}/tree`, { times: true });
    expect(tree(`${root}/one`, { times: true })).toEqual(src);
    expect(tree(`${root}/eight`, { times: true })).toEqual(src);
  }, 60_000);

  test("a failed copy leaves nothing under the final name, and says which file and why", () => {
    const root = sandbox("darwin-fail");
    sh("mkdir src dst && printf data > src/f && printf secret > src/closed && chmod 755 . src && chmod 644 src/f && chmod 000 src/closed && chmod 555 dst", root);
    // As root, as nobody: root may write anywhere.
    const asNobody = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const r = run([...asNobody, join(ROOT, "dist", "blit"), "-r", "src/f", "src/closed", "dst/"], { cwd: root, env });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("blit: cannot create regular file 'dst/f': Permission denied\nblit: cannot open 'src/closed' for reading: Permission denied\n");
    expect(r.exitCode).toBe(1);
    expect(readdirSync(join(root, "dst"))).toEqual([]);
  });

  test("--debug: read and written with pread/pwrite where nothing clones; the name of the method is the backend's", () => {
    const root = sandbox("darwin-debug");
    sh("head -c 300000 /dev/urandom > f", root);
    const r = blit(["--debug", "f", "g"], { cwd: root, env });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    if (sandboxClones) expect(r.stdout).toContain(`reflink: yes, sparse detection: unknown, method: ${CLONE_LABEL}`);
    else expect(r.stdout).toBe("'f' -> 'g'\ncopy offload: avoided, reflink: unsupported, sparse detection: no, method: pread/pwrite\n");
    expect(readFileSync(join(root, "g")).equals(readFileSync(join(root, "f")))).toBe(true);
  });

  testIf(hasCommand("strace") ? undefined : "strace is not installed")("--verify: the copy synced and dropped from the cache (the Linux build's stand-in for F_NOCACHE), read back through a descriptor of its own and compared", () => {
    const root = sandbox("darwin-verify");
    sh("head -c 200000 /dev/urandom > f", root);
    const r = run(["strace", "-f", "-e", "trace=fdatasync,fadvise64,openat", join(ROOT, "dist", "blit"), "--verify", "--stats", "f", "g"], { cwd: root, env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("\nverified: 1\n");
    const calls = r.stderr.split("\n").map((l) => l.replace(/^\[pid\s+\d+\] /, "").replace(/\s+= /, " = "));
    const temp = calls.findIndex((l) => /openat\(.*\.blit-.*\.tmp", O_WRONLY/.test(l));
    expect(temp).toBeGreaterThan(-1);
    const written = /= (\d+)$/.exec(calls[temp]!)![1];
    const after = calls.slice(temp);
    expect(after).toContain(`fdatasync(${written}) = 0`);
    // The read-back's own descriptor, dropped from the cache before it is read.
    const back = after.findIndex((l) => /openat\(.*\.blit-.*\.tmp", O_RDONLY/.test(l));
    expect(back).toBeGreaterThan(-1);
    const reader = /= (\d+)$/.exec(after[back]!)![1];
    expect(after.slice(back)).toContain(`fadvise64(${reader}, 0, 0, POSIX_FADV_DONTNEED) = 0`);
    expect(readFileSync(join(root, "g")).equals(readFileSync(join(root, "f")))).toBe(true);
    const bad = blit(["--verify", "/proc/self/io", root], { env });
    expect(bad).toEqual({ stdout: "", stderr: `blit: verification failed: '${root}/io' differs from '/proc/self/io'\n`, exitCode: 1 });
  });

  testIf(xfsUnavailable)("on XFS with reflink: each file cloned into its temporary name (cloneAt), then renamed into place; --reflink=always too", () => {
    const mnt = mountXfs(300);
    sh("mkdir -p tree/d && head -c 3000000 /dev/urandom > tree/big && printf small > tree/d/small && sync", mnt);
    const r = blit(["-a", "--debug", "tree", "copy"], { cwd: mnt, env });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split("\n").filter((line) => line.startsWith("copy offload"))).toEqual(Array(2).fill(`copy offload: unknown, reflink: yes, sparse detection: unknown, method: ${CLONE_LABEL}`));
    expect(tree(`${mnt}/copy`, { times: true })).toEqual(tree(`${mnt}/tree`, { times: true }));
    expect(run(["filefrag", "-v", join(mnt, "copy", "big")]).stdout).toMatch(/\bshared\b/);
    const always = blit(["--reflink=always", "tree/big", "again"], { cwd: mnt, env });
    expect(always).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readdirSync(mnt).filter((name) => name.startsWith(".blit")).length).toBe(0);
  });

  // fclonefileat makes the clone with SOURCE's permission bits, set to the
  // copy's only later: where those are narrower (a umask of 077), another
  // user could open the clone meanwhile. Copied the other ways there, as
  // coreutils 9.2 does; --reflink=always still clones.
  testIf(xfsUnavailable)("on XFS with reflink: a umask narrower than SOURCE's bits copies instead of cloning (the clone would be open to more meanwhile); --reflink=always clones", () => {
    const mnt = mountXfs(300);
    sh("head -c 3000000 /dev/urandom > f && chmod 644 f && sync", mnt);
    const withUmask = (umask: string, args: string[]) => run(["sh", "-c", `umask ${umask} && exec "$@"`, "sh", BLIT, ...args], { cwd: mnt, env });
    const method = (r: { stdout: string }) => r.stdout.split("\n").find((line) => line.startsWith("copy offload"))?.replace(/.*method: /, "");
    expect(method(withUmask("022", ["--debug", "f", "wide"]))).toBe(CLONE_LABEL);
    const narrow = withUmask("077", ["--debug", "f", "narrow"]);
    expect(narrow.stderr).toBe("");
    expect(method(narrow)).not.toBe(CLONE_LABEL);
    expect(sh("stat -c %a narrow && cmp f narrow && echo same", mnt)).toBe("600\nsame\n");
    expect(withUmask("077", ["--reflink=always", "f", "always"])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(run(["filefrag", "-v", join(mnt, "always")]).stdout).toMatch(/\bshared\b/);
  });

  // The shim reads the xattrs of an entry that is not opened by path: a
  // command-line operand's is its own path (AT_FDCWD has no directory to
  // ask the path of), relative or absolute.
  testIf(isRoot ? undefined : "trusted.* attributes (the only ones a symlink or fifo holds here) need root")("the xattrs of a symlink and a fifo given as operands, relative and absolute, are copied", () => {
    const root = sandbox("darwin-operand-xattrs");
    sh("printf a > f && ln -s f link && mkfifo fifo && mkdir d && ln -s f d/l && mkdir dst", root);
    sh("setfattr -h -n trusted.k -v link link && setfattr -n trusted.k -v fifo fifo && setfattr -h -n trusted.k -v inner d/l", root);
    const r = blit(["-a", "--preserve=xattr", "link", `${root}/fifo`, "d", "dst/"], { cwd: root, env });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const value = (path: string) => sh(`getfattr -h --only-values -n trusted.k ${path}`, root);
    expect([value("dst/link"), value("dst/fifo"), value("dst/d/l")]).toEqual(["link", "fifo", "inner"]);
  });

  testIf(tmpfsUnavailable)("--reflink=always where nothing clones: one line naming the file and why, nothing left behind", () => {
    const mnt = mountTmpfs();
    sh("printf data > f", mnt);
    const r = blit(["--reflink=always", "f", "g"], { cwd: mnt, env });
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^blit: failed to clone 'g' from 'f': Operation not supported\n$/);
    expect(r.exitCode).toBe(1);
    expect(readdirSync(mnt)).toEqual(["f"]);
  });
});

// What a case-insensitive APFS or HFS+ volume takes for one name (the copy
// itself is tested on a Mac, tests/ffi/darwin-native.test.ts).
describe("the macOS backend's key for names on a volume that ignores case", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  test.each([
    ["README", "readme", true],
    ["caf\u00e9", "cafe\u0301", true],
    ["CAF\u00c9", "cafe\u0301", true],
    ["a", "b", false],
    ["\u00e9", "e", false],
    // Case folding where toLowerCase leaves a small letter: micro sign and mu, long s, the Greek symbol forms.
    ["5\u00b5m.tif", "5\u03bcm.tif", true],
    ["5\u00b5m.tif", "5\u039cm.tif", true],
    ["\u017fign", "SIGN", true],
    ["\u03c3\u03bf\u03c6\u03bf\u03c2", "\u03a3\u039f\u03a6\u039f\u03a3", true],
    ["\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5", "\u03b2\u03b8\u03c6\u03c0\u03ba\u03c1\u03b5", true],
    ["\u1fb3", "\u1fbc", true],
    ["\u00df", "ss", false],
  ])("%p and %p are one name: %p", (a, b, same) => {
    expect(foldedKey(bytes(a)) === foldedKey(bytes(b))).toBe(same);
  });
  test("a name that is not UTF-8 is its own", () => {
    expect(foldedKey(new Uint8Array([0x41, 0xff])) === foldedKey(new Uint8Array([0x61, 0xff]))).toBe(false);
  });
});
