// Runs the whole suite against ./dist/blit and ends with the line CI reads:
// "N passed, N failed". Exit status is non-zero on any failure.
//
//   npm test                  everything
//   npm test -- tests/ffi     some files (arguments go to bun test)

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const REPORT = join(ROOT, ".ci", "junit.xml");
const SUMMARY = join(ROOT, ".ci", "summary.txt");
/** Per test: they drive the binary on real filesystems (loop mounts, 100 MiB files, trees of thousands). */
const TEST_TIMEOUT_MS = 120_000;

const mountsBefore = new Set(
  readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? ""),
);

// Sandboxes and mount points are made under this folder, named blit-*.
const SCRATCH = process.env.BLIT_TEST_TMP ?? tmpdir();
const scratchBefore = new Set(readdirSync(SCRATCH).filter((name) => name.startsWith("blit-")));

/** One locale whatever the machine's, as environment() in helpers/blit.ts gives it, for what the tests spawn themselves too. */
function oneLocale(env: Record<string, string | undefined>): Record<string, string> {
  const kept = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith("LC_") && entry[0] !== "LANGUAGE");
  return { ...Object.fromEntries(kept), LANG: "C.UTF-8" };
}

mkdirSync(join(ROOT, ".ci"), { recursive: true });
rmSync(REPORT, { force: true });
rmSync(SUMMARY, { force: true });
const proc = Bun.spawnSync(
  // The time limit on the command line: bunfig.toml's [test] timeout was not
  // applied (tests were stopped at bun's default 5 s on a loaded machine).
  [process.execPath, "test", `--timeout=${TEST_TIMEOUT_MS}`, "--reporter=junit", `--reporter-outfile=${REPORT}`, ...process.argv.slice(2)],
  { cwd: ROOT, stdio: ["inherit", "inherit", "inherit"], env: oneLocale(process.env) },
);

let xml = "";
try {
  xml = readFileSync(REPORT, "utf8");
} catch {
  // No report: bun test itself failed, counted below.
}

const decode = (text: string, newline = " ") =>
  text.replace(/&#10;/g, newline).replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/**
 * What a failure said, indented below its name: CI keeps only the end of the
 * output, and bun prints each failure's diff where the test ran.
 */
function failureDetail(body: string): string {
  const text = /<(?:failure|error)\b[^>]*>([\s\S]*?)<\/(?:failure|error)>/.exec(body)?.[1];
  if (text === undefined) return "";
  const lines = decode(text, "\n").trimEnd().split("\n");
  const shown = lines.slice(0, 40).map((line) => `    ${line.slice(0, 300)}`);
  if (lines.length > 40) shown.push(`    ... ${lines.length - 40} more lines`);
  return `\n${shown.join("\n")}`;
}

let passed = 0;
let failed = 0;
const skipped: string[] = [];
const failures: string[] = [];
for (const match of xml.matchAll(/<testcase name="([^"]*)"[^>]*?file="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
  const name = decode(match[1]!);
  const body = match[4] ?? "";
  if (body.includes("<failure") || body.includes("<error")) {
    failed++;
    failures.push(`${match[2]}: ${name}${failureDetail(body)}`);
  } else if (body.includes("<skipped")) {
    skipped.push(`${match[2]}: ${name}`);
  } else {
    passed++;
  }
}

if (proc.exitCode !== 0 && failed === 0) {
  // A file that failed to load, or an error between tests, has no testcase.
  failed++;
  failures.push(`bun test exited with status ${proc.exitCode} outside any test`);
}
// Mounts are undone by tests/setup.ts after each test; one that survives the
// run is a defect of the suite (and would pile up on a developer's machine).
const leaked = readFileSync("/proc/mounts", "utf8")
  .split("\n")
  .map((line) => line.split(" ")[1] ?? "")
  .filter((point) => point.includes("/blit-mnt-") && !mountsBefore.has(point));
if (leaked.length > 0) {
  failed++;
  failures.push(`mounts left behind by the suite: ${leaked.join(", ")}`);
}
const leftovers = readdirSync(SCRATCH).filter((name) => name.startsWith("blit-") && !scratchBefore.has(name));
if (leftovers.length > 0) {
  failed++;
  failures.push(`left behind in ${SCRATCH}: ${leftovers.slice(0, 5).join(", ")}${leftovers.length > 5 ? ` and ${leftovers.length - 5} more` : ""}`);
}
if (passed + failed === 0) {
  failed++;
  failures.push("no tests ran");
}

for (const line of skipped) console.log(`skipped: ${line}`);
for (const line of failures) console.log(`failed: ${line}`);
const summary = `${passed} passed, ${failed} failed`;
writeFileSync(SUMMARY, `${summary}\n`);
console.log(summary);
process.exit(failed > 0 ? 1 : 0);
