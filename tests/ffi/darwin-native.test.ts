// The macOS backend over the real dylib, on a Mac: what the Linux build of
// the shim cannot show (fclonefileat on APFS, getattrlistbulk, setattrlist's
// birth time and flags, ACLs, quarantine). Skipped elsewhere;
// .github/workflows/macos.yml runs it on Apple silicon and Intel runners.
// Written without a Mac at hand: it has not run yet.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { blit, run, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";

const notMac = process.platform === "darwin" ? undefined : "needs macOS (APFS clones, getattrlistbulk, setattrlist, ACLs): runs in .github/workflows/macos.yml";

/** `stat -f` of a path on macOS: birth time, mtime, flags in octal, mode in octal. */
const macStat = (path: string) => run(["stat", "-f", "%B %m %f %p", path]).stdout.trim();

describe("macOS: the native backend over libSystem", () => {
  testIf(notMac)("doctor: the darwin backend, the macOS build of the shim, an APFS volume that clones", () => {
    const r = blit(["doctor", sandbox("mac-doctor")]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("backend: darwin (native shim over libSystem)\n");
    expect(r.stdout).toContain("  shim build: macOS (libSystem)\n");
    expect(r.stdout).toMatch(/\n {2}shim: .+\/Library\/Caches\/blit\/libblit-[0-9a-f]{16}\.dylib\n/);
    expect(r.stdout).toContain("filesystem of ");
    expect(r.stdout).toContain(": apfs\n");
    expect(r.stdout).toContain("  volume: clones (VOL_CAP_INT_CLONE): yes (the volume says so)\n");
    expect(r.stdout).toContain("  clone (fclonefileat): yes (supported)\n");
  });

  testIf(notMac)("a file on one APFS volume is cloned into its temporary name and renamed into place", () => {
    const root = sandbox("mac-clone");
    sh("head -c 5000000 /dev/urandom > big", root);
    const r = blit(["--debug", "big", "copy"], { cwd: root });
    expect(r).toEqual({ stdout: "'big' -> 'copy'\ncopy offload: unknown, reflink: yes, sparse detection: unknown, method: fclonefileat\n", stderr: "", exitCode: 0 });
    expect(readFileSync(join(root, "copy")).equals(readFileSync(join(root, "big")))).toBe(true);
    expect(run(["ls", "-a", root]).stdout.split("\n").filter((name) => name.startsWith(".blit"))).toEqual([]);
  });

  testIf(notMac)("-a keeps xattrs (quarantine, FinderInfo), the ACL, file flags and the birth time; a tree listed by getattrlistbulk", () => {
    const root = sandbox("mac-archive");
    sh(`mkdir -p tree/sub && printf data > tree/f && printf more > tree/sub/g && ln tree/f tree/sub/hard && ln -s f tree/link
      xattr -w com.apple.quarantine '0081;00000000;Safari;' tree/f
      xattr -wx com.apple.FinderInfo 0000000000000000400000000000000000000000000000000000000000000000 tree/f
      xattr -w user.note blue tree/sub/g
      chmod +a "everyone deny delete" tree/f
      chflags hidden tree/sub/g
      touch -t 200001010000 tree/f && touch -t 201001010000 tree/f`, root);
    const r = blit(["-a", "tree", "copy"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(macStat(join(root, "copy", "f"))).toBe(macStat(join(root, "tree", "f")));
    expect(macStat(join(root, "copy", "sub", "g"))).toBe(macStat(join(root, "tree", "sub", "g")));
    expect(run(["xattr", "-l", join(root, "copy", "f")]).stdout).toBe(run(["xattr", "-l", join(root, "tree", "f")]).stdout);
    expect(run(["xattr", "-p", "user.note", join(root, "copy", "sub", "g")]).stdout).toBe("blue\n");
    expect(run(["ls", "-le", join(root, "copy", "f")]).stdout).toContain("everyone deny delete");
    expect(run(["ls", "-lO", join(root, "copy", "sub", "g")]).stdout).toContain(" hidden ");
    expect(run(["stat", "-f", "%i", join(root, "copy", "f")]).stdout).toBe(run(["stat", "-f", "%i", join(root, "copy", "sub", "hard")]).stdout);
    expect(run(["readlink", join(root, "copy", "link")]).stdout).toBe("f\n");
  });

  // macOS asks DELETE of the file itself to rename it: the copy's own ACL must not stop its way into place.
  testIf(notMac)("a file whose ACL denies its deletion, inherited from DEST's folder: renamed into place all the same, the ACL kept; an ACL DEST has and SOURCE lacks is removed on a second run", () => {
    const root = sandbox("mac-acl-rename");
    sh(`mkdir tree out && printf data > tree/f && chmod +a "everyone deny delete,file_inherit" out`, root);
    expect(blit(["tree/f", "out/"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(join(root, "out", "f"), "utf8")).toBe("data");
    expect(run(["ls", "-le", join(root, "out", "f")]).stdout).toMatch(/everyone (inherited )?deny delete/);
    expect(run(["ls", "-a", join(root, "out")]).stdout.split("\n").filter((name) => name.startsWith(".blit"))).toEqual([]);
    expect(blit(["-a", "tree", "copy"], { cwd: root }).exitCode).toBe(0);
    sh("chmod +a 'everyone deny write' copy/f", root);
    const again = blit(["-aT", "--skip-unchanged", "--itemize", "tree", "copy"], { cwd: root });
    expect([again.stderr, again.exitCode, again.stdout.split("\n").filter((line) => line.endsWith(" copy/f"))]).toEqual(["", 0, [".f.......a. copy/f"]]);
    expect(run(["ls", "-le", join(root, "copy", "f")]).stdout).not.toContain("deny");
    const third = blit(["-aT", "--skip-unchanged", "--itemize", "tree", "copy"], { cwd: root });
    expect([third.stderr, third.exitCode, third.stdout.split("\n").filter((line) => line.endsWith(" copy/f"))]).toEqual(["", 0, []]);
  });

  testIf(notMac)("an immutable file is copied whole and made immutable once in place", () => {
    const root = sandbox("mac-uchg");
    sh("mkdir tree && printf data > tree/locked && chflags uchg tree/locked", root);
    try {
      const r = blit(["-a", "tree", "copy"], { cwd: root });
      expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(run(["ls", "-lO", join(root, "copy", "locked")]).stdout).toContain(" uchg ");
      expect(readFileSync(join(root, "copy", "locked"), "utf8")).toBe("data");
    } finally {
      run(["chflags", "-R", "nouchg", root]);
    }
  });

  testIf(notMac)("names of one immutable inode: the later ones linked all the same (macOS refuses a link to an immutable file), every name immutable", () => {
    const root = sandbox("mac-uchg-links");
    sh("mkdir -p tree/a tree/b && printf data > tree/a/f && ln tree/a/f tree/b/g && chflags uchg tree/a/f", root);
    try {
      expect(blit(["-a", "tree", "copy"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      const [f, g] = ["copy/a/f", "copy/b/g"].map((path) => run(["stat", "-f", "%i %l %Sf", join(root, path)]).stdout.trim());
      expect(f).toBe(g);
      expect(f).toMatch(/^\d+ 2 uchg$/);
    } finally {
      run(["chflags", "-R", "nouchg", root]);
    }
  });

  // On FAT macOS keeps a file's xattrs in an AppleDouble `._NAME` beside it, which listings show.
  testIf(notMac)("onto a FAT volume and back: xattrs kept through ._NAME, which --delete leaves and a copy back does not take for a file", () => {
    const root = sandbox("mac-fat");
    sh(`mkdir -p src fat && printf data > src/f && xattr -w com.example.k v src/f &&
      hdiutil create -quiet -size 20m -fs "MS-DOS FAT32" -volname BLITFAT -o img.dmg && hdiutil attach -quiet -nobrowse -mountpoint fat img.dmg`, root);
    try {
      for (let round = 0; round < 2; round++) {
        expect(blit(["-aT", "--skip-unchanged", "--delete", "src", "fat/dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
        expect(run(["xattr", "-p", "com.example.k", join(root, "fat", "dst", "f")]).stdout).toBe("v\n");
      }
      expect(blit(["-a", "fat/dst", "back"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
      expect(run(["ls", "-A", join(root, "back")]).stdout).toBe("f\n");
      expect(run(["xattr", "-p", "com.example.k", join(root, "back", "f")]).stdout).toBe("v\n");
    } finally {
      run(["hdiutil", "detach", "-quiet", join(root, "fat")]);
    }
  });

  // The runner's own volume ignores case; a case-sensitive APFS image holds the source.
  testIf(notMac)("names differing only by case or normalization, from a case-sensitive volume: one copied, the other reported, nothing overwritten; --delete keeps what was copied into foo for Foo", () => {
    const root = sandbox("mac-case");
    const image = join(root, "cs.dmg");
    const mount = join(root, "cs");
    sh(`hdiutil create -quiet -size 20m -fs "Case-sensitive APFS" -volname blitcs "${image}" && hdiutil attach -quiet -nobrowse -mountpoint "${mount}" "${image}"`, root);
    try {
      sh(`mkdir -p "${mount}/src/Foo" && printf upper > "${mount}/src/A" && printf lower > "${mount}/src/a" && printf in > "${mount}/src/Foo/f" &&
        printf nfc > "${mount}/src/$(printf 'caf\\303\\251')" && printf nfd > "${mount}/src/$(printf 'cafe\\314\\201')" && mkdir -p dst/foo`, root);
      const r = blit(["-aT", "--delete", `${mount}/src`, "dst"], { cwd: root });
      expect(r.exitCode).toBe(1);
      const lines = r.stderr.split("\n").filter(Boolean);
      expect(lines.length).toBe(2);
      for (const line of lines) expect(line).toContain("the names differ only by case");
      const names = run(["ls", join(root, "dst")]).stdout.split("\n").filter(Boolean);
      expect(names.length).toBe(3);
      expect(readFileSync(join(root, "dst", "foo", "f"), "utf8")).toBe("in");
      // Each copied name holds its own source's data, never the other's.
      expect(["upper", "lower"]).toContain(readFileSync(join(root, "dst", "a"), "utf8"));
    } finally {
      run(["hdiutil", "detach", "-quiet", "-force", mount]);
    }
  });
});
