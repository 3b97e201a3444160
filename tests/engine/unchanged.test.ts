// --skip-unchanged and --checksum: a second run leaves what holds SOURCE's
// data already (same inode, never rewritten) and sets only the attributes
// that differ; judged against rsync -aHAX (and rsync -aHAX --checksum) run
// on an identical destination.

import { describe, expect, test } from "bun:test";
import { closeSync, constants, lstatSync, openSync, readFileSync, writeSync } from "node:fs";
import { BLIT, blit, blitJson, hasCommand, isRoot, run, sh, stats } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { EVERYDAY_TREE } from "../helpers/fixtures.ts";
import { mountRamfs, mountTmpfs, tmpfsUnavailable } from "../helpers/mounts.ts";
import { snapshot, tree } from "../helpers/tree.ts";

const noRsync = hasCommand("rsync") ? undefined : "rsync is not installed";
const noAttr = hasCommand("setfattr") ? undefined : "setfattr (attr) is not installed";

/**
 * blit as nobody (uid and gid 65534, no other groups, `caps` given to it by
 * setpriv) in root, whose home/ is its HOME: the shim is unpacked there.
 */
function blitAsNobody(root: string, args: string[], caps: string[] = []) {
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...caps, BLIT, ...args], {
    cwd: root,
    env: { ...process.env, HOME: `${root}/home`, XDG_CACHE_HOME: "", TMPDIR: `${root}/home` },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode };
}

/** src, and dst made from it by blit -a; `change` then runs in the root; dst-r and dst-b are copies of dst for rsync and blit. */
function scenario(label: string, change: string, root = sandbox(label)): string {
  sh(
    `mkdir -p src/sub && printf aaaa > src/a && printf bbbb > src/sub/b && printf cccc > src/sub/c && ln -s a src/l &&
     ln src/sub/c src/c-link && setfattr -n user.k -v v src/a && mkfifo src/fifo &&
     find src -depth -exec touch -h -d '2010-01-02 03:04:05.123456789' {} +`,
    root,
  );
  const first = blit(["-a", "src", "dst"], { cwd: root });
  if (first.exitCode !== 0) throw new Error(first.stderr);
  sh(`( ${change} ) && cp -a dst dst-r && cp -a dst dst-b`, root);
  return root;
}

/** Inode numbers of the regular files and symlinks below dir, by relative path. */
function inodes(dir: string, names: string[]): Record<string, number> {
  return Object.fromEntries(names.map((name) => [name, lstatSync(`${dir}/${name}`).ino]));
}

// What changes between the runs; "kept": entries whose inode must stay (never rewritten).
const CASES: { name: string; change: string; kept: string[] }[] = [
  { name: "nothing changed", change: "true", kept: ["a", "sub/b", "sub/c", "c-link", "l", "fifo"] },
  {
    name: "a file's bytes changed, size and mtime kept (the quick check cannot tell; neither copies it)",
    change: "touch -r src/a ref && printf ZZ | dd of=src/a conv=notrunc status=none && touch -r ref src/a",
    kept: ["a", "sub/b"],
  },
  { name: "a file grew", change: "printf more >> src/sub/b && touch -d '2010-01-02 03:04:05.123456789' src/sub src/sub/b", kept: ["a", "sub/c"] },
  { name: "a file's mtime changed only", change: "touch -d '2011-01-01' src/sub/b", kept: ["a"] },
  { name: "the destination's mode changed", change: "chmod 600 dst/a dst/sub/b", kept: ["a", "sub/b"] },
  { name: "the destination is newer", change: "touch dst/a", kept: ["sub/b"] },
  { name: "a symlink's target changed", change: "ln -sfn sub/b src/l && touch -h -d '2010-01-02 03:04:05.123456789' src/l src", kept: ["a"] },
  { name: "a file in DEST became a symlink", change: "rm dst/sub/b && ln -s ../a dst/sub/b", kept: ["a"] },
  { name: "the destination's xattr changed", change: "setfattr -n user.k -v other dst/a", kept: ["a"] },
  { name: "a fifo's mode changed in DEST", change: "chmod 600 dst/fifo", kept: ["fifo", "a"] },
  { name: "DEST has xattrs SOURCE lacks (removed)", change: "setfattr -n user.extra -v 1 dst/a && setfattr -n user.only -v 2 dst/sub/b", kept: ["a", "sub/b"] },
  { name: "DEST has an ACL SOURCE lacks (removed, the mode set back)", change: "setfacl -m u:nobody:rw dst/sub/b", kept: ["a", "sub/b"] },
  // Not kept as cp keeps a replaced file's: the next run, finding it unchanged, would remove them.
  {
    name: "a file changed whose copy in DEST has xattrs SOURCE lacks: the new copy has SOURCE's only",
    change: "printf more >> src/sub/b && touch -d '2010-01-02 03:04:05.123456789' src/sub/b && setfattr -n user.extra -v 1 dst/sub/b",
    kept: ["a"],
  },
];

describe("--skip-unchanged against rsync -aHAX", () => {
  for (const c of CASES) {
    testIf(noRsync ?? noAttr)(c.name, () => {
      const root = scenario("skip", c.change);
      const before = inodes(`${root}/dst-b`, c.kept);
      sh("rsync -aHAX src/ dst-r/", root);
      const r = blit(["-aT", "--skip-unchanged", "src", "dst-b"], { cwd: root });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(tree(`${root}/dst-b`, { times: true })).toEqual(tree(`${root}/dst-r`, { times: true }));
      expect(inodes(`${root}/dst-b`, c.kept)).toEqual(before);
    });
  }

  // On tmpfs no walk runs beside the copy: the shim stats both sides of
  // each name it lists and counts the files the same there, no attribute
  // to set (blit_list_unchanged); the engine decides the rest, as above.
  // Of the scenario's files only sub/b can be so: a has an xattr, sub/c two
  // names (which also keeps the copy off the main thread, where it is
  // decided in the engine). The other cases are the shim's to leave to the
  // engine. BLIT_STAT_WAIT_NS: no stat, however slow on a busy machine,
  // sends a listing the ring's way instead.
  const LISTED_CASES: typeof CASES = [
    ...CASES,
    { name: "SOURCE's file given an xattr, its mtime kept (set on DEST's)", change: "setfattr -n user.new -v 1 src/sub/b", kept: ["a", "sub/b"] },
    { name: "a file in DEST became a symlink to a copy outside it, of SOURCE's size, mtime, mode and owner", change: "cp -a src/sub/b outside && rm dst/sub/b && ln -s $PWD/outside dst/sub/b", kept: ["a"] },
    { name: "the owner changed in DEST", change: "chown 1000:1000 dst/sub/b", kept: ["a", "sub/b"] },
    { name: "a file in DEST given a second name", change: "ln dst/sub/b dst/b-too", kept: ["a", "sub/b"] },
    // b-too, met first, is copied anew and sub/b linked to it, where rsync links b-too to sub/b, which it keeps.
    { name: "a file in SOURCE given a second name", change: "ln src/sub/b src/b-too && touch -h -d '2010-01-02 03:04:05.123456789' src src/sub", kept: ["a"] },
  ];
  for (const c of LISTED_CASES) {
    testIf(noRsync ?? noAttr ?? tmpfsUnavailable)(`on tmpfs, decided as listed: ${c.name}`, () => {
      const root = scenario("skip-listed", c.change, mountTmpfs());
      const before = inodes(`${root}/dst-b`, c.kept);
      const outside = c.change.includes("outside") ? sh("stat -c '%i %s %Y' outside", root) : "";
      sh("rsync -aHAX src/ dst-r/", root);
      const r = blit(["-aT", "--stats", "--skip-unchanged", "src", "dst-b"], { cwd: root, env: { BLIT_STAT_WAIT_NS: "3600000000000" } });
      expect([r.stderr, r.exitCode]).toEqual(["", 0]);
      expect(stats(r.stdout)["files found unchanged from the walks' listings"]).toBe("0");
      if (c.name === "nothing changed") expect(stats(r.stdout)["files found unchanged as listed, statted then"]).toBe("1");
      expect(tree(`${root}/dst-b`, { times: true })).toEqual(tree(`${root}/dst-r`, { times: true }));
      expect(inodes(`${root}/dst-b`, c.kept)).toEqual(before);
      if (outside) expect(sh("stat -c '%i %s %Y' outside", root)).toBe(outside);
    });
  }

  // rsync sets an unchanged file's access ACL, and the rwx bits with it,
  // before it itemizes the file: those bits are told in the `a`, not as `p`
  // (a setgid bit still is); a directory is itemized before, with both.
  const ACL_LETTERS: [what: string, setup: string][] = [
    ["DEST's ACL removed, its mask in the group bits", "chmod 644 s/f && cp -a s/f d/f && setfacl -m u:nobody:rw d/f"],
    ["DEST's ACL removed, other bits differing too", "chmod 755 s/f && cp -a s/f d/f && chmod 644 d/f && setfacl -m u:nobody:r d/f"],
    ["SOURCE's ACL set", "chmod 644 s/f && cp -a s/f d/f && chmod 600 d/f && setfacl -m u:nobody:r s/f"],
    ["DEST's ACL removed, setgid differing", "chmod 2644 s/f && cp -a s/f d/f && chmod 644 d/f && setfacl -m u:nobody:r d/f"],
    ["the mode alone differing", "chmod 644 s/f && cp -a s/f d/f && chmod 600 d/f"],
    ["a directory's ACL removed", "rm s/f && chmod 755 s && cp -a s/. d && setfacl -m u:nobody:rw d"],
  ];
  for (const [what, setup] of ACL_LETTERS) {
    testIf(noRsync ?? (hasCommand("setfacl") ? undefined : "setfacl (acl) is not installed"))(`--itemize letters of an unchanged entry: ${what}, as rsync -i tells them`, () => {
      const root = sandbox("acl-letters");
      sh(`mkdir s d && printf x > s/f && touch -d 2010-01-01 s/f && ${setup} && touch -d 2010-01-01 s d && cp -a d r`, root);
      const theirs = sh("rsync -aAXi s/ r/", root).split("\n").filter(Boolean).map((line) => line.slice(0, 11));
      const r = blit(["-aT", "--skip-unchanged", "--itemize", "s", "d"], { cwd: root });
      expect([r.stderr, r.exitCode]).toEqual(["", 0]);
      const mine = r.stdout.split("\n").filter((line) => line !== "" && !line.endsWith("          d/")).map((line) => line.slice(0, 11));
      expect(mine).toEqual(theirs);
      expect(theirs.length).toBe(1);
    });
  }

  // -u keeps what is as new as SOURCE or newer (cp's rule, which also keeps
  // one of SOURCE's mtime but another size, where rsync -u copies): those of
  // SOURCE's size and mtime are left as unchanged, their attributes set, as
  // rsync -u sets them (blit left their mode and owner as they were).
  const UPDATE_CASES = [...CASES.filter((c) => /nothing changed|mtime changed only|destination's mode|destination is newer|destination's xattr|fifo's mode|SOURCE lacks \(removed/.test(c.name)),
    { name: "the owners changed in DEST, a symlink's too", change: "chown -h 1000:1000 dst/a dst/sub/b dst/l", kept: ["a", "sub/b", "l"] }];
  for (const [flag, rsyncFlag] of [["--skip-unchanged", ""], ["--checksum", "c"]] as const) {
    for (const c of UPDATE_CASES) {
      testIf(noRsync ?? noAttr ?? (isRoot ? undefined : "needs root to give files other owners"))(`-u ${flag}: ${c.name}`, () => {
        const root = scenario("skip-u", c.change);
        const before = inodes(`${root}/dst-b`, c.kept);
        sh(`rsync -aHAXu${rsyncFlag} src/ dst-r/`, root);
        const r = blit(["-aTu", flag, "src", "dst-b"], { cwd: root });
        expect([r.stderr, r.exitCode]).toEqual(["", 0]);
        expect(tree(`${root}/dst-b`, { times: true })).toEqual(tree(`${root}/dst-r`, { times: true }));
        expect(inodes(`${root}/dst-b`, c.kept)).toEqual(before);
      });
    }
  }
  if (UPDATE_CASES.length !== 9) throw new Error("-u's cases: a name in CASES changed");

  // Written in place, the file kept them: the next run, finding it unchanged, removed them.
  for (const flag of ["--skip-unchanged", "--checksum"]) {
    testIf(noRsync ?? noAttr)(`${flag} --inplace: a file changed whose copy in DEST has xattrs SOURCE lacks is written in place with SOURCE's alone, as rsync --inplace leaves it`, () => {
      const root = scenario("inplace-xattrs", "printf more >> src/sub/b && touch -d '2010-01-02 03:04:05.123456789' src/sub/b && setfattr -n user.extra -v 1 dst/sub/b");
      const inode = lstatSync(`${root}/dst-b/sub/b`).ino;
      sh(`rsync -aHAX --inplace ${flag === "--checksum" ? "-c" : ""} src/ dst-r/`, root);
      const r = blit(["-aT", "--inplace", flag, "src", "dst-b"], { cwd: root });
      expect([r.stdout, r.stderr, r.exitCode]).toEqual(["", "", 0]);
      expect(lstatSync(`${root}/dst-b/sub/b`).ino).toBe(inode);
      expect(tree(`${root}/dst-b`, { times: true })).toEqual(tree(`${root}/dst-r`, { times: true }));
      expect(tree(`${root}/dst-b`, { times: true })).toEqual(tree(`${root}/src`, { times: true }));
    });
  }

  testIf(noAttr)("an unchanged tree: nothing copied, every entry counted unchanged, -v silent", () => {
    const root = scenario("again", "true");
    const r = blit(["-aTv", "--stats", "--skip-unchanged", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const s = stats(r.stdout);
    expect([s.files, s.symlinks, s["special files"], s["hard links"], s.unchanged, s["attributes set on unchanged"]]).toEqual(["0", "0", "0", "0", "6", "0"]);
    expect(r.stdout.split("\n").filter((line) => line.startsWith("'"))).toEqual([]);
  });

  testIf(noAttr)("an unchanged tree's directories are left as they are (as rsync leaves them): no chmod, chown or utimes, their ctimes kept", () => {
    const root = scenario("dirs-kept", "true");
    const ctimes = () => ["dst", "dst/sub"].map((dir) => lstatSync(`${root}/${dir}`, { bigint: true }).ctimeNs);
    const before = ctimes();
    const r = blit(["-aT", "--itemize", "--stats", "--skip-unchanged", "src", "dst"], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(ctimes()).toEqual(before);
    // Listed as rsync -ii lists them, with nothing changed.
    expect(r.stdout.split("\n").filter((line) => line.startsWith(".d"))).toEqual([".d          dst/", ".d          dst/sub/"]);
    expect(stats(r.stdout)["attributes set on unchanged"]).toBe("0");
  });

  testIf(noAttr)("a directory that was there gets what differs from SOURCE's (listed, as rsync lists it when it reaches it), and its mtime back once its entries changed it", () => {
    const root = scenario("dirs-align", "chmod 700 dst/sub && printf new > src/new && touch -d '2010-01-02 03:04:05.123456789' src");
    const r = blit(["-aT", "--itemize", "--stats", "--skip-unchanged", "src", "dst"], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    // dst itself is as SOURCE is when reached: dots, as rsync -ii lists it.
    expect(r.stdout.split("\n").filter((line) => line.startsWith(".d"))).toEqual([".d          dst/", ".d...p..... dst/sub/"]);
    expect(stats(r.stdout)["attributes set on unchanged"]).toBe("1");
    expect(tree(`${root}/dst`, { times: true })).toEqual(tree(`${root}/src`, { times: true }));
  });

  testIf(noAttr)("attributes that differ are set without rewriting the data, and counted", () => {
    const root = scenario("attrs", "chmod 600 dst/sub/c && setfattr -n user.k -v other dst/a && touch -h -d 2012-01-01 dst/l");
    const inode = lstatSync(`${root}/dst/a`).ino;
    const r = blit(["-aT", "--stats", "--skip-unchanged", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout)["attributes set on unchanged"]).toBe("3");
    expect(stats(r.stdout).files).toBe("0");
    expect(lstatSync(`${root}/dst/a`).ino).toBe(inode);
    expect(tree(`${root}/dst`, { times: true })).toEqual(tree(`${root}/src`, { times: true }));
  });

  testIf(isRoot ? noAttr : "changing a file's owner needs root")("an owner changed in DEST is set back (as root)", () => {
    const root = scenario("owner", "chown 1:1 dst/a dst/sub/b");
    const r = blit(["-aT", "--skip-unchanged", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(snapshot(`${root}/dst`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  });

  // The kernel drops a file's capabilities on chown, as it drops setuid; rsync -X sets them again.
  testIf(!isRoot ? "file capabilities and owners need root" : (noRsync ?? (hasCommand("setcap") ? undefined : "setcap (libcap2-bin) is not installed")))(
    "an unchanged file whose owner changed keeps its file capabilities (a chown drops them: set again, as rsync -X does)",
    () => {
      const root = sandbox("caps");
      sh("mkdir src && printf aaaa > src/ping && setcap cap_net_raw+ep src/ping && cp -a src dst && cp -a src dst-r && chown 1:1 src/ping && setcap cap_net_raw+ep src/ping", root);
      const rsync = sh("rsync -aHAX -i src/ dst-r/", root);
      expect(rsync).toContain(".f....og..x ping\n");
      const r = blit(["-aT", "--skip-unchanged", "--itemize", "src", "dst"], { cwd: root });
      expect(r).toEqual({ stdout: ".d          dst/\n.f....og..x dst/ping\n", stderr: "", exitCode: 0 });
      expect(sh("getcap dst/ping", root)).toBe("dst/ping cap_net_raw=ep\n");
      expect(tree(`${root}/dst`, { times: true })).toEqual(tree(`${root}/dst-r`, { times: true }));
      expect(tree(`${root}/dst`, { times: true })).toEqual(tree(`${root}/src`, { times: true }));
    },
  );

  // -a drops them quietly there, as cp does; rsync -X fails on each, every run.
  // SOURCE's directory read-only to its owner with an ACL: set as it was reached, the ACL locked the
  // directory before its new entries were copied in (a review of 0ddb889); it comes once they are.
  testIf(isRoot ? (hasCommand("setfacl") && hasCommand("setpriv") ? undefined : "setfacl (acl) or setpriv is not installed") : "needs root to run as nobody")("a directory that was there, read-only to its owner with an ACL in SOURCE: its new entries are copied first (as nobody)", () => {
    const root = sandbox("unchanged-acl-lock");
    sh("mkdir -p src/d && printf a > src/d/old && cp -a src dst && printf n > src/d/new && setfacl -m u:bin:rwx src/d && chmod u-w src/d && chown -R nobody: src dst && chmod 777 .", root);
    const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BLIT, "-a", "--skip-unchanged", "--itemize", "-T", "src", "dst"], { cwd: root, env: { ...process.env, HOME: "/nonexistent", XDG_CACHE_HOME: "", TMPDIR: root }, stdout: "pipe", stderr: "pipe" });
    expect({ stderr: r.stderr.toString(), exitCode: r.exitCode }).toEqual({ stderr: "", exitCode: 0 });
    expect(r.stdout.toString()).toContain(">f+++++++++ dst/d/new\n");
    expect(readFileSync(`${root}/dst/d/new`, "utf8")).toBe("n");
    expect(sh("getfacl -cp dst/d", root)).toContain("user:bin:rwx");
  });

  // A user's copy of root's files (cp -a's, rsync -a's) has the user's owner, and a set-id file's no set-id bit:
  // told as "og" and counted on every run, they made a second run never find the tree unchanged (a QA review).
  testIf(isRoot ? (hasCommand("setpriv") ? undefined : "setpriv is not installed") : "needs root to run as nobody")("as another user, owners it cannot give are no difference: root's tree copied again is unchanged, a setuid file's copy too", () => {
    const root = sandbox("unchanged-owners");
    sh("mkdir -p src/sub home && printf a > src/a && printf b > src/sub/b && printf s > src/suid && chmod 4755 src/suid && chmod 777 . home", root);
    const asNobody = (args: string[], caps: string[] = []) => blitAsNobody(root, args, caps);
    expect(asNobody(["-a", "src", "dst"])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect((lstatSync(`${root}/dst/suid`).mode & 0o7777).toString(8)).toBe("755");
    const again = asNobody(["-aT", "--skip-unchanged", "--itemize", "src", "dst"]);
    expect([again.stdout.split("\n").filter(Boolean).map((line) => line.slice(0, 12)).sort(), again.stderr, again.exitCode]).toEqual([[".d          ", ".d          ", ".f          ", ".f          ", ".f          "], "", 0]);
    expect(stats(asNobody(["-aT", "--skip-unchanged", "--stats", "src", "dst"]).stdout)).toMatchObject({ files: "0", unchanged: "3", "attributes set on unchanged": "0" });
    // As root the same tree's owners are given: told, then set.
    const byRoot = blit(["-aT", "--skip-unchanged", "--itemize", "src", "dst"], { cwd: root });
    expect([byRoot.stdout.split("\n").filter((line) => line.endsWith("dst/suid"))[0], byRoot.stderr, byRoot.exitCode]).toEqual([".f...pog... dst/suid", "", 0]);
    expect(lstatSync(`${root}/dst/suid`).uid).toBe(0);
    // Owners that are SOURCE's, set-id bits too (root made them so): no difference for the user either.
    const same = asNobody(["-aT", "--skip-unchanged", "--itemize", "src", "dst"]);
    expect([same.stdout.split("\n").filter((line) => line.endsWith("dst/suid")), same.stderr, same.exitCode]).toEqual([[".f          dst/suid"], "", 0]);
    // A user who may give any owner (CAP_CHOWN, as a backup service may run) is told and given them.
    sh("chown 65534:65534 dst/a", root);
    const caps = ["--inh-caps=+chown,+fowner", "--ambient-caps=+chown,+fowner"];
    const capable = asNobody(["-aT", "--skip-unchanged", "--itemize", "src", "dst"], caps);
    expect([capable.stdout.split("\n").filter((line) => line.endsWith("dst/a")), capable.stderr, capable.exitCode]).toEqual([[".f....og... dst/a"], "", 0]);
    expect([lstatSync(`${root}/dst/a`).uid, lstatSync(`${root}/dst/a`).gid]).toEqual([0, 0]);
  });

  // A file capability only root may set, and owners the user cannot give, were told on every run (helper-201).
  testIf(isRoot ? (hasCommand("setpriv") && hasCommand("setcap") ? undefined : "setpriv or setcap (libcap2-bin) is not installed") : "needs root to run as nobody")("as another user, a file capability it cannot set is no difference; a file written over another is told without the o, g or set-id p it cannot give", () => {
    const root = sandbox("unchanged-capability");
    sh("mkdir -p src home && printf p > src/ping && setcap cap_net_raw+ep src/ping && printf one > src/f && printf s > src/suid && chmod 4755 src/suid && touch -d 2020-01-01 src/f src/suid && chmod 777 . home", root);
    const asNobody = (args: string[], caps: string[] = []) => blitAsNobody(root, args, caps);
    const pingLines = (args: string[], caps: string[] = []) => {
      const r = asNobody(["-aT", "--skip-unchanged", "--itemize", ...args, "src", "dst"], caps);
      return [r.stdout.split("\n").filter((line) => line.endsWith("dst/ping")), r.stderr, r.exitCode];
    };
    expect(asNobody(["-a", "src", "dst"])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    // A capability DEST's copy has that SOURCE does not grant goes (helper-202: it was kept, unseen); then none is a difference.
    sh("setcap cap_setuid+ep dst/ping", root);
    for (const args of [[], ["--checksum"]]) {
      sh("setcap cap_setuid+ep dst/ping", root);
      expect(pingLines(args)).toEqual([[".f........x dst/ping"], "", 0]);
      expect(sh("getcap dst/ping", root)).toBe("");
      expect(pingLines(args)).toEqual([[".f          dst/ping"], "", 0]);
    }
    // With CAP_SETFCAP a user sets SOURCE's, as root does.
    const setfcap = ["--inh-caps=+setfcap", "--ambient-caps=+setfcap"];
    expect(pingLines([], setfcap)).toEqual([[".f........x dst/ping"], "", 0]);
    expect(sh("getcap dst/ping", root)).toBe("dst/ping cap_net_raw=ep\n");
    expect(pingLines([], setfcap)).toEqual([[".f          dst/ping"], "", 0]);
    sh("setcap -r dst/ping", root);
    for (let run = 0; run < 2; run++) {
      const again = asNobody(["-aT", "--skip-unchanged", "--itemize", "src", "dst"]);
      expect([again.stdout.split("\n").filter((line) => line.endsWith("dst/ping")), again.stderr, again.exitCode]).toEqual([[".f          dst/ping"], "", 0]);
    }
    expect(stats(asNobody(["-aT", "--skip-unchanged", "--stats", "src", "dst"]).stdout)).toMatchObject({ unchanged: "3", "attributes set on unchanged": "0" });
    sh("printf two-longer > src/f && printf s-longer > src/suid && touch -d 2021-01-01 src/f src/suid", root);
    const written = asNobody(["-aT", "--itemize", "src", "dst"]);
    const lines = written.stdout.split("\n").filter((line) => /dst\/(f|suid)$/.test(line)).sort();
    expect([lines, written.stderr, written.exitCode]).toEqual([[">f.st...... dst/f", ">f.st...... dst/suid"], "", 0]);
  });

  // The chown that drops a capability is one any user may make of any file, and it takes the set-id bits too (helper-203).
  testIf(isRoot ? (hasCommand("setpriv") && hasCommand("setcap") ? undefined : "setpriv or setcap (libcap2-bin) is not installed") : "needs root to run as nobody")("as another user, a file capability on root's file in DEST stays, unsaid; from its own set-id file it goes, the set-id bits kept without -p", () => {
    const root = sandbox("unchanged-capability-owners");
    sh("mkdir -p src home && printf r > src/r && printf o > src/own && chown 65534:65534 src/own && chmod 4755 src/own && chmod 777 . home", root);
    const asNobody = (args: string[]) => blitAsNobody(root, args);
    expect(asNobody(["-a", "src", "dst"])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    sh("chown 0:0 dst/r && setcap cap_setuid+ep dst/r && setcap cap_setuid+ep dst/own", root);
    const lines = (r: { stdout: string; stderr: string; exitCode: number }) => [r.stdout.split("\n").filter((line) => /dst\/(r|own)$/.test(line)).sort(), r.stderr, r.exitCode];
    expect(lines(asNobody(["-rT", "--preserve=xattr", "--skip-unchanged", "--itemize", "src", "dst"]))).toEqual([[".f          dst/r", ".f........x dst/own"], "", 0]);
    expect(sh("getcap dst/r dst/own", root)).toBe("dst/r cap_setuid=ep\n");
    expect((lstatSync(`${root}/dst/own`).mode & 0o7777).toString(8)).toBe("4755");
    // Nor does a chown to the owner there, made once an xattr is removed, take them (the mode is not set again).
    sh("setcap cap_setuid+ep dst/own", root);
    expect(lines(asNobody(["-aT", "--no-preserve=mode", "--skip-unchanged", "--itemize", "src", "dst"]))).toEqual([[".f          dst/r", ".f........x dst/own"], "", 0]);
    expect((lstatSync(`${root}/dst/own`).mode & 0o7777).toString(8)).toBe("4755");
    expect(lines(asNobody(["-aT", "--skip-unchanged", "--itemize", "src", "dst"]))).toEqual([[".f          dst/own", ".f          dst/r"], "", 0]);
  });

  // A chown to the owner a file has drops its capability and set-id bits, which a user outside the file's group cannot give back (helper-204).
  testIf(isRoot ? (hasCommand("setpriv") && hasCommand("setcap") && hasCommand("setfacl") ? undefined : "setpriv, setcap (libcap2-bin) or setfacl (acl) is not installed") : "needs root to run as nobody")("no chown to the owner a file has already: an ACL removed or --attributes-only keeps its capability; a user's setgid file of another group keeps its bit and capability", () => {
    const root = sandbox("unchanged-no-chown");
    sh("mkdir -p src dst u/s u/d home && printf f > src/f && printf g > src/g && setcap cap_net_raw+ep src/f && cp -a src/f src/g dst/ && setfacl -m u:65534:r dst/f && chmod 777 . home", root);
    const r = blit(["-aT", "--skip-unchanged", "--itemize", "src", "dst"], { cwd: root });
    expect([r.stdout.split("\n").filter((line) => line.endsWith("dst/f")), r.stderr, r.exitCode]).toEqual([[".f.......a. dst/f"], "", 0]);
    // As cp --attributes-only leaves DEST's xattrs SOURCE lacks.
    sh("setcap cap_sys_time+ep dst/g", root);
    expect(blit(["-a", "--attributes-only", "src/g", "dst/g"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sh("getcap dst/f dst/g", root)).toBe("dst/f cap_net_raw=ep\ndst/g cap_sys_time=ep\n");
    sh("printf x > u/s/f && cp -p u/s/f u/d/f && chown 65534:0 u/s/f u/d/f && chown 65534:65534 u/s u/d && chmod 2755 u/s/f u/d/f && setcap cap_sys_time+ep u/d/f && touch -r u/s/f u/d/f", root);
    for (const args of [["-a"], ["-a", "--no-preserve=mode"], ["-r", "--preserve=xattr"]]) {
      const p = blitAsNobody(root, ["-T", ...args, "--skip-unchanged", "--itemize", "u/s", "u/d"]);
      expect([args, p.stdout.split("\n").filter((line) => line.endsWith("u/d/f")), p.stderr, p.exitCode]).toEqual([args, [".f          u/d/f"], "", 0]);
      expect([args, (lstatSync(`${root}/u/d/f`).mode & 0o7777).toString(8), sh("getcap u/d/f", root)]).toEqual([args, "2755", "u/d/f cap_sys_time=ep\n"]);
    }
  });

  // Opened for reading to be set, its owner's file of mode 0200 failed as "replaced while being copied", yet was listed and counted as set (helper-189).
  testIf(isRoot ? (hasCommand("setpriv") ? undefined : "setpriv is not installed") : "needs root to run as nobody")("as its owner, an unchanged file it may not read (mode 0200, 0000) still gets SOURCE's mode, as rsync -a gives it", () => {
    const root = sandbox("unchanged-unreadable");
    sh("mkdir -p src home && printf a > src/f && printf b > src/g && chmod 644 src/f src/g && chmod 777 . home && chown -R nobody: src", root);
    const asNobody = (args: string[]) => blitAsNobody(root, args);
    expect(asNobody(["-aT", "src", "dst"])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    sh("chmod 200 dst/f && chmod 000 dst/g", root);
    const r = asNobody(["-aT", "--skip-unchanged", "--itemize", "src", "dst"]);
    expect([r.stdout.split("\n").filter((line) => line.startsWith(".f")).sort(), r.stderr, r.exitCode]).toEqual([[".f...p..... dst/f", ".f...p..... dst/g"], "", 0]);
    expect([(lstatSync(`${root}/dst/f`).mode & 0o7777).toString(8), (lstatSync(`${root}/dst/g`).mode & 0o7777).toString(8)]).toEqual(["644", "644"]);
    expect(stats(asNobody(["-aT", "--skip-unchanged", "--stats", "src", "dst"]).stdout)).toMatchObject({ unchanged: "2", "attributes set on unchanged": "0" });
  });

  testIf(tmpfsUnavailable ?? noAttr)("onto a filesystem without xattrs (ramfs): an unchanged tree with xattrs is unchanged on every run, none told or counted as set", () => {
    const ramfs = mountRamfs();
    const root = sandbox("unheld");
    sh("mkdir -p src/d && printf a > src/d/f && printf b > src/d/g && setfattr -n user.k -v v src/d src/d/f src/d/g && ln -s f src/d/l", root);
    expect(blit(["-aT", "src", `${ramfs}/dst`], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const unchanged = [`.d          ${ramfs}/dst/`, `.d          ${ramfs}/dst/d/`, `.f          ${ramfs}/dst/d/f`, `.f          ${ramfs}/dst/d/g`, `.L          ${ramfs}/dst/d/l -> f`].sort();
    for (let run = 0; run < 2; run++) {
      const r = blit(["-aT", "-j1", "--skip-unchanged", "--itemize", "--stats", "src", `${ramfs}/dst`], { cwd: root });
      expect([r.stderr, r.exitCode]).toEqual(["", 0]);
      expect(r.stdout.split("\n").filter((line) => line.startsWith(".")).sort()).toEqual(unchanged);
      expect(stats(r.stdout)["attributes set on unchanged"]).toBe("0");
    }
    // What else differs is still set and told, without the xattrs.
    sh("chmod 600 src/d/g", root);
    const r = blit(["-aT", "--skip-unchanged", "--itemize", "src", `${ramfs}/dst`], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout).toContain(`.f...p..... ${ramfs}/dst/d/g\n`);
    expect(sh(`stat -c %a ${ramfs}/dst/d/g`)).toBe("600\n");
  });

  // An access ACL lost leaves its mask as the group bits: cp -a says so on every copy, rsync -A on every run (its 23).
  testIf(tmpfsUnavailable ?? noAttr)("onto a filesystem without ACLs (ramfs): an access ACL is said on every run, exit 1, the file left unchanged", () => {
    const ramfs = mountRamfs();
    const root = sandbox("unheld-acl");
    sh("mkdir src && printf b > src/g && chmod 640 src/g && setfacl -m u:nobody:r src/g", root);
    const said = { stdout: "", stderr: `blit: preserving permissions for '${ramfs}/dst/g': Operation not supported\n`, exitCode: 1 };
    expect(blit(["-aT", "src", `${ramfs}/dst`], { cwd: root })).toEqual(said);
    expect(blit(["-aT", "--skip-unchanged", "src", `${ramfs}/dst`], { cwd: root })).toEqual(said);
    expect(run(["rsync", "-aHAX", "src/", `${ramfs}/by-rsync`], { cwd: root }).exitCode).toBe(23);
    expect(run(["rsync", "-aHAX", "src/", `${ramfs}/by-rsync`], { cwd: root }).exitCode).toBe(23);
  });

  test("--modify-window=2: mtimes 2 s apart count as equal (the file and its time are left, as rsync leaves them); 3 s apart do not", () => {
    const root = sandbox("window");
    sh("mkdir src && printf aaaa > src/near && printf bbbb > src/far && touch -d '2010-01-01 00:00:10' src/near src/far", root);
    sh("mkdir dst && printf AAAA > dst/near && printf BBBB > dst/far && touch -d '2010-01-01 00:00:08' dst/near && touch -d '2010-01-01 00:00:07' dst/far", root);
    const r = blit(["-aT", "--skip-unchanged", "--modify-window=2", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect([readFileSync(`${root}/dst/near`, "utf8"), readFileSync(`${root}/dst/far`, "utf8")]).toEqual(["AAAA", "bbbb"]);
    expect(lstatSync(`${root}/dst/near`).mtime.toISOString()).toBe("2010-01-01T00:00:08.000Z");
  });

  // DEST's `second` holds SOURCE's second without its fraction, which the
  // default takes for a filesystem that keeps seconds; -1 does not.
  testIf(noRsync)("--modify-window=-1, rsync's 'to the nanosecond exactly': as rsync decides, also for SOURCE's second without its fraction", () => {
    const root = sandbox("window-negative");
    sh("mkdir src && printf aaaa > src/same && printf bbbb > src/apart && printf cccc > src/second && touch -d '2010-01-01 00:00:10.5' src/same src/apart src/second", root);
    sh("mkdir dst && printf AAAA > dst/same && printf BBBB > dst/apart && printf CCCC > dst/second && touch -d '2010-01-01 00:00:10.5' dst/same && touch -d '2010-01-01 00:00:10.7' dst/apart && touch -d '2010-01-01 00:00:10' dst/second", root);
    sh("cp -a dst dst-r && cp -a dst dst-default", root);
    expect(run(["rsync", "-a", "--modify-window=-1", "src/", "dst-r/"], { cwd: root }).exitCode).toBe(0);
    expect(blit(["-aT", "--skip-unchanged", "--modify-window=-1", "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(blit(["-aT", "--skip-unchanged", "src", "dst-default"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const contents = (dir: string) => ["same", "apart", "second"].map((name) => readFileSync(`${root}/${dir}/${name}`, "utf8"));
    expect(contents("dst")).toEqual(["AAAA", "bbbb", "cccc"]);
    expect(contents("dst")).toEqual(contents("dst-r"));
    expect(contents("dst-default")).toEqual(["AAAA", "bbbb", "CCCC"]);
  });

  // SOURCE's mtime is …00.123456789; what DEST's holds decides (its bytes differ, so a copy shows).
  const GRANULARITY: [dstTime: string, left: boolean][] = [
    ["2010-01-01 00:00:00.123456789", true],
    ["2010-01-01 00:00:00.123456", true],
    ["2010-01-01 00:00:00.123457", true],
    ["2010-01-01 00:00:00.123456835", true],
    ["2010-01-01 00:00:00", true],
    ["2010-01-01 00:00:00.123458", false],
    ["2010-01-01 00:00:00.123", false],
    ["2010-01-01 00:00:01", false],
    ["2010-01-01 00:00:01.123456789", false],
  ];
  for (const [dstTime, left] of GRANULARITY) {
    test(`an mtime of ${dstTime} in DEST: within a microsecond of SOURCE's, or its second alone, is the same time (${left ? "left" : "copied"})`, () => {
      const root = sandbox("granule");
      sh(`mkdir src dst && printf aaaa > src/f && printf AAAA > dst/f && touch -d '2010-01-01 00:00:00.123456789' src/f && touch -d '${dstTime}' dst/f`, root);
      const r = blit(["-aT", "--skip-unchanged", "src", "dst"], { cwd: root });
      expect([r.stderr, r.exitCode]).toEqual(["", 0]);
      expect(readFileSync(`${root}/dst/f`, "utf8")).toBe(left ? "AAAA" : "aaaa");
    });
  }

  test("a second run keeps hard links: an unchanged name still stands for its inode, a missing one is linked to it", () => {
    const root = sandbox("links");
    sh("mkdir -p src/x src/y && printf one > src/x/a && ln src/x/a src/y/b && ln src/x/a src/y/c", root);
    sh("mkdir dst && cp -a src/. dst/ && rm dst/y/c", root);
    const r = blit(["-aT", "--skip-unchanged", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(tree(`${root}/dst`, { times: true })).toEqual(tree(`${root}/src`, { times: true }));
  });

  // Each name listed once: the one the others link to as unchanged, the one made a link again as that (it was listed as left too).
  test.each([["--skip-unchanged"], ["--checksum"]])("%s: a name of a hard-linked file copied apart in DEST is linked again, and listed once", (flag) => {
    const root = sandbox("relinked");
    sh("mkdir src && printf one > src/a && ln src/a src/b", root);
    sh("cp -a src dst && rm dst/b && cp -a src/a dst/b", root);
    const r = blit(["-aT", flag, "--itemize", "--stats", "src", "dst"], { cwd: root });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    const items = r.stdout.split("\n").filter((line) => / dst\/[ab]( |$)/.test(line)).sort();
    expect(items.length).toBe(2);
    const [first, linked] = items[0]!.startsWith(".f") ? items : [items[1]!, items[0]!];
    const firstName = first!.slice(12);
    expect(first).toBe(`.f          ${firstName}`);
    expect(linked).toBe(`hf          ${firstName === "dst/a" ? "dst/b" : "dst/a"} => ${firstName}`);
    expect(lstatSync(`${root}/dst/a`).ino).toBe(lstatSync(`${root}/dst/b`).ino);
    expect(stats(r.stdout)).toMatchObject({ files: "0", "hard links": "1", unchanged: "1" });
    // Again: both names of the first copy now, each left and listed once.
    const again = blit(["-aT", flag, "--itemize", "--stats", "src", "dst"], { cwd: root });
    expect([again.stderr, again.exitCode]).toEqual(["", 0]);
    // As rsync -aH -ii: the first name `.f`, the other `hf` (which is first is the listing's order).
    const lines = again.stdout.split("\n").filter((line) => / dst\/[ab]$/.test(line));
    expect(lines.map((line) => line.slice(0, 12)).sort()).toEqual([".f          ", "hf          "]);
    expect(lines.map((line) => line.slice(12)).sort()).toEqual(["dst/a", "dst/b"]);
    expect(stats(again.stdout)).toMatchObject({ files: "0", "hard links": "0", unchanged: "2" });
  });

  test.each([["--skip-unchanged"], ["--checksum"]])("%s: DEST made with cp -al (each file a hard link of SOURCE's) is unchanged, as rsync finds it; -u refuses, as cp", (flag) => {
    const root = sandbox("snapshot");
    sh("mkdir -p src/sub && printf one > src/a && printf two > src/sub/b && ln -s a src/sl && cp -al src dst", root);
    const r = blit(["-aT", flag, "--stats", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout)).toMatchObject({ files: "0", symlinks: "0", unchanged: "3" });
    // The symlink, two names of one inode too, is listed as rsync -ii lists it.
    const listed = blit(["-aT", flag, "--itemize", "src", "dst"], { cwd: root });
    expect([listed.stdout.split("\n").filter((line) => line.includes("dst/sl")), listed.stderr, listed.exitCode]).toEqual([[".L          dst/sl -> a"], "", 0]);
    expect(lstatSync(`${root}/dst/a`).ino).toBe(lstatSync(`${root}/src/a`).ino);
    // Named as operands too.
    const operand = blit(["-a", flag, "src/a", "dst/a"], { cwd: root });
    expect([operand.stderr, operand.exitCode]).toEqual(["", 0]);
    const u = blit(["-aTu", "src", "dst"], { cwd: root });
    expect(u.stderr.split("\n").sort()).toEqual(["", "blit: 'src/a' and 'dst/a' are the same file", "blit: 'src/sub/b' and 'dst/sub/b' are the same file"]);
    expect(u.exitCode).toBe(1);
  });

  // The walks list SOURCE ahead of the workers; what a worker enters is what is there when it gets
  // there (a review: a directory made anew after the walk went by was refused as "replaced while being copied").
  // A file made after the walk listed its directory is in the worker's own listing: a build that took
  // the walk's listing instead (tried, not kept) missed it, and took the listing of a directory removed
  // for the one made anew in its inode.
  test.each([
    ["a subdirectory made anew as a directory", "rm -rf src/p/d && mkdir src/p/d && echo new > src/p/d/new", "dst/p/d/new", ""],
    ["a subdirectory made anew as a file", "rm -rf src/p/d && echo new > src/p/d", "dst/p/d", "blit: cannot overwrite directory 'dst/p/d' with non-directory\n"],
    ["a file made in a subdirectory", "echo new > src/p/d/new", "dst/p/d/new", ""],
  ])(
    "%s after the walks listed it is copied as it is then",
    async (_, change, made, stderr) => {
      const root = sandbox("unchanged-remade");
      sh("mkdir -p src/p/d && for i in $(seq 50); do echo $i > src/p/d/f$i; echo $i > src/p/g$i; done && mkfifo src/a-fifo && cp -a src dst && rm dst/a-fifo", root);
      // --copy-contents reads the fifo, in SOURCE's top directory, before any subdirectory is entered.
      const run = Bun.spawn([BLIT, "-aT", "--skip-unchanged", "--copy-contents", "src", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
      let fifo = -1;
      for (let tries = 0; fifo < 0 && tries < 1000; tries++) {
        try {
          fifo = openSync(`${root}/src/a-fifo`, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch {
          Bun.sleepSync(10);
        }
      }
      expect(fifo).toBeGreaterThanOrEqual(0);
      // The walks of this small tree are done by now, the worker waiting on the fifo.
      Bun.sleepSync(300);
      sh(change, root);
      writeSync(fifo, "data");
      closeSync(fifo);
      const [out, err, exitCode] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
      expect([out, err, exitCode]).toEqual(["", stderr, stderr ? 1 : 0]);
      if (!stderr) expect(readFileSync(`${root}/${made}`, "utf8")).toBe("new\n");
    },
  );

  testIf(noRsync)("the everyday tree, copied again, is left as it is and equals rsync -aHAX's", () => {
    const root = sandbox("everyday");
    sh(EVERYDAY_TREE, root);
    expect(blit(["-a", "tree", "dst"], { cwd: root }).exitCode).toBe(0);
    sh("cp -a dst dst-r", root);
    const r = blit(["-aT", "--skip-unchanged", "--stats", "tree", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout).files).toBe("0");
    expect(stats(r.stdout).bytes).toBe("0");
    sh("rsync -aHAX tree/ dst-r/", root);
    expect(tree(`${root}/dst`, { times: true, skipTimesOf: ["specials"] })).toEqual(tree(`${root}/dst-r`, { times: true, skipTimesOf: ["specials"] }));
  });
});

describe("--checksum against rsync -aHAX --checksum", () => {
  const CHECKSUM_CASES: { name: string; change: string; kept: string[] }[] = [
    { name: "nothing changed", change: "true", kept: ["a", "sub/b", "l"] },
    {
      name: "a file's bytes changed, size and mtime kept: copied",
      change: "touch -r src/a ref && printf ZZ | dd of=src/a conv=notrunc status=none && touch -r ref src/a",
      kept: ["sub/b"],
    },
    { name: "a file's mtime changed only: left, its mtime set", change: "touch -d '2011-01-01' src/sub/b", kept: ["a", "sub/b"] },
    { name: "DEST longer by a byte, same mtime", change: "printf x >> dst/sub/b && touch -d '2010-01-02 03:04:05.123456789' dst/sub/b", kept: ["a"] },
    {
      name: "a file copied again whose copy in DEST has xattrs SOURCE lacks: the new copy has SOURCE's only",
      change: "printf x >> dst/sub/b && touch -d '2010-01-02 03:04:05.123456789' dst/sub/b && setfattr -n user.extra -v 1 dst/sub/b",
      kept: ["a"],
    },
  ];
  for (const c of CHECKSUM_CASES) {
    testIf(noRsync ?? noAttr)(c.name, () => {
      const root = scenario("sum", c.change);
      const before = inodes(`${root}/dst-b`, c.kept);
      sh("rsync -aHAX --checksum src/ dst-r/", root);
      const r = blit(["-aT", "--checksum", "src", "dst-b"], { cwd: root });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(tree(`${root}/dst-b`, { times: true })).toEqual(tree(`${root}/dst-r`, { times: true }));
      expect(inodes(`${root}/dst-b`, c.kept)).toEqual(before);
    });
  }

  test("files of several MiB that differ in their last byte only are told apart", () => {
    const root = sandbox("sum-big");
    // The last byte set, then changed: a random one could already be the new one (1 run in 256).
    sh("mkdir src dst && head -c 4999999 /dev/urandom > src/f && printf a >> src/f && cp -p src/f dst/f && printf b | dd of=src/f bs=1 seek=4999999 conv=notrunc status=none && touch -r dst/f src/f", root);
    const r = blit(["-aT", "--checksum", "--stats", "src", "dst"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout).files).toBe("1");
    expect(readFileSync(`${root}/dst/f`).equals(readFileSync(`${root}/src/f`))).toBe(true);
  });

  // Read to be compared, not used: neither side's access time moves (O_NOATIME), and a
  // file then copied gets SOURCE's as it was, as cp -a's copy does.
  test("the files compared keep their access times; one copied gets SOURCE's as it was", () => {
    const root = sandbox("sum-atime");
    sh("mkdir src && echo x > src/same && echo y > src/changed && touch -d 2001-01-01 src/* && cp -a src dst && echo z > dst/changed && touch -d 2001-01-01 dst/changed && touch -a -d @1012608000 src/same dst/same src/changed", root);
    expect(blit(["-aT", "--checksum", "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sh("stat -c '%n %X' src/same dst/same dst/changed && cat dst/changed", root)).toBe("src/same 1012608000\ndst/same 1012608000\ndst/changed 1012608000\ny\n");
  });
});

describe("--checksum on files large enough to be compared in ranges by several workers", () => {
  // Sparse, so that 640 MiB costs no disk and reads fast; the byte changed
  // lies in the first range, a later one, or the tail's quarter ranges.
  const SIZE = 640 << 20;
  const CASES: { name: string; change: string; copied: boolean }[] = [
    { name: "equal: left, its inode kept", change: "true", copied: false },
    { name: "a byte of SOURCE changed in the first range: copied", change: "printf X | dd of=src/f bs=1 seek=1000 conv=notrunc status=none", copied: true },
    { name: "a byte of SOURCE changed in a later range: copied", change: `printf X | dd of=src/f bs=1 seek=${300 << 20} conv=notrunc status=none`, copied: true },
    { name: "DEST's last byte differs: copied", change: `printf X | dd of=dst/f bs=1 seek=${SIZE - 1} conv=notrunc status=none`, copied: true },
  ];
  let helped = 0;
  for (const c of CASES) {
    test(c.name, () => {
      const root = sandbox("sum-ranges");
      sh(
        `mkdir src dst && truncate -s ${SIZE} src/f && printf abc | dd of=src/f bs=1 seek=${500 << 20} conv=notrunc status=none &&
         cp --sparse=always -p src/f dst/f && ( ${c.change} ) && touch -r dst/f src/f && touch -a -d @1012608000 src/f dst/f`,
        root,
      );
      const before = lstatSync(`${root}/dst/f`).ino;
      const r = blit(["-aT", "--checksum", "--stats", "-j", "3", "src", "dst"], { cwd: root });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect([stats(r.stdout).files, stats(r.stdout).unchanged]).toEqual(c.copied ? ["1", "0"] : ["0", "1"]);
      expect(lstatSync(`${root}/dst/f`).ino === before).toBe(!c.copied);
      // Read by the helpers too to be compared, not used: SOURCE's access time stays, and DEST's (or the copy's, SOURCE's from before).
      expect(sh(`stat -c %X ${c.copied ? "" : "src/f"} dst/f`, root)).toBe(c.copied ? "1012608000\n" : "1012608000\n1012608000\n");
      expect(sh("cmp src/f dst/f && echo same", root).trim()).toBe("same");
      helped += Number(stats(r.stdout)["ranges copied by helpers"]);
      // Past the default 5 s on a loaded machine (two 640 MiB files read whole by cmp).
    }, 60_000);
  }
  // Whether a free worker joins depends on timing, but across the runs above some must have.
  test("the other workers took ranges of the comparisons", () => expect(helped).toBeGreaterThan(0));
});

describe("a second run's --itemize and --json", () => {
  /** name below the copy → code, from `CODE NAME` lines (rsync's -i and blit's --itemize). */
  const codes = (stdout: string, prefix: string | RegExp) =>
    new Map(stdout.split("\n").filter(Boolean).map((line) => [line.slice(12).replace(prefix, ""), line.slice(0, 11)] as const));

  testIf(noRsync)("--itemize --skip-unchanged --delete: rsync -ai --delete's codes for what changed and what went; unchanged entries as rsync -ii shows them", () => {
    const root = sandbox("again-itemize");
    sh("mkdir -p src/sub && printf a > src/a && printf b > src/sub/b && printf s > src/same && mkdir r b && rsync -a src r/ && cp -a src b/", root);
    sh("chmod 600 src/sub/b && printf bb > src/sub/c && printf x > r/src/gone && printf x > b/src/gone && touch -d 2020-01-01 src/a", root);
    const rsync = codes(sh("rsync -ai --delete src r/", root), "");
    const mine = blit(["-a", "--itemize", "--skip-unchanged", "--delete", "src", "b/"], { cwd: root });
    expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
    const got = codes(mine.stdout, "b/");
    expect(rsync.get("src/sub/b")).toBe(".f...p.....");
    for (const name of ["src/sub/b", "src/sub/c", "src/a", "src/gone"]) expect(`${name} ${got.get(name)}`).toBe(`${name} ${rsync.get(name)}`);
    // The directories' mtimes, which the files made in them changed. rsync compares them to the
    // second, so within one it says nothing; blit to the nanosecond (or what DEST can hold).
    expect([got.get("src/"), got.get("src/sub/")]).toEqual([".d..t......", ".d..t......"]);
    expect(got.get("src/same")).toBe(".f         ");
  });

  // The second operand merges into the directory the first made: listed once, as made.
  test("two operands merged into one directory: it is listed once, as made", () => {
    const root = sandbox("again-merged");
    sh("mkdir -p a/d b/d dst && printf 1 > a/d/x && printf 2 > b/d/y", root);
    const r = blit(["-a", "--skip-unchanged", "--itemize", "a/d", "b/d", "dst"], { cwd: root });
    expect(r).toEqual({ stdout: "cd+++++++++ dst/d/\n>f+++++++++ dst/d/x\n>f+++++++++ dst/d/y\n", stderr: "", exitCode: 0 });
  });

  // rsync -ii lists every entry of an unchanged tree with dots, directories too.
  testIf(noRsync)("an unchanged tree: every entry as rsync -aH -ii lists it, directories and hard links included", () => {
    const root = sandbox("again-ii");
    sh("mkdir -p src/sub/deep && printf a > src/a && printf b > src/sub/b && ln -s a src/l && printf c > src/sub/deep/c && ln src/sub/deep/c src/sub/hl && rsync -aH src/ r/ && cp -a src b", root);
    const rsync = codes(sh("rsync -aH -ii src/ r/", root), "");
    const mine = blit(["-aT", "--itemize", "--skip-unchanged", "src", "b"], { cwd: root });
    expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
    const got = new Map([...codes(mine.stdout, /^b\/?/)].map(([name, code]) => [name === "" ? "./" : name, code]));
    expect(got).toEqual(rsync);
  });

  testIf(noAttr)("--json -v: unchanged, attributes, deleted and excluded entries as the schema's file events, counted in the summary", () => {
    const root = sandbox("again-json");
    sh("mkdir -p src && printf a > src/a && printf b > src/b && printf s > src/same && printf l > src/x.log && cp -a src dst && chmod 600 dst/b && setfattr -n user.k -v v dst/a && printf g > dst/gone", root);
    const { events, stderr, exitCode } = blitJson(["-aT", "-v", "--skip-unchanged", "--delete", "--exclude=*.log", "src", "dst"], { cwd: root });
    expect([stderr, exitCode]).toEqual(["", 0]);
    const files = events.filter((e) => e.type === "file").map((e) => `${e.action} ${e.reason ?? e.changed ?? ""} ${e.dst}`).sort();
    // dst's mtime, which making dst/gone changed: rsync -i's `.d..t...... ./`.
    // dst/a's xattr, which SOURCE lacks: removed, rsync -X's `x`.
    expect(files).toEqual(["attributes p dst/b", "attributes t dst", "attributes x dst/a", "deleted  dst/gone", "skipped excluded dst/x.log", "skipped unchanged dst/same"].sort());
    expect(events.at(-1)).toMatchObject({ type: "summary", deleted: 1, files: 0, exit_code: 0 });
  });
});

describe("a second run's counts", () => {
  // The directories were there: the summary says none were copied, as its events say none were made.
  test("an unchanged tree: the summary and --json count no directory copied, every entry skipped", () => {
    const root = sandbox("again-counts");
    sh("mkdir -p s/a/b && printf 1 > s/a/b/f && ln -s f s/l", root);
    expect(blit(["-aT", "s", "t"], { cwd: root }).exitCode).toBe(0);
    const r = blit(["-aT", "--skip-unchanged", "--progress", "s", "t"], { cwd: root });
    const last = r.stderr.trimEnd().split("\n").at(-1)!.replace(/ in \S+( s)? \(\S+ \S+\)/, "");
    expect([r.stdout, last, r.exitCode]).toEqual(["", "blit: copied 0 files (0 bytes), 0 directories, 2 skipped, 0 errors", 0]);
    const json = blitJson(["-aT", "--skip-unchanged", "s", "t"], { cwd: root });
    const summary = json.events.find((e) => e.type === "summary")!;
    expect([summary.files, summary.directories, summary.skipped]).toEqual([0, 0, 2]);
  });
});
