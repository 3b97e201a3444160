// Several runs into one DEST at once (a CI retry racing the first attempt, two
// jobs sharing a cache folder): every run ends with exit 0 and the tree is the
// source's. A directory another run made first is joined, an entry another
// run put in place first is replaced, a hard-link target another run renamed
// over is linked again, and no temporary file is left behind.
//
// Hard-link groups are compared per run elsewhere (tests/engine/links.test.ts):
// between runs, the last rename onto each name wins, so the names of one
// group may end up holding different (identical) copies.

import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { BLIT, ended, heldOpen, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { snapshot } from "../helpers/tree.ts";

/** 20 × 20 directories of 10 files, a symlink and a hard link each (~5,000 entries). */
const TREE = `
import os, sys
for d in range(20):
    for s in range(20):
        p = f"src/d{d:02}/s{s:03}"
        os.makedirs(p)
        for f in range(10):
            with open(f"{p}/f{f}", "w") as out:
                out.write(f"{d}-{s}-{f}" * (f * 40))
        os.symlink("f1", f"{p}/ln")
        os.link(f"{p}/f2", f"{p}/hl")
os.chmod("src/d03", 0o750)
`;

/** blit's -v read line by line as it is written: each line whose DEST path was not there when it was read. */
async function readLive(args: string[], cwd: string) {
  const proc = Bun.spawn([BLIT, ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  const missing: string[] = [];
  let lines = 0;
  let text = "";
  for await (const chunk of proc.stdout) {
    text += Buffer.from(chunk).toString();
    const complete = text.split("\n");
    text = complete.pop()!;
    for (const line of complete) {
      lines++;
      const dst = /-> '(.*)'$/.exec(line)?.[1];
      if (!dst || !existsSync(`${cwd}/${dst}`)) missing.push(line);
    }
  }
  return { exitCode: await proc.exited, stderr: await new Response(proc.stderr).text(), lines, missing };
}

async function runAll(count: number, args: string[], cwd: string) {
  const procs = Array.from({ length: count }, () => Bun.spawn([BLIT, ...args], { cwd, stdout: "pipe", stderr: "pipe" }));
  return Promise.all(procs.map(async (p) => ({
    stdout: await new Response(p.stdout).text(),
    stderr: await new Response(p.stderr).text(),
    exitCode: await p.exited,
  })));
}

const CASES: { name: string; args: string[]; copy: string; twice: boolean }[] = [
  { name: "2 runs of -a into an existing directory", args: ["-a", "src", "D"], copy: "D/src", twice: false },
  { name: "3 runs of -a into a tree a first run made", args: ["-a", "src", "D"], copy: "D/src", twice: true },
  { name: "2 runs of -aT", args: ["-aT", "src", "D"], copy: "D", twice: false },
  { name: "3 runs of -r, the tree there already", args: ["-r", "src", "D"], copy: "D/src", twice: true },
  // Without -a no file is linked: the new directories of files are filled under temporary names, and one run's goes into the other's.
  { name: "2 runs of -r into an existing directory", args: ["-r", "src", "D"], copy: "D/src", twice: false },
];

describe("concurrent runs into one DEST", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const root = sandbox("concurrent");
      sh(`python3 -c '${TREE}' && mkdir D`, root);
      if (c.twice) expect((await runAll(1, c.args, root))[0]!.exitCode).toBe(0);
      for (let round = 0; round < 3; round++) {
        const results = await runAll(c.twice ? 3 : 2, c.args, root);
        expect(results).toEqual(results.map(() => ({ stdout: "", stderr: "", exitCode: 0 })));
        const options = { times: c.args[0]!.startsWith("-a") };
        expect(snapshot(`${root}/${c.copy}`, options)).toEqual(snapshot(`${root}/src`, options));
        expect(sh("find D -name '.blit-*' | wc -l", root).trim()).toBe("0");
        if (!c.twice) sh("rm -rf D && mkdir D", root);
      }
      // Here, not in the shared clean-up hook, whose time limit is short.
      sh("rm -rf D src", root);
    }, 120_000);
  }

  // Each run's --delete empties directories the other is emptying too: one
  // gone while it is read is gone, as --delete wants it (a QA review: both
  // runs said "cannot read directory" and left the emptied one).
  test("2 runs of -aT --skip-unchanged --delete, DEST holding trees SOURCE lacks", async () => {
    const root = sandbox("concurrent-delete");
    sh(`python3 -c '${TREE}'`, root);
    for (let round = 0; round < 3; round++) {
      sh(`rm -rf D && cp -a src D && for d in $(seq 20); do mkdir -p D/extra/s$d && (cd D/extra/s$d && touch $(seq -f x%g 300)); done`, root);
      const results = await runAll(2, ["-aT", "--skip-unchanged", "--delete", "src", "D"], root);
      expect(results).toEqual(results.map(() => ({ stdout: "", stderr: "", exitCode: 0 })));
      expect(snapshot(`${root}/D`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
    }
    sh("rm -rf D src", root);
  }, 120_000);

  // Another run puts a file under a name this run is about to fill, in a
  // directory this run made (nothing is looked up there): that run's copy
  // is replaced as a copy replaces a file there, kept (-n), backed up (-b),
  // or, where the options would have compared or asked (-u), refused as
  // cp refuses it when its exclusive create finds the name taken. "staged":
  // a new directory of files, filled under a temporary name and merged into
  // the one the other run made (`sub`: one with a subdirectory, which is
  // made in that one once this run's files are in it; `big`: with a file
  // too large for the small-file batches); "made": the
  // operand's own copy, made under its name (its parent is not the run's),
  // whose file `a` this run copies last (a fifo); "there": the same, in a
  // directory that was there, where `a` was not when the copy looked.
  const RACES: { where: "staged" | "made" | "there"; sub?: boolean; big?: boolean; args: string[]; contents: string; theirsDir?: boolean; stderr?: string; line?: string }[] = [
    { where: "staged", args: [], contents: "a=ours p=data" },
    { where: "staged", args: ["-n"], contents: "a=theirs p=data" },
    { where: "staged", args: ["-b"], contents: "a=ours a~=theirs p=data" },
    { where: "staged", args: ["--backup=numbered"], contents: "a=ours a.~1~=theirs p=data" },
    { where: "staged", args: ["-u"], contents: "a=theirs p=data", stderr: "cannot move 'dst/leaf/a' into place: File exists" },
    { where: "staged", args: ["--update=none-fail"], contents: "a=theirs p=data", stderr: "not replacing 'dst/leaf/a'" },
    // A directory in the way is refused, as cp refuses one, and kept whole.
    { where: "staged", args: [], contents: "a/x=theirs p=data", theirsDir: true, stderr: "cannot overwrite directory 'dst/leaf/a' with non-directory" },
    { where: "staged", args: ["-b"], contents: "a/x=theirs p=data", theirsDir: true, stderr: "cannot overwrite directory 'dst/leaf/a' with non-directory" },
    { where: "staged", sub: true, args: [], contents: "a=ours p=data sub/x=below" },
    { where: "staged", sub: true, args: ["-n"], contents: "a=theirs p=data sub/x=below" },
    { where: "staged", sub: true, args: ["-u"], contents: "a=theirs p=data sub/x=below", stderr: "cannot move 'dst/leaf/a' into place: File exists" },
    { where: "staged", sub: true, big: true, args: [], contents: "a=ours p=data sub/x=below" },
    { where: "made", args: [], contents: "a=ours" },
    { where: "made", args: ["-n"], contents: "a=theirs" },
    { where: "made", args: ["-b"], contents: "a=ours a~=theirs" },
    { where: "made", args: ["-bv"], contents: "a=ours a~=theirs", line: "'src/leaf/a' -> 'dst/leaf/a' (backup: 'dst/leaf/a~')" },
    { where: "made", args: ["-u"], contents: "a=theirs", stderr: "cannot create regular file 'dst/leaf/a': File exists" },
    { where: "made", args: ["--update=none-fail"], contents: "a=theirs", stderr: "not replacing 'dst/leaf/a'" },
    { where: "there", args: [], contents: "a=ours" },
    { where: "there", args: ["-b"], contents: "a=ours a~=theirs" },
    { where: "there", args: ["-u"], contents: "a=theirs", stderr: "cannot create regular file 'dst/leaf/a': File exists" },
  ];
  for (const r of RACES) {
    const exitCode = r.stderr ? 1 : 0;
    const directory = { staged: "this run filled under a temporary name", made: "this run made", there: "that was there, after the copy looked" }[r.where];
    test(`${["-aT", ...r.args].join(" ")}: a file another run put in a directory ${directory}${r.sub ? " with a subdirectory" : ""}${r.big ? " and a large file" : ""}${r.theirsDir ? " (a directory where it has a file)" : ""}: ${r.contents}, exit ${exitCode}`, async () => {
      const root = sandbox("concurrent-race");
      const fifo = r.where === "staged" ? "src/leaf/p" : "src/leaf/a";
      sh(r.where === "staged" ? "mkdir -p src/leaf && printf ours > src/leaf/a && mkfifo src/leaf/p" : "mkdir -p src/leaf/sub && mkfifo src/leaf/a", root);
      if (r.sub) sh("mkdir src/leaf/sub && printf below > src/leaf/sub/x", root);
      if (r.big) sh("head -c 2097152 /dev/urandom > src/leaf/big", root);
      if (r.where !== "staged") sh(r.where === "there" ? "mkdir -p dst/leaf" : "mkdir dst", root);
      const operands = r.where === "staged" ? ["src", "dst"] : ["src/leaf", "dst/leaf"];
      const proc = Bun.spawn([BLIT, "-aT", ...r.args, "--copy-contents", ...operands], { cwd: root, stdout: "pipe", stderr: "pipe" });
      let written = false;
      try {
        await heldOpen(proc.pid, `${root}/${fifo}`);
        const theirs = r.theirsDir ? "mkdir dst/leaf/a && printf theirs > dst/leaf/a/x" : "printf theirs > dst/leaf/a && touch -d 2030-01-01 dst/leaf/a";
        const staged = sh("find dst -mindepth 1 -maxdepth 1 -type d -name '.blit-*' | wc -l", root);
        expect(staged).toBe(r.where === "staged" ? "1\n" : "0\n");
        // Nothing is made below a directory until it is in place.
        if (r.sub) expect(sh("find dst -mindepth 2 -type d | wc -l", root)).toBe("0\n");
        sh(r.where === "staged" ? `mkdir dst/leaf && ${theirs}` : theirs, root);
        sh(`printf ${r.where === "staged" ? "data" : "ours"} > ${fifo}`, root);
        written = true;
      } finally {
        // Not left waiting for the fifo's writer.
        if (!written) proc.kill();
      }
      const { stdout, ...rest } = await ended(proc);
      expect(rest).toEqual({ stderr: r.stderr ? `blit: ${r.stderr}\n` : "", exitCode });
      if (r.line) expect(stdout.split("\n")).toContain(r.line);
      else expect(stdout).toBe("");
      const names = r.contents.split(" ").map((pair) => pair.split("=")[0]!);
      const listed = [...new Set([...names.map((name) => name.split("/")[0]!), ...(r.where === "staged" ? [] : ["sub"]), ...(r.big ? ["big"] : [])])].sort();
      expect(sh("ls -A dst && ls -A dst/leaf", root)).toBe(`leaf\n${listed.join("\n")}\n`);
      expect(names.map((name) => `${name}=${sh(`cat dst/leaf/${name}`, root)}`).join(" ")).toBe(r.contents);
      if (r.big) expect(sh("cmp src/leaf/big dst/leaf/big && echo same", root)).toBe("same\n");
    });
  }

  // The same for a hard-link group's later name, which is linked to the
  // first copy aside and renamed into place: the other run's file there is
  // replaced, kept, backed up or refused as above. `a` and `b` are one fifo;
  // which name is copied first follows the listing's order, so the other
  // run takes the name blit is not reading.
  const LINK_RACES: { where: "made" | "there"; args: string[]; contents: string; stderr?: string; line?: string }[] = [
    { where: "made", args: [], contents: "first=ours later=ours" },
    { where: "made", args: ["-n"], contents: "first=ours later=theirs" },
    { where: "made", args: ["-b"], contents: "first=ours later=ours later~=theirs" },
    { where: "made", args: ["-bv"], contents: "first=ours later=ours later~=theirs", line: "'src/leaf/later' -> 'dst/leaf/later' (backup: 'dst/leaf/later~')" },
    { where: "made", args: ["-u"], contents: "first=ours later=theirs", stderr: "cannot create hard link 'dst/leaf/later': File exists" },
    { where: "made", args: ["--update=none-fail"], contents: "first=ours later=theirs", stderr: "not replacing 'dst/leaf/later'" },
    { where: "there", args: ["-b"], contents: "first=ours later=ours later~=theirs" },
    { where: "there", args: ["-u"], contents: "first=ours later=theirs", stderr: "cannot create hard link 'dst/leaf/later': File exists" },
  ];
  for (const r of LINK_RACES) {
    const exitCode = r.stderr ? 1 : 0;
    const directory = { made: "this run made", there: "that was there, after the copy looked" }[r.where];
    test(`${["-aT", ...r.args].join(" ")}: a file another run put under a hard link's later name, in a directory ${directory}: ${r.contents}, exit ${exitCode}`, async () => {
      const root = sandbox("concurrent-link-race");
      sh("mkdir -p src/leaf/sub && mkfifo src/leaf/a && ln src/leaf/a src/leaf/b", root);
      if (r.where === "there") sh("mkdir -p dst/leaf", root);
      const proc = Bun.spawn([BLIT, "-aT", ...r.args, "--copy-contents", "src", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
      let first = "";
      try {
        first = (await heldOpen(proc.pid, [`${root}/src/leaf/a`, `${root}/src/leaf/b`])).endsWith("/a") ? "a" : "b";
        const later = first === "a" ? "b" : "a";
        sh(`printf theirs > dst/leaf/${later} && touch -d 2030-01-01 dst/leaf/${later} && printf ours > src/leaf/a`, root);
      } finally {
        // Not left waiting for the fifo's writer.
        if (!first) proc.kill();
      }
      const later = first === "a" ? "b" : "a";
      const named = (text: string) => text.replaceAll("first", first).replaceAll("later", later);
      const { stdout, ...rest } = await ended(proc);
      expect(rest).toEqual({ stderr: r.stderr ? `blit: ${named(r.stderr)}\n` : "", exitCode });
      if (r.line) expect(stdout.split("\n")).toContain(named(r.line));
      else expect(stdout).toBe("");
      const names = named(r.contents).split(" ").map((pair) => pair.split("=")[0]!);
      expect(sh("ls -A dst/leaf", root)).toBe(`${[...names, "sub"].sort().join("\n")}\n`);
      expect(names.map((name) => `${name}=${sh(`cat dst/leaf/${name}`, root)}`).join(" ")).toBe(named(r.contents));
      // Where both are this run's, they are one inode still.
      if (!r.contents.includes("later=theirs")) expect(sh(`stat -c %i dst/leaf/${first} dst/leaf/${later} | uniq | wc -l`, root)).toBe("1\n");
    });
  }

  // Another run replaces the first copy of a hard-link group (keeping this
  // one's under a~) before this run links a later name to it: that name is
  // not linked to the other run's data, but copied anew from SOURCE. `a` is
  // copied before `sub`'s fifo pauses the run, `c` below it after.
  test("-aT: a hard-link group's first copy replaced by another run before a later name is linked: that name holds SOURCE's data, exit 0", async () => {
    const root = sandbox("concurrent-first-replaced");
    sh("mkdir -p src/leaf/sub/deeper && printf ours > src/leaf/a && ln src/leaf/a src/leaf/sub/deeper/c && mkfifo src/leaf/sub/p", root);
    const proc = Bun.spawn([BLIT, "-aT", "--copy-contents", "src", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    let written = false;
    try {
      await heldOpen(proc.pid, `${root}/src/leaf/sub/p`);
      expect(sh("cat dst/leaf/a && mv dst/leaf/a dst/leaf/a~ && printf theirs > dst/leaf/a && printf data > src/leaf/sub/p", root)).toBe("ours");
      written = true;
    } finally {
      if (!written) proc.kill();
    }
    expect(await ended(proc)).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sh("for f in a a~ sub/deeper/c sub/p; do printf '%s=%s ' $f $(cat dst/leaf/$f); done", root)).toBe("a=theirs a~=ours sub/deeper/c=ours sub/p=data ");
  });

  // A pipeline reading -v as the copy runs opens what each line names: a
  // directory filled under a temporary name holds its lines until it is in place.
  test("-v read as it is written, a directory of 3,000 files: each file is under its name when its line is read", async () => {
    const root = sandbox("staged-lines");
    sh("mkdir -p src/leaf && cd src/leaf && for i in $(seq 3000); do printf $i > f$i; done", root);
    const { exitCode, stderr, lines, missing } = await readLive(["-v", "-r", "src", "dst"], root);
    expect({ exitCode, stderr, lines, missing: missing.slice(0, 3) }).toEqual({ exitCode: 0, stderr: "", lines: 3002, missing: [] });
  });

  // A directory whose per-directory rules cannot be read is not copied into,
  // and its finish is left to the pool: it goes into place before that.
  test("-v read as it is written, directories with rules that cannot be read among them: each directory named is under its name", async () => {
    const root = sandbox("staged-lines-rules");
    sh("for d in $(seq 40); do mkdir -p src/d$d && printf x > src/d$d/f; done && for d in 5 15 25 35; do printf 'bad ( rule\\n' > src/d$d/.rules; done", root);
    const { exitCode, missing } = await readLive(["-av", "--filter=: .rules", "src", "dst"], root);
    expect({ exitCode, missing }).toEqual({ exitCode: 1, missing: [] });
    expect(sh("find dst -name '.blit-*' | wc -l", root)).toBe("0\n");
  });

  // Another program deleting in DEST (rsync --delete racing blit) may remove
  // blit's temporary file before its rename: the error says so, not the
  // rename's bare "No such file or directory".
  test("a temporary file removed by another program before its rename: said so, exit 1, nothing under the final name", async () => {
    const root = sandbox("concurrent-temp-removed");
    sh("mkdir src && printf a > src/a && mkfifo src/p", root);
    const proc = Bun.spawn([BLIT, "-a", "--copy-contents", "src", "dst"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    await heldOpen(proc.pid, `${root}/src/p`);
    expect(sh("ls -A dst | grep -c '^\\.blit-' && rm dst/.blit-* && printf data > src/p", root)).toBe("1\n");
    const { stdout, stderr, exitCode } = await ended(proc);
    expect({ stdout, stderr, exitCode }).toEqual({
      stdout: "",
      stderr: "blit: cannot create regular file 'dst/p': its temporary file was removed by another program before it was renamed into place\n",
      exitCode: 1,
    });
    expect(sh("ls -A dst", root)).toBe("a\n");
  });
});
