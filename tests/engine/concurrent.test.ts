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
