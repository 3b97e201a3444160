// GITHUB_ACTIONS=true: failed paths become `::error file=…::` lines (ten,
// then one line with the count), a markdown summary goes to
// $GITHUB_STEP_SUMMARY, and stdout stays as it is (--json's events too).

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { BLIT, blit, blitJson, environment, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";

/** Twelve files that cannot be copied (a directory is in the way of each), one named `a:b,c`, and one that can. */
function twelveFailures(root: string): void {
  sh(
    `mkdir -p src dst/src && for f in 1 2 3 4 5 6 7 8 9 10 11 'a:b,c'; do printf x > "src/$f" && mkdir "dst/src/$f"; done && printf ok > src/fine`,
    root,
  );
}

describe("GitHub Actions", () => {
  test("ten annotations, then the count; the step summary's table; the usual messages and status", () => {
    const root = sandbox("gha");
    twelveFailures(root);
    const summaryFile = `${root}/step-summary.md`;
    sh(`printf '# earlier step\\n' > ${summaryFile}`, root);
    const { stdout, stderr, exitCode } = blit(["-r", "src", "dst"], { cwd: root, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summaryFile } });
    expect(exitCode).toBe(1);
    expect(stdout).toBe("");
    const lines = stderr.split("\n").filter(Boolean);
    const annotations = lines.filter((line) => line.startsWith("::"));
    expect(annotations).toHaveLength(10);
    for (const line of annotations) expect(line).toMatch(/^::error file=dst\/src\/[^:]+::cannot overwrite directory 'dst\/src\/.+' with non-directory$/);
    expect(lines.filter((line) => line.startsWith("blit: cannot overwrite directory"))).toHaveLength(12);
    expect(lines.at(-1)).toBe("blit: 2 more errors not annotated (12 in all; see the log)");

    const summary = readFileSync(summaryFile, "utf8");
    expect(summary.startsWith("# earlier step\n### blit\n")).toBe(true);
    expect(summary).toContain("| files | directories | symlinks | bytes | time | rate | errors | exit |\n");
    expect(summary).toMatch(/\n\| 1 \| 0 \| 0 \| 2 B \| [^|]+ \| [^|]+ \| 12 \| 1 \|\n/);
    expect(summary).toContain("First 10 of 12 errors:\n");
    expect(readFileSync(`${root}/dst/src/fine`, "utf8")).toBe("ok");
  });

  // The summary's errors are Markdown code: a backtick in a name stays one, by a longer fence.
  test("a name with backticks is shown as it is in the step summary's errors", () => {
    const root = sandbox("gha-tick");
    sh("mkdir -p src dst/src && printf x > 'src/tick`x' && mkdir 'dst/src/tick`x' && printf x > 'src/``y' && mkdir 'dst/src/``y'", root);
    const summaryFile = `${root}/step-summary.md`;
    expect(blit(["-r", "src", "dst"], { cwd: root, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summaryFile } }).exitCode).toBe(1);
    const errors = readFileSync(summaryFile, "utf8").split("\n").filter((line) => line.startsWith("- ")).sort();
    expect(errors).toEqual([
      "- ```cannot overwrite directory 'dst/src/``y' with non-directory```",
      "- ``cannot overwrite directory 'dst/src/tick`x' with non-directory``",
    ]);
  });

  // Read in a review, the table alone passed for a copy made.
  test("--dry-run: the step summary says nothing was written; eleven errors: one more, in the singular", () => {
    const root = sandbox("gha-dry");
    sh("mkdir -p src && printf x > src/f", root);
    const summaryFile = `${root}/step-summary.md`;
    const env = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summaryFile };
    expect(blit(["-a", "--dry-run", "src", "dst"], { cwd: root, env })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(summaryFile, "utf8")).toContain("\nDry run (`--dry-run`): nothing was written; the counts are what would have been copied.\n");
    expect(sh("ls", root)).toBe("src\nstep-summary.md\n");
    sh("rm src/f && for f in $(seq 11); do printf x > src/f$f && mkdir -p dst/src/f$f; done", root);
    expect(blit(["-r", "src", "dst"], { cwd: root, env }).stderr.trim().split("\n").at(-1)).toBe("blit: 1 more error not annotated (11 in all; see the log)");
  });

  // GitHub reads the log as UTF-8: the raw byte made the workflow command invalid.
  test("a name that is not UTF-8: its annotation's file= has U+FFFD for the bad byte, the line valid UTF-8; the message quotes it as cp", () => {
    const root = sandbox("gha-bytes");
    sh(`mkdir -p src dst/src && printf x > "src/$(printf 'b\\377d')" && mkdir "dst/src/$(printf 'b\\377d')"`, root);
    const r = Bun.spawnSync([BLIT, "-r", "src", "dst"], { cwd: root, env: environment({ GITHUB_ACTIONS: "true" }), stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    const stderr = new TextDecoder("utf-8", { fatal: true }).decode(r.stderr);
    expect(stderr).toBe("blit: cannot overwrite directory 'dst/src/b'$'\\377''d' with non-directory\n::error file=dst/src/b\uFFFDd::cannot overwrite directory 'dst/src/b'$'\\377''d' with non-directory\n");
  });

  test("an operand refused while planning is annotated with its path; without GITHUB_ACTIONS, nothing is", () => {
    const root = sandbox("gha-plain");
    twelveFailures(root);
    const outside = blit(["-r", "src", "missing", "dst"], { cwd: root, env: { GITHUB_ACTIONS: "false" } });
    expect(outside.stderr).not.toContain("::");
    sh("rm -rf dst && mkdir dst", root);
    const inside = blit(["missing", "dst"], { cwd: root, env: { GITHUB_ACTIONS: "true" } });
    expect(inside).toEqual({ stdout: "", stderr: "blit: cannot stat 'missing': No such file or directory\n::error file=missing::cannot stat 'missing': No such file or directory\n", exitCode: 1 });
  });

  test("a path's own `:`, `,` and `%` are escaped, as workflow commands need", () => {
    const root = sandbox("gha-escape");
    sh("mkdir -p src dst/src/'a:b,c%' && printf x > src/'a:b,c%'", root);
    const { stderr, exitCode } = blit(["-r", "src", "dst"], { cwd: root, env: { GITHUB_ACTIONS: "true" } });
    expect(exitCode).toBe(1);
    expect(stderr).toBe(
      "blit: cannot overwrite directory 'dst/src/a:b,c%' with non-directory\n" +
        "::error file=dst/src/a%3Ab%2Cc%25::cannot overwrite directory 'dst/src/a:b,c%25' with non-directory\n",
    );
  });

  // GitHub's runner obeys its older syntax, `##[command]`, anywhere in a line
  // of a step's output, and `::command::` at a line's start: a name in a
  // pull request's tree could stop the step's annotations, mask the log or
  // set its outputs.
  test("no name makes a workflow command: the `[` after `##` escaped in messages, -v, --itemize and --json; --parents -v quotes what a runner would obey", () => {
    const root = sandbox("gha-commands");
    sh(`mkdir -p d4 src/'::warning::x' && printf x > 'src/##[stop-commands]x' && printf y > "src/::warning::x/$(printf 'a\\n::error::forged')"`, root);
    const env = { GITHUB_ACTIONS: "true" };
    // Its own annotations are blit's only lines that are commands.
    const obeyed = (text: string) => text.split(/\r\n|\r|\n/).filter((line) => !line.startsWith("::error file=") && (line.includes("##[") || /^\s*::/.test(line)));
    const message = "cannot stat 'src/##'$'\\133''add-mask]D': No such file or directory";
    expect(blit(["src/##[add-mask]D", "dst"], { cwd: root, env })).toEqual({ stdout: "", stderr: `blit: ${message}\n::error file=src/##[add-mask]D::${message}\n`, exitCode: 1 });
    const cases: [string[], string][] = [
      [["-av", "src", "d1"], "'src/##'$'\\133''stop-commands]x' -> 'd1/##'$'\\133''stop-commands]x'"],
      [["-a", "--itemize", "src", "d2"], ">f+++++++++ d2/##\\#133stop-commands]x"],
      [["-av", "--json", "src", "d3"], '"src":"src/##\\u005bstop-commands]x"'],
    ];
    for (const [args, line] of cases) {
      const r = blit(args, { cwd: root, env });
      expect({ args, exitCode: r.exitCode, stderr: r.stderr, obeyed: obeyed(r.stdout) }).toEqual({ args, exitCode: 0, stderr: "", obeyed: [] });
      expect(r.stdout).toContain(line);
    }
    const events = blitJson(["-av", "src", "d5"], { cwd: root, env }).events;
    expect(events.some((e) => e.type === "file" && e.src === "src/##[stop-commands]x")).toBe(true);
    // cp lists the directories --parents makes as their names are: one a runner would obey is quoted.
    const parents = blit(["-rv", "--parents", "::warning::x/a\n::error::forged", "../d4"], { cwd: `${root}/src`, env });
    expect(parents.exitCode).toBe(0);
    expect(parents.stdout.split("\n")[0]).toBe("'::warning::x' -> '../d4/::warning::x'");
    expect(obeyed(parents.stdout)).toEqual([]);
  });

  test("with --json: stdout holds only the events", () => {
    const root = sandbox("gha-json");
    twelveFailures(root);
    const { events, stderr, exitCode } = blitJson(["-r", "src", "dst"], { cwd: root, env: { GITHUB_ACTIONS: "true" } });
    expect(exitCode).toBe(1);
    expect(events.filter((e) => e.type === "error")).toHaveLength(12);
    expect(stderr.split("\n").filter((line) => line.startsWith("::error"))).toHaveLength(10);
  });
});
