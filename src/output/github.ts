// When GITHUB_ACTIONS=true: failed paths become `::error file=…::`
// annotations (GitHub shows ten per step: blit makes ten, then says how many
// more there were), and a markdown summary of the run is appended to
// $GITHUB_STEP_SUMMARY when it is set. Other CI systems get the plain lines.

import type { Backend, CopyMethod } from "../../ffi/index.ts";
import { toBytes } from "../engine/paths.ts";
import type { Counts, Notice } from "../engine/report.ts";
import { humanBytes, humanRate, humanSeconds } from "./units.ts";

export const ANNOTATIONS_MAX = 10;

const lossyUtf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** Workflow commands escape these in a property (file=) and in the message. */
const escapeData = (text: string) => text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (text: string) => escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");

export class GitHubActions {
  private annotated = 0;
  private notAnnotated = 0;
  private readonly firstErrors: string[] = [];

  constructor(private readonly write: (line: string) => void, private readonly summaryFile: string | undefined) {}

  static fromEnvironment(write: (line: string) => void): GitHubActions | undefined {
    if (process.env.GITHUB_ACTIONS !== "true") return undefined;
    return new GitHubActions(write, process.env.GITHUB_STEP_SUMMARY || undefined);
  }

  error(notice: Notice): void {
    if (this.firstErrors.length < ANNOTATIONS_MAX) this.firstErrors.push(notice.message);
    if (this.annotated >= ANNOTATIONS_MAX) {
      this.notAnnotated++;
      return;
    }
    this.annotated++;
    // GitHub reads the log as UTF-8: a name that is not is given with U+FFFD for its bad bytes, as GitHub would show it, not as raw bytes that make the line invalid.
    const file = notice.path ? ` file=${escapeProperty(lossyUtf8.decode(notice.path))}` : "";
    this.write(`::error${file}::${escapeData(notice.message)}`);
  }

  /**
   * The count of errors past the tenth, then the step summary, written
   * through the backend (none when the run ended before it was loaded).
   */
  finish(backend: Backend | undefined, counts: Counts, seconds: number, methods: { method: CopyMethod; label: string; files: number }[], exitCode: number, interrupted: string | undefined, dryRun = false): void {
    if (this.notAnnotated > 0) this.write(`blit: ${this.notAnnotated} more ${this.notAnnotated === 1 ? "error" : "errors"} not annotated (${this.annotated + this.notAnnotated} in all; see the log)`);
    if (!this.summaryFile || !backend) return;
    const rows = [
      "### blit",
      "",
      "| files | directories | symlinks | bytes | time | rate | errors | exit |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      `| ${counts.files} | ${counts.directories} | ${counts.symlinks} | ${humanBytes(counts.bytes)} | ${humanSeconds(seconds)} | ${humanRate(counts.bytes, seconds)} | ${counts.errors} | ${exitCode} |`,
      "",
    ];
    // Read in a review, the table alone would pass for a copy made.
    if (dryRun) rows.push("Dry run (`--dry-run`): nothing was written; the counts are what would have been copied.", "");
    const used = methods.filter((m) => m.files > 0);
    if (used.length) rows.push(`Methods: ${used.map((m) => `${m.label} ${m.files}`).join(", ")}`, "");
    if (interrupted) rows.push(`Interrupted by ${interrupted}: the rest was not copied.`, "");
    if (this.firstErrors.length) {
      rows.push(counts.errors > this.firstErrors.length ? `First ${this.firstErrors.length} of ${counts.errors} errors:` : "Errors:", "");
      for (const message of this.firstErrors) rows.push(`- ${codeSpan(message)}`);
      rows.push("");
    }
    const r = backend.appendToFile(toBytes(this.summaryFile), new TextEncoder().encode(`${rows.join("\n")}\n`));
    if (r < 0) this.write(`blit: warning: cannot write $GITHUB_STEP_SUMMARY: ${backend.strerror(-r)}`);
  }
}

/**
 * Markdown code holding text as it is, backticks in a name too: fenced by
 * one backtick more than the longest run of them inside, with a space
 * inside each fence where the text begins or ends with one (CommonMark).
 */
export function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}
