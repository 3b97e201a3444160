// --itemize against rsync -ai on the same trees: the same change codes for
// what is made, and for what replaced an entry, the same letters for what
// differed. (blit rewrites a file whose data rsync would leave alone, so it
// says `>f` where rsync says `.f`; entries rsync leaves unlisted blit lists
// with dots, since it did replace them.)

import { describe, expect, test } from "bun:test";
import { readlinkSync } from "node:fs";
import { blit, blitJson, hasCommand, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";

/** name (below the copy's top directory, with a symlink's ` -> target`) → code, from `CODE NAME` lines. */
function codes(stdout: string, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split("\n").filter(Boolean)) {
    const code = line.slice(0, 11);
    const name = line.slice(12);
    expect(name.startsWith(prefix)).toBe(true);
    out.set(name.slice(prefix.length), code);
  }
  return out;
}

const noRsync = hasCommand("rsync") ? undefined : "rsync is not installed";

describe("--itemize", () => {
  testIf(noRsync)("a new tree: rsync's codes for each file, directory, symlink and fifo", () => {
    const root = sandbox("itemize");
    sh("mkdir -p src/sub && printf a > src/a && printf b > src/sub/b && ln -s a src/l && mkfifo src/p && mkdir r b", root);
    const rsync = sh("rsync -ai src r/", root);
    const mine = blit(["-a", "--itemize", "src", "b/"], { cwd: root });
    expect(mine.exitCode).toBe(0);
    expect(mine.stderr).toBe("");
    expect(codes(mine.stdout, "b/")).toEqual(codes(rsync, ""));
  });

  // rsync -ii lists no entry a filter leaves out: a line would name a DEST path that is not there.
  testIf(noRsync)("what a filter leaves out is not listed, as rsync -ii does not list it; --json still says it", () => {
    const root = sandbox("itemize-excluded");
    sh("mkdir -p src/logs r b && printf a > src/a.txt && printf b > src/b && printf l > src/logs/l", root);
    const rsync = sh("rsync -aii --exclude='*.txt' --exclude=logs/ src r/", root);
    const mine = blit(["-a", "--itemize", "--exclude=*.txt", "--exclude=logs/", "src", "b/"], { cwd: root });
    expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
    expect([...codes(mine.stdout, "b/").keys()].sort()).toEqual([...codes(rsync, "").keys()].sort());
    const events = blitJson(["-a", "-v", "--exclude=*.txt", "--exclude=logs/", "src", "j/"], { cwd: root }).events;
    expect(events.filter((e) => e.reason === "excluded").map((e) => e.dst).sort()).toEqual(["j/a.txt", "j/logs"]);
  });

  // Bytes that are not UTF-8 and control bytes would split a line or reach the terminal as escapes.
  testIf(noRsync)("names and link targets escaped as rsync escapes them: one line per entry", () => {
    const root = sandbox("itemize-names");
    sh(
      `mkdir src r b && cd src && for n in "$(printf 'new\\nline')" "$(printf 'tab\\there')" "$(printf 'esc\\033[31m')" "$(printf 'bad\\377')" 'back\\slash' 'hash\\#012x' "$(printf 'caf\\303\\251')" plain; do printf x > "$n"; done && ln -s "$(printf 'tgt\\nx')" lnk`,
      root,
    );
    const rsync = sh("LC_ALL=C.UTF-8 rsync -ai src r/", root);
    const mine = blit(["-a", "--itemize", "src", "b/"], { cwd: root });
    expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
    expect(mine.stdout.split("\n").filter(Boolean).length).toBe(10);
    expect(codes(mine.stdout, "b/")).toEqual(codes(rsync, ""));
    expect(codes(mine.stdout, "b/").get("src/new\\#012line")).toBe(">f+++++++++");
  });

  // In a locale that is not UTF-8, rsync escapes every byte past ASCII: U+009B (CSI to a terminal that takes C1 controls) too.
  testIf(noRsync)("in the C locale, names escaped as rsync escapes them there: every byte past ASCII", () => {
    const root = sandbox("itemize-c-locale");
    sh(`mkdir src r b && cd src && for n in "$(printf 'c1\\302\\2332J')" "$(printf 'rlo\\342\\200\\256x')" "$(printf 'caf\\303\\251')" plain; do printf x > "$n"; done`, root);
    const rsync = sh("LC_ALL=C rsync -ai src r/", root);
    const mine = blit(["-a", "--itemize", "src", "b/"], { cwd: root, env: { LC_ALL: "C" } });
    expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
    expect(codes(mine.stdout, "b/")).toEqual(codes(rsync, ""));
    expect(mine.stdout).toContain(">f+++++++++ b/src/c1\\#302\\#2332J\n");
  });

  testIf(noRsync)("a second run after changes: the letters rsync gives for what differed", () => {
    const root = sandbox("itemize-again");
    sh("mkdir -p src/sub && printf a > src/a && printf b > src/sub/b && printf same > src/same && mkdir r b && rsync -a src r/ && cp -a src b/", root);
    sh("touch -d 2020-01-01 src/a && chmod 600 src/sub/b && printf bb > src/sub/c && printf longer > src/same && touch -r r/src/same src/same", root);
    const rsync = codes(sh("rsync -ai src r/", root), "");
    const mine = codes(blit(["-a", "--itemize", "src", "b/"], { cwd: root }).stdout, "b/");
    expect(rsync.get("src/a")).toBe(">f..t......");
    expect(mine.get("src/a")).toBe(rsync.get("src/a")!);
    expect(rsync.get("src/sub/c")).toBe(">f+++++++++");
    expect(mine.get("src/sub/c")).toBe(rsync.get("src/sub/c")!);
    expect(rsync.get("src/same")).toBe(">f.s.......");
    expect(mine.get("src/same")).toBe(rsync.get("src/same")!);
    // Only the mode differed: rsync sets it in place (.f), blit wrote the file again (>f).
    expect(rsync.get("src/sub/b")).toBe(".f...p.....");
    expect(mine.get("src/sub/b")).toBe(">f...p.....");
  });

  testIf(noRsync)("a symlink that pointed elsewhere: c, as rsync says it", () => {
    const root = sandbox("itemize-target");
    sh("mkdir -p src r/src b/src && ln -s new src/l && ln -s old r/src/l && ln -s old b/src/l && touch -h -r r/src/l b/src/l src/l", root);
    const rsync = codes(sh("rsync -ai src r/", root), "");
    const dry = codes(blit(["-a", "--itemize", "--dry-run", "src", "b/"], { cwd: root }).stdout, "b/");
    const mine = codes(blit(["-a", "--itemize", "src", "b/"], { cwd: root }).stdout, "b/");
    expect(rsync.get("src/l -> new")).toBe("cLc........");
    expect(mine.get("src/l -> new")).toBe("cLc........");
    expect(dry.get("src/l -> new")).toBe("cLc........");
  });

  // A file copied again was told with its size, times, mode and owner only.
  testIf(noRsync ?? (hasCommand("setfattr") && hasCommand("setfacl") ? undefined : "setfattr (attr) or setfacl (acl) is not installed"))(
    "a file replaced whose xattrs or ACLs differed from SOURCE's: x and a, as rsync -iXA says them, in a dry run too",
    () => {
      const root = sandbox("itemize-xattrs");
      sh("mkdir -p src r was && printf a > src/x && printf b > src/acl && printf c > src/both && cp -a src r/ && cp -a src was/", root);
      sh("setfattr -n user.k -v 1 src/x src/both && setfacl -m u:nobody:r r/src/acl was/src/acl r/src/both was/src/both && printf more | tee -a src/x src/acl >> src/both && touch -d 2020-01-01 src/x src/acl src/both", root);
      const rsync = codes(sh("rsync -aiXA src r/", root), "");
      expect([rsync.get("src/x"), rsync.get("src/acl"), rsync.get("src/both")]).toEqual([">f.st.....x", ">f.st....a.", ">f.st....ax"]);
      for (const flags of [["-a"], ["-a", "--skip-unchanged"], ["-a", "--dry-run"]]) {
        sh("rm -rf b && cp -a was b", root);
        const mine = codes(blit([...flags, "--itemize", "src", "b/"], { cwd: root }).stdout, "b/");
        expect([mine.get("src/x"), mine.get("src/acl"), mine.get("src/both")]).toEqual([rsync.get("src/x"), rsync.get("src/acl"), rsync.get("src/both")]);
      }
    },
  );

  testIf(noRsync)("--checksum: c for a file whose contents differed; a symlink left or given attributes keeps its ' -> target', as rsync -ic says them", () => {
    const root = sandbox("itemize-checksum");
    sh(`mkdir -p src/d && printf bbbb > src/samesize && printf 12345 > src/sizediff && ln -s t src/l && ln -s t2 src/l2 && ln -s t3 src/l3 &&
      touch -h -d 2021-01-01 src/* src/d src && mkdir r && cp -a src b && printf cccc > b/samesize && printf 1234 > b/sizediff &&
      touch -d 2021-01-01 b/samesize b/sizediff && touch -h -d 2022-01-01 b/l && chown -h nobody b/l2 && cp -a b r/src && mv b src-b && mkdir b && mv src-b b/src`, root);
    const rsync = codes(sh("rsync -aic src r/", root), "");
    const mine = codes(blit(["-a", "--checksum", "--itemize", "src", "b/"], { cwd: root }).stdout, "b/");
    expect([rsync.get("src/samesize"), rsync.get("src/sizediff"), rsync.get("src/l -> t")]).toEqual([">fc........", ">fcs.......", ".L..t......"]);
    for (const name of ["src/samesize", "src/sizediff", "src/l -> t", "src/l2 -> t2"]) expect([name, mine.get(name)]).toEqual([name, rsync.get(name)]);
    // rsync leaves an entry with nothing to change unlisted; blit lists it with blanks, its target after it.
    expect(mine.get("src/l3 -> t3")).toBe(".L         ");
  });

  // The mtimes count as the same, so the copy sets no other: no t, as rsync -ic says none.
  test.each([
    ["--modify-window=2, DEST a second older", "2020-01-01 00:00:04.5", ["--modify-window=2"]],
    ["DEST SOURCE's second without its fraction", "2020-01-01 00:00:05", []],
  ])("--checksum, other contents and %s: c without t, as rsync -ic says it", (_, dstTime, window) => {
    const root = sandbox("itemize-window");
    sh(`mkdir src b && printf AAAA > src/f && printf BBBB > b/f && touch -d '2020-01-01 00:00:05.5' src/f && touch -d '${dstTime}' b/f`, root);
    const r = blit(["-aT", "--checksum", "--itemize", ...window, "src", "b"], { cwd: root });
    expect([r.stdout.split("\n").filter((line) => line.endsWith(" b/f")), r.stderr, r.exitCode]).toEqual([[">fc........ b/f"], "", 0]);
  });
  testIf(noRsync)("--checksum --modify-window=2, other contents, DEST a second older: rsync -ic says c without t", () => {
    const root = sandbox("itemize-window");
    sh("mkdir src r && printf AAAA > src/f && printf BBBB > r/f && touch -d '2020-01-01 00:00:05.5' src/f && touch -d '2020-01-01 00:00:04.5' r/f", root);
    expect(sh("rsync -aic --modify-window=2 src/ r/", root)).toBe(">fc........ f\n");
  });

  testIf(noRsync)("a sparse file's size is its length, not the data copied; a device is D, and c where its number differed, as rsync -aiD says them", () => {
    const root = sandbox("itemize-sparse-device");
    sh(`mkdir src && truncate -s 1M src/sparse && echo data >> src/sparse && truncate -s 1M src/samesize && echo one >> src/samesize &&
      mknod src/c c 1 3 && mknod src/same c 1 3 && mkfifo src/p && touch -h -d 2021-01-01 src/* src && cp -a src b && cp -a src r &&
      touch -d 2000-01-01 b/sparse r/sparse && truncate -s 1M b/samesize r/samesize && echo two >> b/samesize && echo two >> r/samesize &&
      touch -d 2021-01-01 b/samesize r/samesize && rm b/c r/c && mknod b/c c 1 5 && mknod r/c c 1 5 && touch -h -d 2021-01-01 b/c r/c && touch -d 2020-01-01 b/same b/p r/same r/p`, root);
    const rsync = codes(sh("rsync -aiD src/ r/ && rsync -aicD src/samesize r/", root), "");
    const mine = codes(blit(["-aT", "--skip-unchanged", "--itemize", "src", "b"], { cwd: root }).stdout, "b/");
    const summed = codes(blit(["-a", "--checksum", "--itemize", "src/samesize", "b/"], { cwd: root }).stdout, "b/");
    expect(Object.fromEntries(rsync)).toEqual({ "./": ".d..t......", sparse: ">f..t......", samesize: ">fc........", c: "cDc........", same: ".D..t......", p: ".S..t......" });
    for (const name of ["sparse", "c", "same", "p"]) expect([name, mine.get(name)]).toEqual([name, rsync.get(name)]);
    expect(summed.get("samesize")).toBe(rsync.get("samesize")!);
  });

  testIf(noRsync)("a special file in place of one of another type (a device where a fifo was): +++++++++, as rsync says it", () => {
    const root = sandbox("itemize-special-types");
    sh("mkdir src r && mknod src/c c 1 3 && mkfifo src/p && cp -a src b && mkfifo r/c && mknod r/p c 1 5 && rm b/c b/p && mkfifo b/c && mknod b/p c 1 5", root);
    const rsync = codes(sh("rsync -aiD src/ r/", root), "");
    const mine = codes(blit(["-aT", "--itemize", "src", "b"], { cwd: root }).stdout, "b/");
    expect([rsync.get("c"), rsync.get("p")]).toEqual(["cD+++++++++", "cS+++++++++"]);
    expect([mine.get("c"), mine.get("p")]).toEqual([rsync.get("c"), rsync.get("p")]);
  });

  testIf(noRsync)("a device of the other kind, a fifo where a socket was: one class each (D, S), with c, as rsync says them", () => {
    const root = sandbox("itemize-special-classes");
    const socket = (path: string) => `python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('${path}')" && chmod 644 ${path}`;
    sh(`mkdir src b r && mknod src/dev b 7 0 && mkfifo -m 644 src/s && touch -h -d 2021-01-01 src/dev src/s &&
      for d in b r; do mknod $d/dev c 1 3 && ${socket("$d/s")} && touch -h -d 2021-01-01 $d/dev $d/s; done`, root);
    const rsync = codes(sh("rsync -aiD src/ r/", root), "");
    const mine = codes(blit(["-aT", "--skip-unchanged", "--itemize", "src", "b"], { cwd: root }).stdout, "b/");
    expect([rsync.get("dev"), rsync.get("s")]).toEqual(["cDc........", "cSc........"]);
    expect([mine.get("dev"), mine.get("s")]).toEqual([rsync.get("dev"), rsync.get("s")]);
    expect(sh("stat -c '%F %t %T' b/dev b/s", root)).toBe("block special file 7 0\nfifo 0 0\n");
  });

  testIf(noRsync)("-r, which keeps neither mode nor times: rsync -ri's letters, no p for a mode that differs, T for the time", () => {
    const root = sandbox("itemize-r");
    sh("mkdir src && printf one > src/f && printf two > src/g && chmod 600 src/g && rsync -r src/ r/ && cp -r src b && chmod 644 r/g b/g", root);
    sh("printf more >> src/f && touch -d 2020-01-01 src/g", root);
    const rsync = codes(sh("rsync -ri src/ r/", root), "");
    const mine = blit(["-rT", "--itemize", "src", "b"], { cwd: root });
    expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
    expect(rsync).toEqual(new Map([["f", ">f.sT......"], ["g", ">f..T......"]]));
    expect(codes(mine.stdout, "b/")).toEqual(rsync);
  });

  // Without --skip-unchanged a directory that was there still gets SOURCE's
  // attributes: those that differ are listed, as rsync -ai lists them, and
  // one that differs in none is not (rsync's -ii would list it).
  testIf(noRsync)("-a into directories that were there: the attributes that differ, as rsync -ai lists them", () => {
    const root = sandbox("itemize-dir-attributes");
    sh(
      "mkdir -p src/e src/same r/e r/same && printf y > src/e/g && chmod 700 src/e && touch -d 2020-01-01 src/e && chmod 755 r/e && touch -d 2021-01-01 r/e && " +
        "touch -d 2019-01-01 src/same r/same src r && cp -a r b",
      root,
    );
    const rsync = codes(sh("rsync -ai src/ r/", root), "");
    const mine = blit(["-aT", "--itemize", "src", "b"], { cwd: root });
    expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
    expect(rsync).toEqual(new Map([["e/", ".d..tp....."], ["e/g", ">f+++++++++"]]));
    expect(codes(mine.stdout, "b/")).toEqual(rsync);
    expect(sh("stat -c '%a %Y' b/e", root)).toBe(sh("stat -c '%a %Y' src/e", root));
  });

  // rsync -ai --delete makes room for an entry of another type, and lists the new one as made where nothing was.
  testIf(noRsync)("an entry of another type replaced: +++++++++, as rsync says it", () => {
    const root = sandbox("itemize-types");
    sh(
      "mkdir -p src/d2f r b && printf a > src/f2d && printf x > src/d2f/in && ln -s f2d src/f2l && printf y > src/l2f && mkfifo src/f2p && " +
        "for t in r b; do mkdir $t/f2d && printf q > $t/d2f && printf z > $t/f2l && ln -s nowhere $t/l2f && printf w > $t/f2p; done && " +
        // The same time on the three tops: rsync compares a directory's to the second here, blit to the nanosecond.
        "touch -r src r b",
      root,
    );
    const rsync = codes(sh("rsync -ai --delete src/ r/", root), "");
    const mine = blit(["-aT", "--itemize", "--delete", "src", "b"], { cwd: root });
    expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
    // blit also lists what it removed to make room (rsync does not).
    const made = mine.stdout.split("\n").filter((line) => line && !line.startsWith("*deleting")).join("\n");
    expect(codes(made, "b/")).toEqual(rsync);
    expect(rsync.get("l2f")).toBe(">f+++++++++");
  });

  // rsync -aiH: `hf+++++++++ a => b`, b being the name copied first; which name that is depends on the order of the walk.
  describe("hard links: hf, then => the name linked to, as rsync -aiH", () => {
    const cases: { name: string; args: string[]; prefix: string }[] = [
      { name: "a new tree", args: ["-a", "--itemize", "src", "b/"], prefix: "b/" },
      { name: "a dry run", args: ["-a", "-n", "--itemize", "src", "b/"], prefix: "b/" },
      { name: "DEST named with its own path (-T)", args: ["-aT", "--itemize", "src", "b/src"], prefix: "b/" },
      { name: "DEST named with a doubled slash", args: ["-aT", "--itemize", "src", "b//src"], prefix: "b//" },
    ];
    for (const { name, args, prefix } of cases) {
      testIf(noRsync)(name, () => {
        const root = sandbox("itemize-hardlinks");
        sh("mkdir -p src/d r b && printf x > src/one && ln src/one src/two && ln src/one src/d/three && printf y > src/alone", root);
        const groups = (listing: Map<string, string>) => {
          const first = [...listing].filter(([line, code]) => code === ">f+++++++++" && line !== "src/alone").map(([line]) => line);
          const linked = [...listing].filter(([, code]) => code === "hf+++++++++").map(([line]) => line.split(" => "));
          return { first, linked };
        };
        const rsync = groups(codes(sh("rsync -aiH src r/", root), ""));
        const mine = blit(args, { cwd: root });
        expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
        const listed = groups(codes(mine.stdout, prefix));
        // One name of the inode copied, the other two linked to it, by its path as blit names DEST.
        // rsync names the target below the destination; blit as it names DEST.
        for (const [{ first, linked }, shown] of [[rsync, ""], [listed, prefix]] as const) {
          expect(first.length).toBe(1);
          expect(linked.map(([, to]) => to)).toEqual([`${shown}${first[0]}`, `${shown}${first[0]}`]);
          expect([first[0], ...linked.map(([from]) => from)].sort()).toEqual(["src/d/three", "src/one", "src/two"]);
        }
      });
    }

    test("-l: each name a link to its source", () => {
      const root = sandbox("itemize-l");
      sh("mkdir src && printf x > src/f", root);
      expect(blit(["-rl", "--itemize", "src", "b"], { cwd: root })).toEqual({ stdout: "cd+++++++++ b/\nhf+++++++++ b/f => src/f\n", stderr: "", exitCode: 0 });
    });

    // -as links a file's other names to the symlink made for its first: what they name is a symlink (hL), as the first is (cL).
    test("-as, a file with two names: the second a link of the first's symlink, hL", () => {
      const root = sandbox("itemize-as");
      sh("mkdir src && printf x > src/f && ln src/f src/g", root);
      const made = blit(["-as", "--itemize", `${root}/src`, "b"], { cwd: root });
      expect(made).toEqual({ stdout: `cd+++++++++ b/\ncL+++++++++ b/f -> ${root}/src/f\nhL+++++++++ b/g => b/f\n`, stderr: "", exitCode: 0 });
      expect(readlinkSync(`${root}/b/g`)).toBe(`${root}/src/f`);
    });

    // rsync -aiH puts the inode's type after the h: hL, hS, hD. Which name comes first follows the walk, so the codes are compared as sorted lists.
    testIf(noRsync)("a symlink, a fifo and a device with two names each: hL, hS, hD, made and then left, as rsync -aiH and -aiiH", () => {
      const root = sandbox("itemize-hardlinked-types");
      sh("mkdir src r && ln -s target src/l1 && ln src/l1 src/l2 && mkfifo src/p1 && ln src/p1 src/p2 && mknod src/d1 c 1 3 && ln src/d1 src/d2", root);
      const shape = (stdout: string) => [...codes(stdout, "")].map(([name, code]) => `${code}${name.includes(" -> ") ? " ->" : ""}${name.includes(" => ") ? " =>" : ""}`).sort();
      const made = blit(["-a", "--itemize", "src/", "b/"], { cwd: root });
      expect([made.stderr, made.exitCode]).toEqual(["", 0]);
      // r was made beside src, so rsync sets its time (.d..t) only when a second ticked over between them.
      const rsyncMade = shape(sh("rsync -aiH src/ r/", root).replace(/^\.d\S* +\.\/\n/m, ""));
      expect(rsyncMade).toEqual(["cD+++++++++", "cL+++++++++ ->", "cS+++++++++", "hD+++++++++ =>", "hL+++++++++ =>", "hS+++++++++ =>"]);
      expect(shape(made.stdout.replace("cd+++++++++ b/\n", "").replaceAll("b/", ""))).toEqual(rsyncMade);
      const left = blit(["-aT", "--skip-unchanged", "--itemize", "--itemize", "src/", "b/"], { cwd: root });
      expect([left.stderr, left.exitCode]).toEqual(["", 0]);
      const rsyncLeft = shape(sh("rsync -aiiH src/ r/", root).replace(".d          ./\n", ""));
      expect(rsyncLeft).toEqual([".D         ", ".L          ->", ".S         ", "hD         ", "hL          ->", "hS         "]);
      expect(shape(left.stdout.replace(".d          b/\n", "").replaceAll("b/", ""))).toEqual(rsyncLeft);
    });

    // The group's attributes are its inode's: set through the first name, and
    // nothing left for the other, which a dry run must list as the real run
    // does (both listed the second name's stale differences, and the real run
    // set them twice). rsync -aiH lists a mode set through the first name so
    // too; for an xattr its hf line repeats the x.
    const changes: { change: string; letters: string }[] = [
      { change: "chmod 640 src/a", letters: ".f...p....." },
      { change: "setfattr -n user.q -v 1 src/a", letters: ".f........x" },
      { change: "chmod 640 src/a && setfattr -n user.q -v 1 src/a", letters: ".f...p....x" },
    ];
    for (const { change, letters } of changes) {
      testIf(noRsync ?? (hasCommand("setfattr") ? undefined : "setfattr (attr) is not installed"))(`a second run after \`${change}\` on a file with two names: its letters on the first name, hf and blanks on the other, the dry run as the real run`, () => {
        const root = sandbox("itemize-hardlink-attributes");
        sh(`mkdir src && printf x > src/a && ln src/a src/b && touch -d 2023-03-03 src/a src && rsync -aHX src/ dst/ && rsync -aHX src/ r/ && ${change}`, root);
        const shape = (stdout: string) => stdout.split("\n").filter((line) => line && !line.startsWith(".d")).map((line) => line.slice(0, 11)).sort();
        const args = ["-aT", "--skip-unchanged", "--itemize", "src", "dst"];
        const dry = blit([...args, "--dry-run"], { cwd: root });
        const real = blit(args, { cwd: root });
        expect([dry.stderr, dry.exitCode, real.stderr, real.exitCode]).toEqual(["", 0, "", 0]);
        expect(shape(dry.stdout)).toEqual([letters, "hf         "]);
        expect(shape(real.stdout)).toEqual([letters, "hf         "]);
        if (!change.includes("setfattr")) expect(shape(sh("rsync -aiiH src/ r/", root))).toEqual([letters, "hf         "]);
        expect(sh("stat -c '%a %h' dst/a dst/b && getfattr --absolute-names -d dst/b", root)).toBe(sh("stat -c '%a %h' src/a src/b && getfattr --absolute-names -d src/b", root).replaceAll("src/", "dst/"));
        expect(shape(blit(args, { cwd: root }).stdout)).toEqual([".f         ", "hf         "]);
      });
    }

    // --parents opens each operand's directory in DEST apart: the same directory all the same.
    test("--parents, two names of one file given as operands: the second's => and --json target name the first", () => {
      const root = sandbox("itemize-parents-links");
      sh("mkdir -p x D && printf data > x/a && ln x/a x/b", root);
      expect(blit(["-a", "--parents", "--itemize", "x/a", "x/b", "D"], { cwd: root })).toEqual({
        stdout: "cd+++++++++ D/x/\n>f+++++++++ D/x/a\nhf+++++++++ D/x/b => D/x/a\n",
        stderr: "",
        exitCode: 0,
      });
      sh("rm -r D/x", root);
      const { events, exitCode } = blitJson(["-a", "--parents", "-v", "x/a", "x/b", "D"], { cwd: root });
      expect(exitCode).toBe(0);
      expect(events.filter((e) => e.kind === "hardlink").map((e) => [e.dst, e.target])).toEqual([["D/x/b", "D/x/a"]]);
    });

    test("--json: the name linked to is the event's target", () => {
      const root = sandbox("itemize-hardlinks-json");
      sh("mkdir src && printf x > src/a && ln src/a src/b", root);
      const { events, exitCode } = blitJson(["-a", "-v", "src", "dst"], { cwd: root });
      expect(exitCode).toBe(0);
      const files = events.filter((e) => e.type === "file" && e.kind !== "directory");
      const copied = files.find((e) => e.kind === "file")!;
      expect(files.filter((e) => e.kind === "hardlink").map((e) => [e.action, e.target])).toEqual([["created", copied.dst]]);
    });
  });

  testIf(noRsync)("--parents: the directories made below DEST are listed, as rsync -R lists those it implies; --json counts them", () => {
    const root = sandbox("itemize-parents");
    sh("mkdir -p a/b r d j && printf x > a/b/f && mkdir -p d/a", root);
    const rsync = codes(sh("mkdir -p r/a && rsync -iR a/b/f r/", root), "");
    const mine = blit(["--itemize", "--parents", "a/b/f", "d"], { cwd: root });
    expect([mine.stderr, mine.exitCode]).toEqual(["", 0]);
    // a was there: rsync lists its times as set (-R without -t sets none: .d), blit lists only what it made.
    rsync.delete("a/");
    expect(codes(mine.stdout, "d/")).toEqual(rsync);
    expect(rsync).toEqual(new Map([["a/b/", "cd+++++++++"], ["a/b/f", ">f+++++++++"]]));
    const { events, exitCode } = blitJson(["-v", "--parents", "a/b/f", "j"], { cwd: root });
    expect(exitCode).toBe(0);
    expect(events.filter((e) => e.type === "file").map((e) => `${e.action} ${e.kind} ${e.dst}`)).toEqual(["created directory j/a", "created directory j/a/b", "created file j/a/b/f"]);
    expect(events.find((e) => e.type === "summary")).toMatchObject({ files: 1, directories: 2 });
  });

  test("a device read as a file (blit /dev/null f) is listed as the file written, as its dry run lists it", () => {
    const root = sandbox("itemize-device");
    sh("printf old > f", root);
    const dry = blit(["--itemize", "--dry-run", "/dev/null", "f"], { cwd: root });
    const real = blit(["--itemize", "/dev/null", "f"], { cwd: root });
    expect(real).toEqual({ stdout: ">f..T...... f\n", stderr: "", exitCode: 0 });
    expect(dry).toEqual(real);
    expect(blit(["--itemize", "/dev/null", "g"], { cwd: root }).stdout).toBe(">f+++++++++ g\n");
  });

  test("a directory named with a trailing slash gets no second one", () => {
    const root = sandbox("itemize-slash");
    sh("mkdir src && printf x > src/f", root);
    expect(blit(["-r", "--itemize", "src", "new/"], { cwd: root })).toEqual({ stdout: "cd+++++++++ new/\n>f+++++++++ new/f\n", stderr: "", exitCode: 0 });
  });

  test("-n and -u: entries kept as they were are listed with blanks", () => {
    const root = sandbox("itemize-skip");
    sh("mkdir src dst && printf a > src/a && printf b > src/b && printf old > dst/a && touch -d 2030-01-01 dst/b", root);
    const kept = blit(["-n", "--itemize", "src/a", "src/b", "dst"], { cwd: root });
    expect(kept).toEqual({ stdout: ".f          dst/a\n.f          dst/b\n", stderr: "", exitCode: 0 });
    sh("touch -d 2000-01-01 dst/a", root);
    const newer = blit(["-u", "--itemize", "src/a", "src/b", "dst"], { cwd: root });
    // Times not kept: T, the copy's mtime being when it was made (rsync -u -i's too).
    expect(newer.stdout.split("\n").sort()).toEqual(["", ".f          dst/b", ">f.sT...... dst/a"]);
  });

  // A symlink kept (-n, -u) is DEST's: its line names what that one leads to, as cp leaves it.
  test.each([["-n"], ["-u"]])("%s: a symlink kept is listed with DEST's target", (flag) => {
    const root = sandbox("itemize-kept-link");
    sh("mkdir src dst && ln -s tgt1 src/link && ln -s tgt2 dst/link && touch -h -d 2030-01-01 dst/link", root);
    expect(blit(["-a", flag, "--itemize", "src/link", "dst"], { cwd: root })).toEqual({ stdout: ".L          dst/link -> tgt2\n", stderr: "", exitCode: 0 });
    expect(readlinkSync(`${root}/dst/link`)).toBe("tgt2");
  });

  // Nothing written: rsync's `.f` and the letters of what was set, no s (the size there stays) or T.
  test.each([
    [["-a"], [".f          dst/c", ".f..t...... dst/a"]],
    [["-r"], [".f          dst/a", ".f          dst/c"]],
  ])("--attributes-only %p on files there: their data kept, listed as attributes set, in a dry run too", (flags, lines) => {
    const root = sandbox("itemize-attributes-only");
    sh("mkdir src && printf hello > src/a && printf x > src/c && cp -a src dst && printf other-data > dst/a && touch -d @1577836800 src/a", root);
    const before = sh("stat -c %Y dst/a", root).trim();
    const args = [...flags, "--attributes-only", "--itemize", "src/a", "src/c", "dst"];
    const sorted = (r: { stdout: string; stderr: string; exitCode: number }) => ({ ...r, stdout: r.stdout.split("\n").filter(Boolean).sort() });
    const expected = { stdout: [...lines].sort(), stderr: "", exitCode: 0 };
    expect(sorted(blit([...args, "--dry-run"], { cwd: root }))).toEqual(expected);
    expect(sorted(blit(args, { cwd: root }))).toEqual(expected);
    // -a sets SOURCE's mtime (2020-01-01); -r leaves the file as it was.
    expect(sh("cat dst/a; echo; stat -c %Y dst/a", root).trim()).toBe(`other-data\n${flags[0] === "-a" ? "1577836800" : before}`);
    const { events } = blitJson([...flags, "--attributes-only", "-v", "src/a", "dst"], { cwd: root });
    expect(events.filter((e) => e.type === "file").map((e) => `${e.action} ${e.dst}`)).toEqual(["attributes dst/a"]);
  });

  // -b and --remove-destination put a new, empty file in its place: data written (`>f`, s), as before them.
  test.each([["-b"], ["--remove-destination"]])("--attributes-only %s: the file there is replaced, listed >f, in a dry run too", (flag) => {
    const root = sandbox("itemize-attributes-replaced");
    sh("mkdir src dst && printf hello > src/a && printf other-data > dst/a && touch -d @1577836800 src/a", root);
    const args = ["-a", "--attributes-only", flag, "--itemize", "src/a", "dst"];
    const expected = { stdout: ">f.st...... dst/a\n", stderr: "", exitCode: 0 };
    expect(blit([...args, "--dry-run"], { cwd: root })).toEqual(expected);
    expect(blit(args, { cwd: root })).toEqual(expected);
    expect(sh("stat -c %s dst/a", root).trim()).toBe("0");
  });

  // cp gives the attributes to the file a symlink named as DEST leads to: that file keeps its data.
  test("--attributes-only through a symlink named as DEST: the file it leads to is listed as given attributes", () => {
    const root = sandbox("itemize-attributes-through");
    sh("mkdir src && printf hello > src/a && printf other-data > target && ln -s target link && touch -d @1577836800 src/a", root);
    const args = ["-a", "--attributes-only", "--itemize", "src/a", "link"];
    const expected = { stdout: ".f..t...... link\n", stderr: "", exitCode: 0 };
    expect(blit([...args, "--dry-run"], { cwd: root })).toEqual(expected);
    expect(blit(args, { cwd: root })).toEqual(expected);
    expect(sh("cat target; echo; stat -c %Y target; readlink link", root).trim()).toBe("other-data\n1577836800\ntarget");
  });

  // Written into, a file keeps the xattrs SOURCE lacks, as cp --attributes-only keeps them, and loses
  // an ACL SOURCE lacks (the mode is set): `a` for that, `x` only for SOURCE's xattrs set. The build
  // before listed `x` for the xattr it left (`.f..t....ax`).
  testIf(hasCommand("setfattr") && hasCommand("setfacl") ? undefined : "setfattr (attr) or setfacl (acl) is not installed")(
    "--attributes-only -a on files with an xattr and an ACL SOURCE lacks: the ACL goes (a), the xattr stays (no x), in a dry run too",
    () => {
      const root = sandbox("itemize-attributes-xattrs");
      sh("mkdir src && printf hello > src/a && printf hi > src/b && setfattr -n user.k -v 1 src/b && cp -a src dst && setfattr -x user.k dst/b", root);
      sh("setfattr -n user.extra -v 1 dst/a dst/b && setfacl -m u:nobody:r dst/a && touch -d @1577836800 src/a src/b", root);
      const args = ["-a", "--attributes-only", "--itemize", "src/a", "src/b", "dst"];
      const sorted = (r: { stdout: string; stderr: string; exitCode: number }) => ({ ...r, stdout: r.stdout.split("\n").filter(Boolean).sort() });
      const expected = { stdout: [".f..t....a. dst/a", ".f..t.....x dst/b"].sort(), stderr: "", exitCode: 0 };
      expect(sorted(blit([...args, "--dry-run"], { cwd: root }))).toEqual(expected);
      expect(sorted(blit(args, { cwd: root }))).toEqual(expected);
      expect(sh("getfattr -h --absolute-names -d dst/a dst/b | grep -v '^#' | grep .; getfacl -c dst/a | grep nobody; cat dst/a dst/b", root)).toBe('user.extra="1"\nuser.extra="1"\nuser.k="1"\nhellohi');
    },
  );

  test("with --json: file events instead of lines, the same actions", () => {
    const root = sandbox("itemize-json");
    sh("mkdir src dst && printf a > src/a && printf b > src/b && printf old > dst/a", root);
    const { events, exitCode } = blitJson(["-n", "--itemize", "src/a", "src/b", "dst"], { cwd: root });
    expect(exitCode).toBe(0);
    expect(events.filter((e) => e.type === "file").map((e) => `${e.action} ${e.dst}`)).toEqual(["skipped dst/a", "created dst/b"]);
  });
});
