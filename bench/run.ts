// The benchmark: blit against the tools users have, on the same generated
// trees, in one session, alternating tools and repeating (medians, min/max).
// Caches are dropped before every timed run (root only); warm runs are
// reported beside them, labelled. Results go to bench/RESULTS.md, a chart to
// bench/chart.png, and the headline table into README.md.
//
//   bun bench/run.ts                       everything (60–90 minutes here)
//   bun bench/run.ts --only small,startup  some scenarios
//   bun bench/run.ts --only progress       what the progress bar and --json cost
//   bun bench/run.ts --only wine           blit.exe under Wine, against Bun's
//                                          fs.cpSync for Windows and its own
//                                          portable fallback (bench/wine.ts)
//   bun bench/run.ts --only wine --wine-trees tiny --rounds 1
//                                          the same on a tiny tree: a check
//                                          that the section runs, no figures
//   bun bench/run.ts --rounds 5
//   bun bench/run.ts --only mixed --merge  re-run some scenarios, keep the
//                                          others from bench/results.json
//   bun bench/run.ts --only none --merge   rewrite RESULTS.md, the chart and
//                                          the README table from results.json
//                                          (which keeps each section as it
//                                          ends, so also after a stopped run)
//   bun bench/run.ts --only real --no-warm --leave-out "Bun fs,blit -a -j 4"
//                                          a shorter run: no warm runs, and the
//                                          tools named (by the start of their
//                                          names) left out, which RESULTS.md says

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { availableParallelism, cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { DELETION_STAMP, ensureTree, TREES } from "./trees.ts";
import { wineBench, wineMissing } from "./wine.ts";

const ROOT = join(import.meta.dir, "..");
const BLIT = join(ROOT, "dist", "blit");
const BUN = process.execPath;
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const ROUNDS = Number(option("rounds", "3"));
const WORK = option("work", "/var/tmp/blit-bench");
const ONLY = option("only", "small,mixed,real,big,sparse,reflink,startup,memory,syscalls,again").split(",");
const MERGE = args.includes("--merge");
const WINE_TREES = option("wine-trees", "small,mixed").split(",");
/**
 * A shorter run, when the copies a tree's full run needs do not fit on the
 * disk and each deletion would cost ext4's six-minute reuse window: no warm
 * runs, and tools left out by the start of their names. Said in RESULTS.md.
 */
const NO_WARM = args.includes("--no-warm");
const LEAVE_OUT = option("leave-out", "").split(",").filter(Boolean);
const OUT = join(ROOT, "bench", "out");
/**
 * Every section's runs, kept in git beside RESULTS.md: RESULTS.md keeps only
 * medians and ranges, so a section re-run alone (--merge) on a fresh clone
 * needs the others' runs from here to rewrite RESULTS.md, the README table and
 * the chart whole.
 */
const RESULTS = join(ROOT, "bench", "results.json");
const isRoot = process.getuid?.() === 0;
const CPUS = availableParallelism();
/** The walk limit's threads: as many as blit's two walks of a second run (4 each) list at once. */
const WALK_THREADS = 8;

mkdirSync(OUT, { recursive: true });
if (MERGE && !existsSync(RESULTS)) {
  // Refused before anything is measured: without the other sections' runs,
  // RESULTS.md, the chart and the README table would be written from this run's alone.
  console.error(`bench: --merge needs ${RESULTS} (the runs of every section), and there is none: run the whole bench once without --merge`);
  process.exit(2);
}
mkdirSync(WORK, { recursive: true });

// ------------------------------------------------------------------ tools

interface Tool {
  name: string;
  /** The command that copies the directory src to dst (which does not exist). */
  command(src: string, dst: string): string[];
  /** Tools whose copies keep less than cp -a, noted in the report. */
  note?: string;
  /** Not a copy: a baseline shown beside the tools, left out of "the fastest other tool" and the chart. */
  reference?: boolean;
  /** Not the tool's defaults but flags chosen by hand for this machine: shown, labelled, never "the fastest other tool". */
  tuned?: boolean;
  /** Variables added to the environment it runs in (Wine's prefix). */
  env?: Record<string, string>;
}

function sh(command: string): { code: number; out: string } {
  const r = Bun.spawnSync(["sh", "-c", command], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
}

function findTool(name: string): string | undefined {
  for (const dir of [join(WORK, "tools", "bin"), ...(process.env.PATH ?? "").split(":")]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** xcp and fcp from crates.io, built into the work folder once, if cargo is here. */
function rustTools(): void {
  for (const crate of ["xcp", "fcp"]) {
    if (findTool(crate) || !sh("command -v cargo").out) continue;
    console.log(`building ${crate} from crates.io (once)...`);
    const r = sh(`cargo install ${crate} --root ${join(WORK, "tools")} 2>&1 | tail -3`);
    if (r.code !== 0) console.log(`  ${crate} could not be built: ${r.out.trim()}`);
  }
}

/** A compiled Bun hello-world: what the runtime alone costs to start. */
function helloBinary(): string {
  const out = join(OUT, "hello");
  const source = join(OUT, "hello.ts");
  writeFileSync(source, 'console.log("hello");\n');
  sh(`${BUN} build --compile --outfile ${out} ${source}`);
  return out;
}

/** bench/NAME.c built into the output folder: the floor copier (floor.c), the walk limit (walk.c). */
function cBinary(name: "floor" | "walk"): string {
  const out = join(OUT, name);
  const r = sh(`gcc -O2 -pthread -Wall -Wextra -o ${out} ${join(ROOT, "bench", `${name}.c`)}`);
  if (r.code !== 0) throw new Error(`building bench/${name}.c failed:\n${r.out}`);
  return out;
}

// Every tool as its users run it: its defaults, plus only what the same
// result needs (-r, -a). Rows tuned by hand come last, labelled.
function treeTools(): Tool[] {
  rustTools();
  const floor = cBinary("floor");
  const tools: Tool[] = [
    { name: "blit -a", command: (s, d) => [BLIT, "-a", s, d] },
    { name: "cp -a", command: (s, d) => ["cp", "-a", s, d] },
    { name: "rsync -aH", command: (s, d) => ["rsync", "-aH", `${s}/`, `${d}/`] },
    { name: "tar pipe", command: (s, d) => ["sh", "-c", `mkdir -p '${d}' && tar -C '${s}' -cf - . | tar -C '${d}' -xpf -`] },
    {
      name: "Bun fs.cpSync",
      command: (s, d) => [BUN, "-e", "require('fs').cpSync(process.argv[1], process.argv[2], { recursive: true, preserveTimestamps: true, verbatimSymlinks: true })", s, d],
      note: "no owners, no hard links, no xattrs",
    },
    {
      name: "Bun fs.promises.cp",
      command: (s, d) => [BUN, "-e", "await require('fs').promises.cp(process.argv[1], process.argv[2], { recursive: true, preserveTimestamps: true, verbatimSymlinks: true })", s, d],
      note: "no owners, no hard links, no xattrs",
    },
  ];
  const xcp = findTool("xcp");
  // xcp's default is 4 workers (-w 0 would mean one per CPU).
  if (xcp) tools.push({ name: "xcp -r", command: (s, d) => [xcp, "-r", s, d], note: "no owners, no hard links" });
  const fcp = findTool("fcp");
  if (fcp) tools.push({ name: "fcp", command: (s, d) => [fcp, s, d], note: "no owners, no hard links" });
  tools.push(
    {
      name: `floor (C, ${CPUS} threads)`,
      command: (s, d) => [floor, String(CPUS), s, d],
      note: "the floor: open, create, copy_file_range, futimens, close; nothing else",
    },
    {
      name: "read limit (8 readers)",
      // Every file read once, cold, 8 at a time: no copy can take less.
      command: (s) => ["sh", "-c", `find '${s}' -type f -print0 | xargs -0 -P8 -n 256 cat > /dev/null`],
      note: "reads every file once, 8 readers at a time, writes nothing: what no copy can beat",
      reference: true,
    },
    { name: "blit -a -j 4 (tuned)", command: (s, d) => [BLIT, "-a", "-j", "4", s, d], tuned: true },
  );
  if (xcp) tools.push({ name: "xcp -r -w 8 (tuned)", command: (s, d) => [xcp, "-r", "-w", "8", s, d], note: "no owners, no hard links", tuned: true });
  return tools;
}

// ------------------------------------------------------------------ measuring

interface Sample {
  seconds: number;
  maxRssMiB: number;
  ok: boolean;
}

function dropCaches(): void {
  if (!isRoot) return;
  sh("sync; echo 3 > /proc/sys/vm/drop_caches");
}

// Peak RSS comes from GNU time, not from Bun's spawn: Bun starts children with
// vfork, and Linux then counts the parent's (this script's) resident set as
// the child's high-water mark, so every small tool would show Bun's ~25 MiB.
// time(1) forks, and wait4 reports the largest process of the child's tree.
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const RSS_FILE = join(OUT, "maxrss");

/** Times one copy into dst, which must not exist yet. */
function measure(cmd: string[], dst: string, cold: boolean, env?: Record<string, string>): Sample {
  if (existsSync(dst)) throw new Error(`${dst} exists: every timed copy goes to a new folder`);
  sh("sync");
  if (cold) dropCaches();
  const wrapped = TIME ? [TIME, "-f", "%M", "-o", RSS_FILE, ...cmd] : cmd;
  const start = performance.now();
  const r = Bun.spawnSync(wrapped, { stdout: "ignore", stderr: "pipe", env: env && { ...process.env, ...env } });
  const seconds = (performance.now() - start) / 1000;
  const maxRssKiB = TIME ? Number(readFileSync(RSS_FILE, "utf8").trim().split("\n").at(-1)) : (r.resourceUsage?.maxRSS ?? 0) / 1024;
  const ok = r.exitCode === 0;
  if (!ok) console.log(`  ! ${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().split("\n").slice(0, 3).join(" | ")}`);
  return { seconds, maxRssMiB: maxRssKiB / 1024, ok };
}

// ext4 without a journal (the disk here) will not reuse an inode freed less
// than 60 s ago, or less than 60 + 300 s ago while the inode table block
// holding it is dirty (RECENTCY_MIN and RECENTCY_DIRTY, recently_deleted() in
// the kernel's fs/ext4/ialloc.c). A copy dirties those blocks as soon as it
// writes its first new inode into one, so in practice the window is 360 s,
// and every create rescans the freed inodes it may not take: perf showed 31 %
// of all CPU time there when a 50,000-file copy followed the deletion of the
// previous copy. Whichever tool ran within six minutes of a deletion paid
// for it, by an amount that depended on its place in the rotation. So the
// copies of a many-file tree are kept until its section ends, when the disk
// has room for them all; a timed run of a many-file tree waits until the
// window after the last deletion has passed. The time of the last deletion
// is kept in the work folder, so that the next run knows it too.
const REUSE_WINDOW_MS = 365_000;
const STAMP = join(WORK, DELETION_STAMP);
let lastDeletion = 0;

function remove(dirs: string[]): void {
  const existing = dirs.filter((dir) => existsSync(dir));
  if (existing.length === 0) return;
  for (const dir of existing) rmSync(dir, { recursive: true, force: true });
  sh("sync");
  lastDeletion = Date.now();
  writeFileSync(STAMP, String(lastDeletion));
}

function afterReuseWindow(): void {
  // Also deletions made elsewhere: an earlier run, or trees.ts regenerating a tree.
  const stamped = existsSync(STAMP) ? Number(readFileSync(STAMP, "utf8")) || 0 : 0;
  lastDeletion = Math.max(lastDeletion, stamped);
  const wait = lastDeletion + REUSE_WINDOW_MS - Date.now();
  if (wait <= 0) return;
  console.log(`  (waiting ${Math.ceil(wait / 1000)} s: ext4 avoids reusing inodes freed in the last 360 s)`);
  Bun.sleepSync(wait);
}

/** What the filesystem holding `dir` has free, and what `tree` takes up there (bytes and inodes). */
function room(dir: string, tree: string): { freeBytes: number; freeInodes: number; treeBytes: number; treeInodes: number } {
  const [freeBytes = 0, freeInodes = 0] = sh(`df -B1 --output=avail,iavail ${dir} | tail -1`).out.trim().split(/\s+/).map(Number);
  const treeBytes = Number(sh(`du -s -B1 ${tree}`).out.split(/\s/)[0]);
  const treeInodes = Number(sh(`du -s --inodes ${tree}`).out.split(/\s/)[0]);
  return { freeBytes, freeInodes, treeBytes, treeInodes };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The tools users have, as they run them, in a scenario: not blit, not the floor, not a reference or a tuned row, and not failed. */
const otherTools = (s: Scenario): Row[] =>
  s.rows.filter((r) => !r.tool.startsWith("blit") && !r.tool.startsWith("floor") && !r.reference && !r.tuned && !r.failed);

interface Row {
  tool: string;
  note?: string;
  reference?: boolean;
  tuned?: boolean;
  cold: number[];
  warm: number | undefined;
  maxRssMiB: number;
  failed: boolean;
}

interface Scenario {
  name: string;
  describe: string;
  rows: Row[];
  target?: string;
  /** When and from which commit it was measured (results of several runs can be merged). */
  date?: string;
  commit?: string;
  /** A shorter run (--no-warm, --leave-out): what it did not do. */
  shortened?: string;
  /** The machine it was measured on (MACHINE's words). */
  machine?: string;
}

/** A section of RESULTS.md that is not a table of tools (start-up, memory, system calls). */
interface Extra {
  name: string;
  lines: string[];
  date?: string;
  commit?: string;
  machine?: string;
}

const TODAY = new Date().toISOString().slice(0, 10);
/** Where this run measures; a section kept from a run on another machine says its own. */
const MACHINE = `${CPUS} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, filesystem of ${WORK}: ${sh(`stat -f -c %T ${WORK}`).out.trim()}`;
const COMMIT = (() => {
  const head = sh(`git -C ${ROOT} rev-parse --short HEAD`).out.trim();
  // What this runner writes itself (the results, the chart, README's table) does not make the code measured another.
  const own = new Set(["bench/RESULTS.md", "bench/results.json", "bench/chart.png", "README.md"]);
  const changed = sh(`git -C ${ROOT} status --porcelain --untracked-files=no`).out.split("\n").map((line) => line.slice(3).trim()).filter(Boolean);
  const dirty = changed.some((path) => !own.has(path));
  return dirty ? `${head} + uncommitted changes` : head;
})();

/**
 * Every tool on one tree: rounds of cold runs in rotating order, then a warm
 * run each. Copies of many-file trees go into new folders and are all kept
 * until the section ends (see above), or, when the disk is too small for
 * that, deleted a round at a time with the reuse window waited out after
 * each deletion. A single large file is deleted before each run (its one
 * inode does not matter, its size does).
 */
function runTools(name: string, describe: string, src: string, allTools: Tool[], manyFiles: boolean, base = join(WORK, "dst")): Scenario {
  console.log(`\n== ${name}: ${describe}`);
  const tools = allTools.filter((t, i) => i === 0 || !LEAVE_OUT.some((prefix) => t.name.startsWith(prefix)));
  const leftOut = allTools.filter((t) => !tools.includes(t)).map((t) => t.name);
  const shortened = [
    leftOut.length ? `Left out this time, to fit the copies on the disk: ${leftOut.join(", ")}.` : "",
    NO_WARM ? "No warm runs this time." : "",
  ].filter(Boolean).join(" ");
  const rows: Row[] = tools.map((t) => ({ tool: t.name, note: t.note, reference: t.reference, tuned: t.tuned, cold: [], warm: undefined, maxRssMiB: 0, failed: false }));
  remove([base]);
  mkdirSync(base, { recursive: true });
  // A warm-up copy, the timed rounds, and a copy per tool for the warm runs.
  const copiesNeeded = 1 + ROUNDS * tools.length + (NO_WARM ? 0 : tools.length);
  const space = manyFiles ? room(base, src) : undefined;
  const keepAll = space !== undefined &&
    space.freeBytes > copiesNeeded * space.treeBytes * 1.1 + 4 * 2 ** 30 && space.freeInodes > copiesNeeded * space.treeInodes * 1.1 + 100_000;
  if (manyFiles && !keepAll) console.log(`  (too little room to keep ${copiesNeeded} copies: deleting each round's, and each warm run's, and waiting out the reuse window each time)`);
  const timed = (tool: Tool, dst: string, cold: boolean): Sample => {
    if (manyFiles) afterReuseWindow();
    return measure(tool.command(src, dst), dst, cold, tool.env);
  };
  // Copies no longer needed, unless they are kept (a deletion before a
  // many-file run is followed by the reuse window, in timed()).
  const discard = (dirs: string[]) => {
    if (!keepAll) remove(dirs);
  };
  // One untimed cold copy first. The first run after the previous scenario
  // (whose warm runs filled the page cache, then dropped) was 2–5× slower
  // than the rest, whichever tool it was (blit, first in the rotation, took
  // 9.0 s and then 1.9 and 4.1 s on the 2 GiB file): the VM hands the freed
  // memory back to the host and faults it in again.
  const warmUp = join(base, "warm-up");
  timed(tools[1] ?? tools[0]!, warmUp, true);
  discard([warmUp]);
  for (let round = 0; round < ROUNDS; round++) {
    const copies: string[] = [];
    for (let k = 0; k < tools.length; k++) {
      const i = (k + round) % tools.length;
      const dst = join(base, `${round}-${i}`);
      copies.push(dst);
      const s = timed(tools[i]!, dst, true);
      rows[i]!.cold.push(s.seconds);
      rows[i]!.maxRssMiB = Math.max(rows[i]!.maxRssMiB, s.maxRssMiB);
      rows[i]!.failed ||= !s.ok;
      console.log(`  ${tools[i]!.name.padEnd(26)} ${s.seconds.toFixed(2)} s${isRoot ? "" : " (warm: not root)"}`);
      if (!manyFiles) remove([dst]);
    }
    discard(copies);
  }
  // Warm: the source in the page cache, and the tool's own executable and
  // libraries, nothing else. Before each timed run the caches are dropped,
  // the source is read back (every file, as the read limit reads it) and the
  // tool copies a one-file tree (kept until the section ends: a deletion
  // would start the reuse window). A second run after the tool's own filling
  // run, as this used to be timed, also found that run's copy in the cache,
  // its pages still being written back: blit took 0.71 s there on the small
  // tree against 0.78-0.86 s timed this way, and fcp 1.41 s on the mixed
  // tree against 0.36-0.37 s (bench/README item 25). Skipped for tools that
  // take over 30 s cold: the figure would only say "slower still".
  if (!NO_WARM) {
    const oneFile = join(base, "warm-start-source");
    mkdirSync(oneFile);
    writeFileSync(join(oneFile, "f"), "x");
    tools.forEach((t, i) => {
      if (median(rows[i]!.cold) > 30) return;
      const dst = join(base, `warm-${i}`);
      if (manyFiles) afterReuseWindow();
      dropCaches();
      sh(`find '${src}' -type f -print0 | xargs -0 -P8 -n 256 cat > /dev/null`);
      measure(t.command(oneFile, join(base, `warm-start-${i}`)), join(base, `warm-start-${i}`), false, t.env);
      rows[i]!.warm = measure(t.command(src, dst), dst, false, t.env).seconds;
      if (!manyFiles) remove([dst]);
      else discard([dst]);
    });
  }
  remove([base]);
  return { name, describe, rows, date: TODAY, commit: COMMIT, machine: MACHINE, ...(shortened && { shortened }) };
}

// ------------------------------------------------------------------ scenarios

const scenarios: Scenario[] = [];
const extras: Extra[] = [];

function record(scenario: Scenario): void {
  scenarios.push(scenario);
  checkpoint();
}

/**
 * What this run has measured so far, merged into results.json as each
 * section ends: a run stopped halfway (the real tree's reuse windows can
 * take an hour) keeps it, and a later `--only none --merge` reports it.
 */
function checkpoint(): void {
  const file = RESULTS;
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { scenarios: Scenario[]; extras?: Extra[] }) : { scenarios: [] };
  writeFileSync(file, JSON.stringify({
    ...previous,
    scenarios: [...previous.scenarios.filter((old) => !scenarios.some((s) => s.name === old.name)), ...scenarios],
    extras: [...(previous.extras ?? []).filter((old) => !extras.some((e) => e.name === old.name)), ...extras],
  }, null, 1));
}

for (const treeName of ["small", "mixed", "real", "big"]) {
  if (!ONLY.includes(treeName)) continue;
  const spec = TREES[treeName]!;
  const src = ensureTree(WORK, spec);
  record(runTools(treeName, spec.describe, src, treeTools(), treeName !== "big"));
}

// What showing progress costs (issue 18): the same copy with the bar (live
// counters in shared memory, the metadata pre-scan, a frame five times a
// second) and with --json's events, against none. Not in the default set:
// `--only progress`. stderr is a pipe here, so --progress draws a plain line
// every 5 s instead of five frames a second: the counting, which is most of
// the cost, is the same.
if (ONLY.includes("progress")) {
  for (const treeName of ["small", "big"]) {
    const spec = TREES[treeName]!;
    const src = ensureTree(WORK, spec);
    const tools: Tool[] = [
      { name: "blit -a --no-progress", command: (s, d) => [BLIT, "-a", "--no-progress", s, d] },
      { name: "blit -a --progress", command: (s, d) => [BLIT, "-a", "--progress", s, d] },
      { name: "blit -a --json", command: (s, d) => [BLIT, "-a", "--json", s, d] },
    ];
    const scenario = runTools(`progress-${treeName}`, `${spec.describe}, with and without progress`, src, tools, treeName !== "big");
    scenario.target = "blit -a --progress within the noise of blit -a --no-progress";
    record(scenario);
  }
}

// blit.exe under Wine (issue 14; bench/wine.ts). Not in the default set:
// `--only wine`, on the trees --wine-trees names (small and mixed; tiny to
// check that the section runs). The issue's goal: ≤ 0.5 × Bun's fs.cpSync
// under the same Wine on the small tree.
if (ONLY.includes("wine")) {
  const missing = wineMissing(ROOT);
  if (missing) {
    console.log(`\n== wine: not run: ${missing}`);
  } else {
    const wine = wineBench(WORK, ROOT, BUN);
    try {
      for (const treeName of WINE_TREES) {
        const spec = TREES[treeName];
        if (!spec) throw new Error(`--wine-trees: no tree ${treeName}; known: ${Object.keys(TREES).join(", ")}`);
        const scenario = runTools(`wine-${treeName}`, `${spec.describe}, under ${wine.version}`, ensureTree(WORK, spec), wine.tools, treeName !== "tiny");
        if (treeName === "small") scenario.target = "blit.exe ≤ 0.5 × Bun's fs.cpSync under the same Wine";
        record(scenario);
      }
    } finally {
      wine.end();
    }
  }
}

if (ONLY.includes("sparse")) {
  const spec = TREES.sparse!;
  const src = ensureTree(WORK, spec);
  const tools: Tool[] = [
    { name: "blit -a", command: (s, d) => [BLIT, "-a", s, d] },
    { name: "cp -a", command: (s, d) => ["cp", "-a", s, d] },
    { name: "cp -a --sparse=never", command: (s, d) => ["cp", "-a", "--sparse=never", s, d] },
    { name: "rsync -aH", command: (s, d) => ["rsync", "-aH", `${s}/`, `${d}/`], note: "writes every zero (no -S)" },
  ];
  const scenario = runTools("sparse", spec.describe, src, tools, false);
  scenario.target = "blit ≤ 0.1 × cp --sparse=never";
  record(scenario);
}

if (ONLY.includes("reflink") && isRoot && sh("command -v mkfs.xfs").code === 0) {
  const image = join(WORK, "xfs.img");
  const mnt = join(WORK, "xfs");
  mkdirSync(mnt, { recursive: true });
  sh(`umount ${mnt} 2>/dev/null; rm -f ${image}; truncate -s 7G ${image} && mkfs.xfs -q -m reflink=1 ${image} && mount -o loop ${image} ${mnt}`);
  try {
    const src = join(mnt, "src");
    mkdirSync(src);
    sh(`dd if=${join(ensureTree(WORK, TREES.big!), "big.bin")} of=${src}/big.bin bs=4M status=none && sync`);
    const helloWorld = helloBinary();
    const tools: Tool[] = [
      { name: "blit -a (clone)", command: (s, d) => [BLIT, "-a", s, d] },
      { name: "blit -a --reflink=never", command: (s, d) => [BLIT, "-a", "--reflink=never", s, d] },
      { name: "cp -a (clone)", command: (s, d) => ["cp", "-a", s, d] },
      { name: "rsync -aH", command: (s, d) => ["rsync", "-aH", `${s}/`, `${d}/`] },
      // The target (0.05 × a copy of a few seconds) is close to what the Bun
      // runtime alone needs to start with a cold cache: measured beside it.
      { name: "compiled Bun hello-world", command: () => [helloWorld], note: "copies nothing; the Bun runtime starting with a cold cache", reference: true },
    ];
    // The copy must land on the same XFS filesystem to be cloned.
    const scenario = runTools("reflink", "one 2 GiB file on XFS with reflink (loop mount)", src, tools, false, join(mnt, "dst"));
    scenario.target = "blit (clone) ≤ 0.05 × blit --reflink=never";
    record(scenario);
  } finally {
    sh(`umount ${mnt}; rm -f ${image}`);
  }
}

function startup(): void {
  console.log("\n== startup");
  const hello = helloBinary();
  const file = join(WORK, "one-file");
  writeFileSync(file, Buffer.alloc(4096, 1));
  const time = (cmd: string[], cleanup?: () => void) => {
    const xs: number[] = [];
    for (let i = 0; i < 21; i++) {
      cleanup?.();
      const start = performance.now();
      Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
      xs.push(performance.now() - start);
    }
    return median(xs);
  };
  const hw = time([hello]);
  const version = time([BLIT, "--version"]);
  const copy = time([BLIT, file, `${file}.copy`], () => rmSync(`${file}.copy`, { force: true }));
  const cp = time(["cp", file, `${file}.copy`], () => rmSync(`${file}.copy`, { force: true }));
  addExtra(
    "startup",
    "## Start-up (warm, median of 21)",
    "",
    "| command | ms | ratio to a compiled Bun hello-world |",
    "| --- | ---: | ---: |",
    `| compiled Bun hello-world | ${hw.toFixed(1)} | 1.00 |`,
    `| \`blit --version\` | ${version.toFixed(1)} | ${(version / hw).toFixed(2)} (target ≤ 3) |`,
    `| \`blit\` one 4 KiB file | ${copy.toFixed(1)} | ${(copy / hw).toFixed(2)} |`,
    `| \`cp\` one 4 KiB file | ${cp.toFixed(1)} | ${(cp / hw).toFixed(2)} |`,
    "",
  );
}

/**
 * Peak RSS of one cold `blit -a` of each many-file tree: in 1,000-file
 * directories and in one flat directory, which must be streamed like a deep
 * tree. The copies are kept until the section ends when there is room (no
 * deletion, so no reuse window to wait out, between the runs).
 */
function memory(): void {
  console.log("\n== memory");
  const lines = ["## Peak memory (RSS) of `blit -a` on many files", "", "| tree | files | seconds (cold) | peak RSS | target |", "| --- | ---: | ---: | ---: | --- |"];
  const trees = [["files-100k", "100,000"], ["files-1m", "1,000,000"], ["files-flat-1m", "1,000,000"]] as const;
  const copies: string[] = [];
  for (const [name, files] of trees) {
    const src = ensureTree(WORK, TREES[name]!);
    const dst = join(WORK, `dst-${name}`);
    remove([dst]);
    const space = room(WORK, src);
    if (space.freeBytes < space.treeBytes * 1.1 + 4 * 2 ** 30 || space.freeInodes < space.treeInodes * 1.1 + 100_000) remove(copies.splice(0));
    afterReuseWindow();
    const s = measure([BLIT, "-a", src, dst], dst, true);
    copies.push(dst);
    lines.push(`| ${TREES[name]!.describe} | ${files} | ${s.seconds.toFixed(1)} | ${s.maxRssMiB.toFixed(0)} MiB | ≤ 150 MB |`);
    console.log(`  ${name}: ${s.seconds.toFixed(1)} s, ${s.maxRssMiB.toFixed(0)} MiB`);
  }
  remove(copies);
  addExtra("memory", ...lines, "");
}

/** System calls per file (strace -f -c, untimed) and blit's own counts of native calls and io_uring ops. */
function syscalls(): void {
  console.log("\n== syscalls");
  const src = ensureTree(WORK, TREES.small!);
  const dst = join(WORK, "dst");
  const count = (cmd: string[]) => {
    remove([dst]);
    const out = join(OUT, "strace.txt");
    sh(`strace -f -c -o ${out} ${cmd.map((c) => `'${c.replaceAll("'", "'\\''")}'`).join(" ")} > /dev/null 2>&1`);
    const total = /(\d+)\s+(\d+)?\s*total/.exec(readFileSync(out, "utf8"));
    return total ? Number(total[1]) : Number.NaN;
  };
  const lines = ["## System calls per file (50,000 × 4 KiB; strace -f -c, not timed)", "", "| tool | syscalls per file |", "| --- | ---: |"];
  if (sh("command -v strace").code !== 0) {
    addExtra("syscalls", "System calls: strace is not installed; not measured.", "");
    return;
  }
  for (const tool of treeTools().filter((t) => !t.name.startsWith("Bun fs.promises") && !t.reference && !t.tuned)) {
    const n = count(tool.command(src, dst));
    lines.push(`| ${tool.name} | ${(n / 50000).toFixed(1)} |`);
    console.log(`  ${tool.name}: ${(n / 50000).toFixed(1)} per file`);
  }
  remove([dst]);
  const r = Bun.spawnSync([BLIT, "-a", "--stats", src, dst], { stdout: "pipe" });
  const stat = (label: string) => Number(new RegExp(`^${label}: (\\d+)$`, "m").exec(r.stdout.toString())?.[1] ?? Number.NaN);
  lines.push(
    "",
    `blit's own counts (\`--stats\`): ${(stat("native calls") / 50000).toFixed(2)} calls into the native shim per file, ` +
      `${(stat("io_uring ops") / 50000).toFixed(2)} io_uring operations per file in ${stat("io_uring submits")} submissions ` +
      `(${(stat("io_uring ops") / stat("io_uring submits")).toFixed(0)} operations per submission).`,
    "",
  );
  remove([dst]);
  addExtra("syscalls", ...lines);
}

/** Caches dropped, one command timed (into a destination that exists: a second run). */
function timeAgain(cmd: string[], warm = false): number {
  if (!warm) {
    sh("sync");
    dropCaches();
  }
  const start = performance.now();
  const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) console.log(`  ! ${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().split("\n")[0]}`);
  return (performance.now() - start) / 1000;
}

/** The regular files of a tree, in a stable order. */
function filesOf(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

/**
 * Issue 19: the second run of an unchanged tree (the small, mixed and real
 * ones), and of one where 1 % of the
 * files changed (a byte and the mtime of every hundredth file of a copy of
 * the tree, a different hundredth each round), `blit -aT --skip-unchanged` against rsync's own
 * quick check (`rsync -aH`), each into a destination it made itself; then
 * `--checksum` on an unchanged 2 GiB file against reading both copies at
 * once with cat. Caches dropped before every run, tools alternating; and
 * the unchanged trees' second runs warm, as a job run again soon after
 * finds them, which no target covers.
 */
function again(): void {
  console.log("\n== again");
  const lines = [
    "## Second runs (issue 19; medians; cold, then warm where said)",
    "",
    "| tree | case | blit -aT --skip-unchanged | rsync -aH | blit ÷ rsync | target | walk limit ¹ |",
    "| --- | --- | ---: | ---: | ---: | --- | ---: |",
  ];
  const walk = cBinary("walk");
  const startup: number[] = [];
  const warm = [
    "",
    "Warm, unchanged (no target: both trees and both executables in the page cache, each tool run once untimed, then alternating, no caches dropped):",
    "",
    "| tree | blit -aT --skip-unchanged | rsync -aH | blit ÷ rsync |",
    "| --- | ---: | ---: | ---: |",
  ];
  // Deleted when the section ends: a deletion between trees would cost the reuse window.
  const made: string[] = [];
  for (const name of ["small", "mixed", "real"]) {
    // A copy of the tree is changed, never the bench's own.
    const src = join(WORK, `again-src-${name}`);
    const mine = join(WORK, `again-blit-${name}`);
    const theirs = join(WORK, `again-rsync-${name}`);
    remove([src, mine, theirs]);
    sh(`cp -a '${ensureTree(WORK, TREES[name]!)}' '${src}'`);
    afterReuseWindow();
    sh(`'${BLIT}' -a '${src}' '${mine}' && rsync -aH '${src}/' '${theirs}/'`);
    const files = filesOf(src);
    for (const changed of [0, 0.01]) {
      const blit: number[] = [];
      const rsync: number[] = [];
      const walked: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        if (changed) {
          for (let i = round; i < files.length; i += 100) {
            const fd = openSync(files[i]!, "r+");
            writeSync(fd, Buffer.from([round]), 0, 1, 0);
            closeSync(fd);
            utimesSync(files[i]!, new Date(), new Date(Date.now() - round * 1000));
          }
        }
        const tools = ["blit", "rsync", "walk", "start-up"];
        const order = [...tools.slice(round % tools.length), ...tools.slice(0, round % tools.length)];
        for (const tool of order) {
          if (tool === "blit") blit.push(timeAgain([BLIT, "-aT", "--skip-unchanged", src, mine]));
          else if (tool === "rsync") rsync.push(timeAgain(["rsync", "-aH", `${src}/`, `${theirs}/`]));
          else if (tool === "walk") walked.push(timeAgain([walk, String(WALK_THREADS), src, mine]));
          else startup.push(timeAgain([BLIT, "--version"]));
        }
      }
      const ratio = median(blit) / median(rsync);
      const label = changed ? "1 % of files changed" : "unchanged";
      lines.push(`| ${TREES[name]!.describe} | ${label} | ${median(blit).toFixed(2)} s | ${median(rsync).toFixed(2)} s | ${ratio.toFixed(2)} | ≤ 0.5 | ${median(walked).toFixed(2)} s |`);
      console.log(`  ${name}, ${label}: blit ${median(blit).toFixed(2)} s, rsync ${median(rsync).toFixed(2)} s, walk limit ${median(walked).toFixed(2)} s`);
    }
    // Warm: both trees in the page cache, as a job run again soon after finds them. Each tool once untimed, then alternating.
    const blitArgs = [BLIT, "-aT", "--skip-unchanged", src, mine];
    const rsyncArgs = ["rsync", "-aH", `${src}/`, `${theirs}/`];
    timeAgain(blitArgs, true);
    timeAgain(rsyncArgs, true);
    const warmBlit: number[] = [];
    const warmRsync: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const both = [() => warmBlit.push(timeAgain(blitArgs, true)), () => warmRsync.push(timeAgain(rsyncArgs, true))];
      for (const timed of round % 2 ? both.reverse() : both) timed();
    }
    warm.push(`| ${TREES[name]!.describe} | ${median(warmBlit).toFixed(2)} s | ${median(warmRsync).toFixed(2)} s | ${(median(warmBlit) / median(warmRsync)).toFixed(2)} |`);
    console.log(`  ${name}, unchanged, warm: blit ${median(warmBlit).toFixed(2)} s, rsync ${median(warmRsync).toFixed(2)} s`);
    made.push(src, mine, theirs);
  }
  const big = join(ensureTree(WORK, TREES.big!), "big.bin");
  const copy = join(WORK, "again-big");
  remove([copy]);
  mkdirSync(copy);
  sh(`cp '${big}' '${copy}/big.bin' && touch -r '${big}' '${copy}/big.bin'`);
  const sum: number[] = [];
  const cat: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    sum.push(timeAgain([BLIT, "-aT", "--checksum", join(big, ".."), copy]));
    cat.push(timeAgain(["sh", "-c", `cat '${big}' > /dev/null & cat '${copy}/big.bin' > /dev/null; wait`]));
  }
  const mb = (2 * 2 ** 31) / 1e6;
  lines.push(
    "",
    `¹ Not a copy, for reference: bench/walk.c lists both trees and lstat's every entry, ${WALK_THREADS} threads sharing one stack of directories, ` +
      "and compares nothing: what no second run can beat. (The 1 % changed rows' copying of the changed files is not in it.) " +
      `blit's own start-up comes on top: \`blit --version\` with the caches dropped took ${median(startup).toFixed(2)} s (median of ${startup.length}), ` +
      "reading the parts of its executable that start Bun.",
    "",
    `\`--checksum\` on an unchanged 2 GiB file (both sides read): ${median(sum).toFixed(2)} s (${(mb / median(sum)).toFixed(0)} MB/s); ` +
      `\`cat\` of both at once: ${median(cat).toFixed(2)} s (${(mb / median(cat)).toFixed(0)} MB/s); ratio ${(median(sum) / median(cat)).toFixed(2)}.`,
    ...warm,
    "",
  );
  remove([copy, ...made]);
  addExtra("again", ...lines);
}

function addExtra(name: string, ...lines: string[]): void {
  extras.push({ name, lines, date: TODAY, commit: COMMIT, machine: MACHINE });
  checkpoint();
}

if (ONLY.includes("startup")) startup();
if (ONLY.includes("memory")) memory();
if (ONLY.includes("syscalls")) syscalls();
if (ONLY.includes("again")) again();

// ------------------------------------------------------------------ report

const provenance = (x: { date?: string; commit?: string; machine?: string }) =>
  `measured ${x.date ?? "?"} at commit ${x.commit ?? "?"}${x.machine && x.machine !== MACHINE ? ` on ${x.machine}` : ""}`;

function table(s: Scenario): string[] {
  const blit = s.rows[0]!;
  const blitMedian = median(blit.cold);
  const lines = [
    `### ${s.name}: ${s.describe}`,
    "",
    `${s.rows[0]!.cold.length} rounds, ${provenance(s)}.${s.shortened ? ` ${s.shortened}` : ""}`,
    "",
    `| tool | median s (cold) | min–max | blit ÷ tool | warm s | peak RSS |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const row of s.rows) {
    const m = median(row.cold);
    const ratio = row === blit ? "1.00" : row.reference ? "–" : (blitMedian / m).toFixed(2);
    const marks = `${row.note && !row.reference ? "¹" : ""}${row.reference ? "²" : ""}${row.tuned ? "³" : ""}`;
    const name = marks ? `${row.tool} ${marks}` : row.tool;
    lines.push(
      `| ${row.failed ? `${name} (failed)` : name} | ${m.toFixed(2)} | ${Math.min(...row.cold).toFixed(2)}–${Math.max(...row.cold).toFixed(2)} | ${ratio} | ${row.warm?.toFixed(2) ?? "–"} | ${row.maxRssMiB.toFixed(0)} MiB |`,
    );
  }
  if (s.target) lines.push("", `Target: ${s.target}.`);
  const notes = s.rows.filter((r) => r.note && !r.reference).map((r) => `${r.tool}: ${r.note}`);
  if (notes.length) lines.push("", `¹ Does less than \`cp -a\`: ${notes.join("; ")}.`);
  const references = s.rows.filter((r) => r.reference).map((r) => `${r.tool}: ${r.note ?? "not a copy"}`);
  if (references.length) lines.push("", `² Not a copy, for reference: ${references.join("; ")}.`);
  const tuned = s.rows.filter((r) => r.tuned).map((r) => r.tool);
  if (tuned.length) lines.push("", `³ Tuned by hand for this machine, not the tool's defaults; never counted as "the fastest other tool": ${tuned.join("; ")}.`);
  lines.push("");
  return lines;
}

// --merge: scenarios and sections not run this time come from results.json.
if (MERGE) {
  const previous = JSON.parse(readFileSync(RESULTS, "utf8")) as { scenarios: Scenario[]; extras?: Extra[] };
  const order = ["small", "mixed", "real", "big", "sparse", "reflink", "progress-small", "progress-big", "wine-small", "wine-mixed"];
  for (const old of previous.scenarios) if (!scenarios.some((s) => s.name === old.name)) scenarios.push(old);
  scenarios.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const sections = ["startup", "memory", "syscalls", "again"];
  for (const old of previous.extras ?? []) if (!extras.some((e) => e.name === old.name)) extras.push(old);
  extras.sort((a, b) => sections.indexOf(a.name) - sections.indexOf(b.name));
}

const now = TODAY;
const dates = [...new Set([...scenarios, ...extras].map((x) => x.date ?? "?"))].join(", ");
const header = [
  "# blit benchmark results",
  "",
  `Measured ${dates} with \`bun bench/run.ts\` on ${MACHINE} (a section measured on another machine says which). Tools alternate in a rotating order; each section says when and from which commit it was measured (the runner makes one untimed cold copy of each tree before its timed rounds since commit b986330; sections measured before that did not have it).`,
  isRoot
    ? "Caches were dropped (`sync; echo 3 > /proc/sys/vm/drop_caches`) before every cold run. The warm column is one run each with only the source (and the tool's executable) in the page cache: the caches dropped, the source read back, the tool run once on a one-file tree, then timed (since commit 65f290e; before, the timed run followed the tool's own filling run, whose copy was still in the page cache, being written back, and on these VMs made every tool that writes files 2–5× slower: see bench/README.md)."
    : "Not run as root: caches could not be dropped, so every figure is a warm run, which on these VMs misleads (see bench/README.md).",
  "",
  "`blit ÷ tool` below 1 means blit took less time.",
  "",
];
const extraLines = extras.flatMap((e) => {
  const [title = "", ...rest] = e.lines;
  return [title, "", `${provenance(e)[0]!.toUpperCase()}${provenance(e).slice(1)}.`, ...rest];
});
const body = [...header, "## The issue's targets, from these medians", "", ...targetLines(), "", ...scenarios.flatMap(table), ...extraLines];
writeFileSync(join(ROOT, "bench", "RESULTS.md"), `${body.join("\n")}\n`);
writeFileSync(RESULTS, JSON.stringify({ date: now, machine: MACHINE, scenarios, extras }, null, 1));
console.log(`\nwrote bench/RESULTS.md`);

// The chart: ratios of medians, one group per scenario (matplotlib, in a venv of its own).
if (scenarios.length > 0) {
  const venv = join(WORK, "venv");
  if (!existsSync(join(venv, "bin", "python"))) sh(`python3 -m venv ${venv} && ${venv}/bin/pip install -q matplotlib`);
  const chart = sh(`${venv}/bin/python ${join(ROOT, "bench", "chart.py")} ${RESULTS} ${join(ROOT, "bench", "chart.png")}`);
  console.log(chart.code === 0 ? "wrote bench/chart.png" : `chart failed: ${chart.out}`);
}

/**
 * Where the ratio of two medians could have landed in this run: the 5th and
 * 95th percentiles over 2,000 resamplings of each tool's rounds (with
 * replacement; seeded, so that rendering the same results gives the same text).
 */
function ratioInterval(a: number[], b: number[]): [number, number] {
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const resample = (xs: number[]) => xs.map(() => xs[Math.floor(random() * xs.length)]!);
  const ratios = Array.from({ length: 2000 }, () => median(resample(a)) / median(resample(b))).sort((x, y) => x - y);
  return [ratios[100]!, ratios[1899]!];
}

/** The issue's speed targets, checked against these medians: one line each, met or missed. */
function targetLines(): string[] {
  const find = (name: string) => scenarios.find((s) => s.name === name);
  const runs = (s: Scenario | undefined, prefix: string) => {
    const row = s?.rows.find((r) => r.tool.startsWith(prefix));
    return row && !row.failed ? row.cold : undefined;
  };
  const fastestOther = (s: Scenario | undefined) => {
    const others = s ? otherTools(s) : [];
    return others.length ? others.reduce((a, b) => (median(a.cold) <= median(b.cold) ? a : b)) : undefined;
  };
  const lines: string[] = [];
  const latest = scenarios.map((s) => s.date ?? "").sort().at(-1);
  const check = (what: string, blit: number[] | undefined, other: number[] | undefined, otherName: string, limit: number, from?: Scenario) => {
    if (!blit?.length || !other?.length) return;
    const ratio = median(blit) / median(other);
    const [low, high] = ratioInterval(blit, other);
    const spread = blit.length > 1 && other.length > 1 ? `; resampling the rounds gives ${low.toFixed(2)}–${high.toFixed(2)}` : "";
    // A section kept from an earlier run (--merge) says so where its ratio is read.
    const kept = from && from.date !== latest ? ` (${provenance(from)}, not in the latest run)` : "";
    lines.push(`- ${what}: blit ÷ ${otherName} = ${ratio.toFixed(3)} (target ≤ ${limit}${spread})${kept}: **${ratio <= limit ? "met" : "missed"}**`);
  };
  // Every tree: ≤ 0.8 × the fastest other tool at its defaults, ≤ 1.15 × the read limit.
  for (const name of ["small", "mixed", "real", "big"]) {
    const s = find(name);
    const fastest = fastestOther(s);
    if (s && fastest) check(`${s.describe}`, runs(s, "blit"), fastest.cold, `the fastest other tool (${fastest.tool})`, 0.8, s);
    check(`${s?.describe}`, runs(s, "blit"), runs(s, "read limit"), "the read limit", 1.15, s);
  }
  // Warm (the source in the page cache): one run each, so no resampling.
  for (const name of ["small", "mixed"]) {
    const s = find(name);
    const blitWarm = s?.rows[0]?.warm;
    const others = s ? otherTools(s).filter((r) => r.warm !== undefined) : [];
    const fastest = others.length ? others.reduce((a, b) => (a.warm! <= b.warm! ? a : b)) : undefined;
    if (s && blitWarm !== undefined && fastest) check(`${s.describe}, warm`, [blitWarm], [fastest.warm!], `the fastest other tool warm (${fastest.tool})`, 0.8, s);
  }
  const reflink = find("reflink");
  check(`${reflink?.describe}`, runs(reflink, "blit -a (clone)"), runs(reflink, "blit -a --reflink=never"), "the same copy without cloning", 0.05, reflink);
  const sparse = find("sparse");
  check(`${sparse?.describe}`, runs(sparse, "blit"), runs(sparse, "cp -a --sparse=never"), "`cp -a --sparse=never`", 0.1, sparse);
  const wineSmall = find("wine-small");
  check(`${wineSmall?.describe}`, runs(wineSmall, "blit.exe -a"), runs(wineSmall, "Bun fs.cpSync"), "Bun's fs.cpSync (Windows) under the same Wine", 0.5, wineSmall);
  return lines;
}

// The headline table in the README, between its markers.
const readmePath = join(ROOT, "README.md");
const readme = readFileSync(readmePath, "utf8");
const start = "<!-- bench:start -->";
const end = "<!-- bench:end -->";
if (readme.includes(start) && readme.includes(end)) {
  const headline = [
    start,
    "",
    `Cold-cache medians from \`bun bench/run.ts\` (${dates}, ${MACHINE}; a section measured on another machine says which); full tables, warm runs, methods and the commit each row was measured at in [bench/RESULTS.md](bench/RESULTS.md). In bold, each row's faster of blit and the fastest other tool.`,
    "",
    "| tree | blit | cp -a | rsync -aH | tar pipe | fastest other (defaults) | read limit | floor (C) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    // Linux's own tools only: the Wine rows are another OS's, and the
    // progress rows blit against itself, in RESULTS.md.
    ...scenarios.filter((s) => !s.name.startsWith("wine-") && !s.name.startsWith("progress-")).map((s) => {
      const get = (prefix: string) => s.rows.find((r) => r.tool.startsWith(prefix));
      const fmt = (r: Row | undefined) => (r ? `${median(r.cold).toFixed(2)} s` : "–");
      const others = otherTools(s);
      const fastest = others.length ? others.reduce((a, b) => (median(a.cold) <= median(b.cold) ? a : b)) : undefined;
      // The winner of the row in bold: blit's figure where it won or tied, the fastest other tool's where blit lost.
      const blitWon = !fastest || median(s.rows[0]!.cold) <= median(fastest.cold);
      const blit = blitWon ? `**${fmt(s.rows[0])}**` : fmt(s.rows[0]);
      const best = fastest ? (blitWon ? `${fmt(fastest)} (${fastest.tool})` : `**${fmt(fastest)}** (${fastest.tool})`) : "–";
      return `| ${s.describe} | ${blit} | ${fmt(get("cp -a"))} | ${fmt(get("rsync"))} | ${fmt(get("tar"))} | ${best} | ${fmt(get("read limit"))} | ${fmt(get("floor"))} |`;
    }),
    "",
    "The issue's targets, from these medians:",
    "",
    ...targetLines(),
    "",
    "![blit's time as a fraction of each tool's](bench/chart.png)",
    "",
    end,
  ];
  const updated = readme.slice(0, readme.indexOf(start)) + headline.join("\n") + readme.slice(readme.indexOf(end) + end.length);
  writeFileSync(readmePath, updated);
  console.log("updated the table in README.md");
}
