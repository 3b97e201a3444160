// blit -a against the source and against the reference tools: trees with
// every kind of entry and attribute, compared by the fd-relative checker
// (names as bytes, types, modes, owners, ns mtimes, symlink targets, rdev,
// xattrs, ACLs, hard-link groups, contents), through the native backend and
// through the macOS one over the Linux build of its shim.

import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { BLIT, blit, hasCommand, isRoot, ROOT, run, sh } from "../helpers/blit.ts";
import { EVERYDAY_TREE, ROOT_TREE } from "../helpers/fixtures.ts";
import { mountRamfs, mountTmpfs, mountXfs, tmpfsUnavailable, xfsUnavailable } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { type Tree, tree } from "../helpers/tree.ts";

const noRsync = hasCommand("rsync") ? undefined : "rsync is not installed";
const noAttrTools = hasCommand("setfattr") && hasCommand("setfacl") ? undefined : "setfattr/setfacl are not installed (attr, acl)";
const needsRoot = isRoot ? undefined : "needs root (owners, devices, trusted.* xattrs)";

/**
 * Every case runs through each backend this machine can load: the native
 * one, and the macOS backend (ffi/darwin/) over the Linux build of its shim,
 * so that its TypeScript and the shim's POSIX core make the same trees.
 */
const DARWIN_POSIX_SHIM = join(ROOT, "build", "shim", "darwin-posix", "libblit.so");
if (!existsSync(DARWIN_POSIX_SHIM)) throw new Error(`${DARWIN_POSIX_SHIM} is missing: build it first (bun build.ts --shim)`);
const BACKENDS: [label: string, env: Record<string, string>][] = [
  ["native backend", {}],
  ["macOS backend's POSIX core (BLIT_DARWIN_SHIM)", { BLIT_DARWIN_SHIM: DARWIN_POSIX_SHIM }],
];

function copyAll(root: string, extraScript: string, env: Record<string, string>): { src: Tree; blit: Tree; cp: Tree } {
  sh(`${EVERYDAY_TREE}\n${extraScript}`, root);
  const r = blit(["-a", "tree", "by-blit"], { cwd: root, env });
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("");
  expect(r.exitCode).toBe(0);
  const byCp = run(["cp", "-a", "tree", "by-cp"], { cwd: root });
  expect(byCp.exitCode).toBe(0);
  return {
    src: tree(`${root}/tree`, { times: true }),
    blit: tree(`${root}/by-blit`, { times: true }),
    cp: tree(`${root}/by-cp`, { times: true }),
  };
}

describe.each(BACKENDS)("%s", (_label, env) => {
  describe("blit -a keeps everything cp -a and rsync -aHAX keep", () => {
    testIf(noAttrTools)("an everyday tree: equal to the source and to cp -a's copy", () => {
      const root = sandbox("archive");
      const { src, blit: mine, cp } = copyAll(root, "", env);
      expect(mine).toEqual(src);
      expect(mine).toEqual(cp);
      expect(mine.hardlinks).toEqual([
        ["links/a/one", "links/b/c/three", "links/b/two"],
        ["links/a/p1", "links/a/p2"],
      ]);
      expect(mine.entries["acl/inherit"]?.xattrs?.["system.posix_acl_default"]).toBeDefined();
      expect(mine.entries["modes/setuid"]?.mode).toBe("4755");
    });

    testIf(noAttrTools ?? needsRoot)("as root, with other owners, devices, trusted.* and security.* xattrs", () => {
      const root = sandbox("archive-root");
      const { src, blit: mine, cp } = copyAll(root, ROOT_TREE, env);
      expect(mine).toEqual(src);
      expect(mine).toEqual(cp);
      expect(mine.entries["owners/file"]).toMatchObject({ uid: 1234, gid: 5678 });
      expect(mine.entries["owners/link"]).toMatchObject({ uid: 4321, gid: 8765 });
      expect(mine.entries["owners/setuid-other"]?.mode).toBe("6755");
      expect(mine.entries["devices/loop"]).toMatchObject({ type: "block", rdev: "7,200", mode: "640" });
      expect(Object.keys(mine.entries["trusted-file"]?.xattrs ?? {})).toEqual(["security.blit", "trusted.secret"]);
    });

    // The shim asks for a list or value in 1 KiB first and again in full where it is longer.
    describe("xattr lists and values longer than 1 KiB", () => {
      const value = "v".repeat(1500);
      const names = (prefix: string, path: string) =>
        `for i in $(seq 10 39); do setfattr -h -n ${prefix}.a-name-long-enough-to-fill-the-list-$i -v $i ${path}; done; setfattr -h -n ${prefix}.big -v ${value} ${path}`;
      const cases: [what: string, skip: string | undefined, make: string, entries: string[], prefix: string][] = [
        ["a file and a directory", noAttrTools, "mkdir t/dir && printf x > t/file", ["file", "dir"], "user"],
        ["a symlink and a fifo, as root (trusted.*)", noAttrTools ?? needsRoot, "ln -s file t/link && mkfifo t/fifo", ["link", "fifo"], "trusted"],
      ];
      for (const [what, skip, make, entries, prefix] of cases) testIf(skip)(`${what}: copied whole, then found unchanged, then a changed value brought over`, () => {
        const root = sandbox("xattr-long");
        sh(`mkdir t && ${make} && ${entries.map((e) => names(prefix, `t/${e}`)).join(" && ")}`, root);
        const src = tree(`${root}/t`, { times: true });
        for (const e of entries) {
          const xattrs = src.entries[e]?.xattrs ?? {};
          expect(Object.keys(xattrs).join("\0").length).toBeGreaterThan(1024);
          expect(xattrs[`${prefix}.big`]?.length).toBeGreaterThanOrEqual(1500);
        }
        expect(blit(["-a", "t", "copy"], { cwd: root, env })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
        expect(tree(`${root}/copy`, { times: true })).toEqual(src);
        const again = () => {
          const r = blit(["-aT", "--skip-unchanged", "--stats", "t", "copy"], { cwd: root, env });
          expect({ stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stderr: "", exitCode: 0 });
          return r.stdout.match(/^attributes set on unchanged: (\d+)$/m)?.[1];
        };
        expect(again()).toBe("0");
        sh(`setfattr -h -n ${prefix}.big -v ${"w".repeat(1500)} t/${entries[0]}`, root);
        expect(again()).toBe("1");
        expect(tree(`${root}/copy`, { times: true })).toEqual(tree(`${root}/t`, { times: true }));
      });
    });

    testIf(noAttrTools ?? noRsync)("equal to rsync -aHAX's copy", () => {
      const root = sandbox("archive-rsync");
      sh(EVERYDAY_TREE, root);
      expect(blit(["-a", "tree", "by-blit"], { cwd: root, env }).exitCode).toBe(0);
      const byRsync = run(["rsync", "-aHAX", "tree/", "by-rsync"], { cwd: root, env });
      expect(byRsync.stderr).toBe("");
      // rsync sets the times of some symlinks but not all: leave symlink times out.
      const withoutLinkTimes = (t: Tree) => {
        for (const entry of Object.values(t.entries)) if (entry.type === "symlink") delete entry.mtime_ns;
        return t;
      };
      expect(withoutLinkTimes(tree(`${root}/by-blit`, { times: true }))).toEqual(withoutLinkTimes(tree(`${root}/by-rsync`, { times: true })));
    });

    testIf(noAttrTools)("one worker and eight make the same tree", () => {
      const root = sandbox("archive-jobs");
      sh(EVERYDAY_TREE, root);
      expect(blit(["-a", "-j", "1", "tree", "one"], { cwd: root, env }).exitCode).toBe(0);
      expect(blit(["-a", "-j", "8", "tree", "eight"], { cwd: root, env }).exitCode).toBe(0);
      const src = tree(`${root}/tree`, { times: true });
      expect(tree(`${root}/one`, { times: true })).toEqual(src);
      expect(tree(`${root}/eight`, { times: true })).toEqual(src);
    });
  });

  describe("choosing what to keep, as cp's --preserve", () => {
    const CASES: [name: string, args: string[]][] = [
      ["-r keeps nothing but modes masked by umask", ["-r"]],
      ["-p keeps mode, ownership, timestamps", ["-rp"]],
      ["--preserve=links keeps hard links only", ["-r", "--preserve=links"]],
      ["--preserve=xattr keeps xattrs, not ACLs", ["-r", "--preserve=xattr"]],
      ["-a --no-preserve=links,timestamps", ["-a", "--no-preserve=links,timestamps"]],
      ["-a --no-preserve=mode drops modes and ACLs", ["-a", "--no-preserve=mode"]],
      ["-d keeps symlinks and hard links", ["-rd"]],
    ];
    for (const [name, args] of CASES) {
      testIf(noAttrTools)(name, () => {
        const root = sandbox("preserve");
        sh(EVERYDAY_TREE, root);
        const mine = blit([...args, "tree", "by-blit"], { cwd: root, env });
        const theirs = run(["cp", ...args, "tree", "by-cp"], { cwd: root, env });
        expect(mine.exitCode).toBe(theirs.exitCode);
        const times = (args.includes("-a") || args.includes("-rp")) && !args.some((a) => a.includes("no-preserve") && a.includes("timestamps"));
        expect(tree(`${root}/by-blit`, { times })).toEqual(tree(`${root}/by-cp`, { times }));
      });
    }
  });

  describe("a destination that cannot hold xattrs (ramfs)", () => {
    testIf(noAttrTools ?? tmpfsUnavailable)("-a drops them quietly; --preserve=xattr says so and fails, the data copied all the same, as cp", () => {
      const root = sandbox("noxattr");
      sh("printf x > f && setfattr -n user.color -v blue f", root);
      const ramfs = mountTmpfs("size=1m");
      sh(`umount ${ramfs} && mount -t ramfs ramfs ${ramfs}`);
      const quiet = blit(["-a", "f", `${ramfs}/quiet`], { cwd: root, env });
      expect(quiet).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      const strict = blit(["--preserve=xattr", "f", `${ramfs}/strict`], { cwd: root, env });
      expect(strict.stderr).toBe(`blit: setting attributes for '${ramfs}/strict': Operation not supported\n`);
      expect(strict.exitCode).toBe(1);
      const cp = run(["cp", "--preserve=xattr", "f", `${ramfs}/by-cp`], { cwd: root, env });
      expect(cp.exitCode).toBe(1);
      expect([readFileSync(`${ramfs}/strict`, "utf8"), statSync(`${ramfs}/strict`).mode & 0o777]).toEqual([readFileSync(`${ramfs}/by-cp`, "utf8"), statSync(`${ramfs}/by-cp`).mode & 0o777]);
      // In a tree too: every entry there, each one's error said.
      sh("mkdir -p t/sub && printf y > t/sub/g && setfattr -n user.k -v v t/sub/g && ln -s g t/sub/l", root);
      const tree = blit(["-r", "--preserve=xattr", "t", `${ramfs}/t`], { cwd: root, env });
      expect(tree.stderr).toBe(`blit: setting attributes for '${ramfs}/t/sub/g': Operation not supported\n`);
      expect(tree.exitCode).toBe(1);
      expect(readFileSync(`${ramfs}/t/sub/g`, "utf8")).toBe("y");
      expect(readlinkSync(`${ramfs}/t/sub/l`)).toBe("g");
      // Onto entries that are there: -p and -a find no ACL to drop (ramfs holds none), as cp finds none.
      sh(`printf old > ${ramfs}/old && mkdir -p ${ramfs}/d s && printf a > s/a`, root);
      expect(blit(["-p", "f", `${ramfs}/old`], { cwd: root, env })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(blit(["-a", "s/.", `${ramfs}/d`], { cwd: root, env })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(run(["cp", "-a", "s/.", `${ramfs}/d`], { cwd: root, env }).exitCode).toBe(0);
    });
  });

  // Lost, an access ACL leaves its mask as the group bits (rw- for u:nobody:rw), more than SOURCE's group had: cp -a says so and fails.
  describe("an ACL a destination cannot hold (ramfs)", () => {
    for (const [what, make, fails] of [
      ["a file's access ACL", "printf s > e && chmod 640 e && setfacl -m u:nobody:rw e", true],
      ["a directory's access and default ACLs", "mkdir e && setfacl -m u:nobody:rx e && setfacl -d -m u:nobody:rx e", true],
      ["a directory's default ACL alone", "mkdir e && setfacl -d -m u:nobody:rx e", false],
    ] as const) {
      for (const args of [["-a"], ["-p", "-r"], ["--preserve=all", "-r"]]) {
        testIf(noAttrTools ?? tmpfsUnavailable)(`${args.join(" ")}, ${what}: ${fails ? "said and failed" : "dropped quietly"}, as cp`, () => {
          const root = sandbox("noacl");
          sh(make, root);
          const ramfs = mountRamfs();
          const byCp = run(["cp", ...args, "e", `${ramfs}/by-cp`], { cwd: root, env: { ...env, LC_ALL: "C" } });
          expect(byCp).toEqual({ stdout: "", stderr: fails ? `cp: preserving permissions for '${ramfs}/by-cp': Operation not supported\n` : "", exitCode: fails ? 1 : 0 });
          const byBlit = blit([...args, "e", `${ramfs}/by-blit`], { cwd: root, env });
          expect(byBlit).toEqual({ ...byCp, stderr: byCp.stderr.replaceAll("cp:", "blit:").replaceAll("by-cp", "by-blit") });
          expect(statSync(`${ramfs}/by-blit`).mode).toBe(statSync(`${ramfs}/by-cp`).mode);
        });
      }
    }
  });

  // Made to fail by strace, on a real file: asked for by name, an xattr that cannot be read is an error, as cp's.
  // A copy there already, on a filesystem since made read-only: what would change nothing is not tried.
  describe("onto a tree on a read-only filesystem", () => {
    testIf(tmpfsUnavailable)("-aT says what cp -aT says: the files it cannot create and the times it cannot set, not owners or modes", () => {
      const root = sandbox("read-only-dest");
      const ro = mountTmpfs("size=1m");
      sh(`mkdir -p src/sub && printf x > src/sub/f && printf y > src/g && cp -a src ${ro}/dst && rm ${ro}/dst/g ${ro}/dst/sub/f && touch -d 2001-01-01 src src/sub && mount -o remount,ro ${ro}`, root);
      const byCp = run(["cp", "-aT", "src", `${ro}/dst`], { cwd: root });
      const byBlit = blit(["-aT", "src", `${ro}/dst`], { cwd: root, env });
      const lines = (text: string, tool: string) => text.split("\n").filter(Boolean).map((line) => line.replace(`${tool}: `, "")).sort();
      expect({ exitCode: byBlit.exitCode, stdout: byBlit.stdout, stderr: lines(byBlit.stderr, "blit") }).toEqual({ exitCode: byCp.exitCode, stdout: "", stderr: lines(byCp.stderr, "cp") });
      expect(byCp.exitCode).toBe(1);
    });
  });

  describe.skipIf(!hasCommand("strace") || noAttrTools !== undefined)("SOURCE's xattrs that cannot be read", () => {
    test.each([
      ["flistxattr", "listing attributes of 'f'"],
      ["fgetxattr", "getting attribute 'user.tag' of 'f'"],
    ])("%s failing: --preserve=xattr says so (exit 1, the data copied); -a leaves them quietly, as cp -a", (call, said) => {
      const root = sandbox("xattr-read-fails");
      sh("printf data > f && setfattr -n user.tag -v v f", root);
      const injected = (args: string[]) => run(["strace", "-f", "-o", "/dev/null", "-e", `trace=${call}`, "-e", `inject=${call}:error=EIO:when=1+`, BLIT, ...args], { cwd: root, env });
      expect(injected(["--preserve=xattr", "f", "strict"])).toEqual({ stdout: "", stderr: `blit: ${said}: Input/output error\n`, exitCode: 1 });
      expect(injected(["-a", "f", "quiet"])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect([readFileSync(`${root}/strict`, "utf8"), readFileSync(`${root}/quiet`, "utf8")]).toEqual(["data", "data"]);
    });

    // A directory's are read when it is finished, also when --skip-unchanged finds it as SOURCE's.
    test.each([
      ["a directory", "flistxattr", "mkdir d && setfattr -n user.tag -v v d", ["-r", "--preserve=xattr", "d", "strict"], "listing attributes of 'd'"],
      ["a directory", "fgetxattr", "mkdir d && setfattr -n user.tag -v v d", ["-r", "--preserve=xattr", "d", "strict"], "getting attribute 'user.tag' of 'd'"],
      ["a directory found unchanged", "flistxattr", "mkdir d && setfattr -n user.tag -v v d && cp -a d strict", ["-r", "--preserve=xattr", "--skip-unchanged", "-T", "d", "strict"], "listing attributes of 'd'"],
    ] as const)("%s, %s failing: --preserve=xattr says so once (exit 1)", (_what, call, setup, args, said) => {
      const root = sandbox("xattr-read-fails");
      sh(setup, root);
      const injected = run(["strace", "-f", "-o", "/dev/null", "-e", `trace=${call}`, "-e", `inject=${call}:error=EIO:when=1+`, BLIT, ...args], { cwd: root, env });
      expect(injected).toEqual({ stdout: "", stderr: `blit: ${said}: Input/output error\n`, exitCode: 1 });
    });
  });

  // Made to fail by strace: the first xattr set is refused for want of room
  // (a 64 KiB value from XFS, which ext4 cannot hold); the others, the ACL
  // among them, are still set, as cp sets them.
  describe.skipIf(!hasCommand("strace") || noAttrTools !== undefined)("an xattr DEST has no room for", () => {
    test.each([
      ["-a", ["-a"], "system.posix_acl_access,user.a,user.b"],
      ["--preserve=xattr", ["--preserve=xattr"], "user.a,user.b"],
      ["-r --preserve=all, a directory", ["-r", "--preserve=all"], "system.posix_acl_access,system.posix_acl_default,user.a,user.b"],
    ] as const)("%s: said, exit 1, and every other xattr and ACL still set", (_what, flags, copied) => {
      const root = sandbox("xattr-no-room");
      const directory = (flags as readonly string[]).includes("-r");
      sh(`${directory ? "mkdir f && setfacl -d -m u:4242:rx f" : "printf data > f"} && setfattr -n user.a -v 1 f && setfattr -n user.b -v 2 f && setfacl -m u:4242:rwx f && chmod 751 f`, root);
      const call = directory ? "setxattr,fsetxattr,lsetxattr" : "fsetxattr";
      const r = run(["strace", "-f", "-o", "/dev/null", "-e", `trace=${call}`, "-e", `inject=${call}:error=ENOSPC:when=1`, BLIT, ...flags, "f", "g"], { cwd: root, env });
      // The one refused is the first set: whichever the source's listing gives first (a user.* before a file's ACL).
      const refused = /^blit: setting attribute '([^']+)' for 'g': No space left on device\n$/.exec(r.stderr)?.[1];
      expect({ ...r, stderr: refused === undefined ? r.stderr : "one line" }).toEqual({ stdout: "", stderr: "one line", exitCode: 1 });
      expect(copied.split(",")).toContain(refused!);
      const names = sh("getfattr --absolute-names -m - g | grep -v '^#' | grep -v '^$' | sort | paste -sd,", root).trim();
      expect(names).toBe(copied.split(",").filter((name) => name !== refused).join(","));
    });
  });

  // XFS lists its own store of an inode's ACLs to root as trusted.SGI_ACL_*
  // xattrs beside system.posix_acl_*; cp leaves them (/etc/xattr.conf).
  // /etc/xattr.conf's names are Linux's: cp skips user.Beagle.*; on macOS it is any program's name, kept.
  testIf(noAttrTools)("an xattr cp never copies (user.Beagle.*) is left out by the Linux backend only", () => {
    const root = sandbox("beagle");
    sh("printf x > f && setfattr -n user.Beagle.note -v v f && setfattr -n user.kept -v k f", root);
    expect(blit(["-a", "f", "g"], { cwd: root, env })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const names = sh("getfattr --absolute-names -m - g | grep user. | sort | paste -sd,", root).trim();
    expect(names).toBe(env.BLIT_DARWIN_SHIM === undefined ? "user.kept" : "user.Beagle.note,user.kept");
    if (env.BLIT_DARWIN_SHIM === undefined) expect(sh("cp -a f by-cp && getfattr --absolute-names -m - by-cp | grep user. | sort | paste -sd,", root).trim()).toBe(names);
  });

  describe("from XFS, whose ACLs root also sees as trusted.SGI_ACL_* xattrs", () => {
    // Linux's names only: on macOS (the POSIX core here stands for it) trusted.SGI_* is any program's xattr, copied as such.
    const linuxNames = env.BLIT_DARWIN_SHIM === undefined ? undefined : "macOS has no XFS: these names are ordinary xattrs there";
    testIf(noAttrTools ?? xfsUnavailable ?? linuxNames)("they are not copied: --no-preserve=mode drops the ACLs, and -a onto ext4 makes only the ACLs, as cp", () => {
      const root = sandbox("xfs-acls");
      const xfs = mountXfs(300);
      sh("mkdir -p src/d && printf x > src/f && setfacl -m u:4242:rwx src/f && setfacl -d -m u:4242:rx src/d", xfs);
      expect(sh("getfattr --absolute-names -m - src/f src/d | grep SGI_ACL | sort | paste -sd,", xfs).trim()).toBe("trusted.SGI_ACL_DEFAULT,trusted.SGI_ACL_FILE");
      /** Each entry and its xattrs' names, in an order of their own (the two copies may list their entries in different orders). */
      const names = (dir: string) => sh(`cd ${dir} && find . | sort | while read -r p; do echo "$p: $(getfattr --absolute-names -m - "$p" | grep -v '^#' | sort | paste -sd' ')"; done`).trim();
      for (const [flags, into] of [[["-a", "--no-preserve=mode"], xfs], [["-a"], root], [["-r", "--preserve=xattr"], xfs]] as const) {
        const label = `${flags.join(" ")} into ${into === xfs ? "XFS" : "the sandbox"}`;
        expect({ label, ...blit([...flags, `${xfs}/src`, `${into}/by-blit`], { env }) }).toEqual({ label, stdout: "", stderr: "", exitCode: 0 });
        expect(run(["cp", ...flags, `${xfs}/src`, `${into}/by-cp`]).exitCode).toBe(0);
        expect({ label, names: names(`${into}/by-blit`) }).toEqual({ label, names: names(`${into}/by-cp`) });
        sh(`rm -rf ${into}/by-blit ${into}/by-cp`);
      }
      // -a keeps the ACLs themselves, and a second run finds nothing to change (the XFS copy's own SGI names not taken for extra xattrs).
      expect(blit(["-a", `${xfs}/src`, `${xfs}/copy`], { env }).exitCode).toBe(0);
      expect(sh("getfacl -cp copy/f | grep 4242", xfs).trim()).toBe("user:4242:rwx");
      const again = blit(["-aT", "--skip-unchanged", "--itemize", `${xfs}/src`, `${xfs}/copy`], { env });
      expect({ ...again, stdout: again.stdout.split("\n").filter(Boolean).sort() }).toEqual({
        stdout: [`.d          ${xfs}/copy/`, `.d          ${xfs}/copy/d/`, `.f          ${xfs}/copy/f`],
        stderr: "",
        exitCode: 0,
      });
    });
  });

  describe("as a user without privileges", () => {
    testIf(needsRoot ?? noAttrTools)("blit -a as nobody makes what cp -a as nobody makes", () => {
      const root = sandbox("nobody");
      chmodSync(root, 0o755);
      sh(`${EVERYDAY_TREE}\n${ROOT_TREE.replace(/mknod[^\n]*\n/, "")}`, root);
      sh("chmod -R a+rX tree && chmod 555 tree/modes/readonly && mkdir out scratch && chown nobody out scratch", root);
      // With no usable home, blit keeps its shim in $TMPDIR/blit-<uid>: here,
      // so that it goes when the sandbox does.
      const asNobody = (cmd: string[]) =>
        run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", ...cmd], {
          cwd: root,
          env: { ...env, HOME: "/nonexistent", TMPDIR: `${root}/scratch`, XDG_CACHE_HOME: undefined },
        });
      const mine = asNobody([`${import.meta.dir}/../../dist/blit`, "-a", "tree", "out/by-blit"]);
      const theirs = asNobody(["cp", "-a", "tree", "out/by-cp"]);
      const lines = (text: string, tool: string) => text.replaceAll(`${tool}:`, "TOOL:").split("\n").sort();
      expect(lines(mine.stderr, "blit")).toEqual(lines(theirs.stderr, "cp"));
      expect(mine.exitCode).toBe(theirs.exitCode);
      expect(tree(`${root}/out/by-blit`, { times: true })).toEqual(tree(`${root}/out/by-cp`, { times: true }));
    });
  });
});

// A default ACL on the destination decides what new entries get (the kernel
// ignores the umask there) and is inherited as their own ACL: -p must not
// keep what SOURCE lacks (it would grant access SOURCE did not), and without
// -p the ACL, not the umask, limits the mode, as cp's copies get them.
describe("into a directory with a default ACL, as cp", () => {
  const CASES: [name: string, args: string[]][] = [
    ["-a: SOURCE's permissions, nothing inherited", ["-a"]],
    ["-p: so too", ["-rp"]],
    ["-r: the default ACL, not the umask, limits the modes", ["-r"]],
    ["-a --no-preserve=mode: so too", ["-a", "--no-preserve=mode"]],
    ["-r --preserve=ownership: made without group and other bits, those the umask allows added back", ["-r", "--preserve=ownership"]],
    ["-d --preserve=ownership,timestamps: so too", ["-d", "-r", "--preserve=ownership,timestamps"]],
  ];
  for (const [name, args] of CASES) {
    testIf(noAttrTools)(name, () => {
      const root = sandbox("default-acl");
      sh(`${EVERYDAY_TREE}
        mkdir -p tree/private tree/open && printf s > tree/private/secret && chmod 750 tree/private && chmod 640 tree/private/secret &&
        printf o > tree/open/f && chmod 664 tree/open/f && chmod 2775 tree/open && mkfifo -m 644 tree/open/p &&
        mkdir by-blit by-cp && for d in by-blit by-cp; do setfacl -d -m u::rwx,u:nobody:rwx,g::rwx,o::--- $d; done`, root);
      const mine = run(["sh", "-c", `umask 022 && exec "$0" "$@"`, `${ROOT}/dist/blit`, ...args, "tree", "by-blit/tree"], { cwd: root });
      const theirs = run(["sh", "-c", `umask 022 && exec cp "$@"`, "cp", ...args, "tree", "by-cp/tree"], { cwd: root });
      expect([mine.stderr, mine.exitCode]).toEqual([theirs.stderr.replaceAll("cp:", "blit:"), theirs.exitCode]);
      const times = args.includes("-a") && !args.includes("--no-preserve=mode");
      expect(tree(`${root}/by-blit/tree`, { times })).toEqual(tree(`${root}/by-cp/tree`, { times }));
    });
  }

  testIf(noAttrTools ?? needsRoot)("-a: what nobody may not read in SOURCE, nobody may not read in the copy", () => {
    const root = sandbox("default-acl-read");
    sh("mkdir -p s/sub d && printf secret > s/sub/x && chmod 750 s/sub s/sub/x && setfacl -d -m u:nobody:rwx d && chmod 755 d", root);
    expect(blit(["-a", "s", "d/"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const read = run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat", "d/s/sub/x"], { cwd: root });
    expect(read.exitCode).not.toBe(0);
    expect(sh("getfacl -cp d/s/sub/x", root)).toBe("user::rwx\ngroup::r-x\nother::---\n\n");
  });

  testIf(noAttrTools)("-a over a directory that has an ACL of its own SOURCE lacks: removed, as cp -a removes it", () => {
    const root = sandbox("dir-acl");
    sh("mkdir -p s/sub d/s/sub && chmod 750 s/sub && setfacl -m u:nobody:rwx d/s/sub && setfacl -d -m u:nobody:rwx d/s/sub", root);
    expect(blit(["-a", "s", "d/"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sh("getfacl -cp d/s/sub", root)).toBe("user::rwx\ngroup::r-x\nother::---\n\n");
  });
});

// Root that cannot give an owner is told, as cp -a tells root (its chown_failure_ok): a root-squashing NFS, a user
// namespace's unmapped ids. blit said nothing, exit 0, every copy root's (helper-188). A user who is not root is not told.
describe.skipIf(!isRoot || !hasCommand("strace"))("-a as root, the chown failing", () => {
  test.each([["EPERM", "Operation not permitted"], ["EINVAL", "Invalid argument"], ["EIO", "Input/output error"]])("%s: said as cp says it, exit 1, as cp", (errno, reason) => {
    const root = sandbox("root-chown");
    sh("printf x > f && chown 1000:1000 f", root);
    const inject = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fchown,fchownat", "-e", `inject=fchown,fchownat:error=${errno}`];
    const mine = run([...inject, BLIT, "-a", "f", "by-blit"], { cwd: root });
    const theirs = run([...inject, "cp", "-a", "f", "by-cp"], { cwd: root });
    expect(mine).toEqual({ stdout: "", stderr: `blit: failed to preserve ownership for 'by-blit': ${reason}\n`, exitCode: 1 });
    expect({ ...theirs, stderr: theirs.stderr.replace("by-cp", "by-blit").replace("cp:", "blit:") }).toEqual(mine);
    expect(readFileSync(`${root}/by-blit`, "utf8")).toBe("x");
  });

  // A file replaced without -p gets the old one's owners (cp writes into it and keeps them): where they cannot be given, quiet, as cp is.
  test("a file replaced without -p, its old owner not given: quiet, exit 0", () => {
    const root = sandbox("root-chown-replaced");
    sh("printf new > f && printf old > g && chown 1000:1000 g", root);
    const r = run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fchown,fchownat", "-e", "inject=fchown,fchownat:error=EPERM", BLIT, "f", "g"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(`${root}/g`, "utf8")).toBe("new");
  });
});
