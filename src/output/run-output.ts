// Everything a copy run says, in one place: messages and -v lines as text,
// --itemize lines, --json events, the progress bar and the summary line,
// GitHub annotations. The command hands it what happened; this decides how
// each audience sees it. stdout carries either text (-v, --itemize, --stats)
// or, with --json, events only; stderr carries messages, the bar and the
// summary line.

import { type Backend, COPY_METHODS, type CopyMethod } from "../../ffi/index.ts";
import { LiveView } from "../engine/live.ts";
import { toBytes } from "../engine/paths.ts";
import type { Totals } from "../engine/prescan.ts";
import { type Counts, type Item, kindOf, type Notice, type Output, VANISHED } from "../engine/report.ts";
import { log, out, setStderrGuard, stderrWriteFailed, stdoutFailure, writeStderr } from "../log.ts";
import { ExitCode, withOutputFailure } from "../exit-codes.ts";
import type { CopyOptions } from "../options.ts";
import type { Said } from "../plan.ts";
import { BUILD, VERSION } from "../version.ts";
import { GitHubActions } from "./github.ts";
import { itemizeLine } from "./itemize.ts";
import { countsByKind, fileEvent, JsonEvents, jsonPath, noticeEvent, SCHEMA_VERSION } from "./json-events.ts";
import { ProgressBar } from "./progress-bar.ts";
import { describe, summaryLine } from "./summary.ts";

/** `CI` set to anything but "", "0" or "false" (as most CI systems set it). */
function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

export interface RunEnd {
  counts: Counts;
  /** Refusals of the plan and of --parents, counted as errors too. */
  otherErrors: number;
  /** Operands -u or --update=none kept, counted as skipped too. */
  keptOperands: number;
  exitCode: number;
  signal: NodeJS.Signals | undefined;
  /** --fail-fast stopped the run. */
  stoppedEarly: boolean;
  /** A second signal ended the run at once: the workers' counts of what they had not finished are not in `counts`. */
  abrupt?: boolean;
  /** --stats' lines for the counts given, once the backend is loaded. */
  stats?: (counts: Counts) => [string, string | number][];
}

/**
 * Whether stderr is a terminal the bar can be drawn on: not one whose TERM
 * says it cannot move its cursor (dumb: Emacs' shell buffer, some CI
 * consoles), where the escapes would show as text, nor one in CI, whose
 * job may run under a pseudo-terminal that a log keeps as text.
 */
function drawsOnStderr(): boolean {
  return process.stderr.isTTY === true && process.env.TERM !== "dumb" && !inCi();
}

/** stderr written to as a pipe is (a plain line now and then, no escapes), for --progress where it cannot be drawn on. */
function asPipe(): NodeJS.WriteStream {
  return { isTTY: false, write: (chunk: string | Uint8Array) => writeStderr(typeof chunk === "string" ? toBytes(chunk) : chunk) } as unknown as NodeJS.WriteStream;
}

export class RunOutput {
  private readonly started = performance.now();
  private readonly json: JsonEvents | undefined;
  private readonly github: GitHubActions | undefined;
  private bar: ProgressBar | undefined;
  private view: LiveView | undefined;
  private jsonTimer: ReturnType<typeof setInterval> | undefined;
  private finished = false;
  private lastProgress: Record<string, number> = {};
  private backend: Backend | undefined;
  /** The bar is wanted: stderr is a terminal outside CI, or --progress; never with -i. */
  readonly showsBar: boolean;

  constructor(private readonly options: CopyOptions, private readonly operands: string[]) {
    this.json = options.json ? new JsonEvents(out) : undefined;
    this.github = GitHubActions.fromEnvironment((line) => this.stderrLine(line));
    // -i asks its questions on stderr, where a bar would draw over them; -q prints errors only.
    this.showsBar = !options.interactive && !options.quiet &&
      (options.progress === "always" || (options.progress === "auto" && drawsOnStderr()));
  }

  /** Whether the workers should keep live counters: something shows progress while the copy runs. */
  get wantsLive(): boolean {
    return this.showsBar || this.json !== undefined;
  }

  /** Whether workers hand over an item per entry (--itemize, or -v with --json). */
  get wantsItems(): boolean {
    return this.options.itemize || (this.json !== undefined && this.options.verbose);
  }

  /** The `start` event, once the backend is known. */
  start(backend: Backend): void {
    this.backend = backend;
    if (!this.json) return;
    const { targetDirectory } = this.options;
    const sources = targetDirectory === undefined ? this.operands.slice(0, -1) : this.operands;
    const destination = targetDirectory ?? this.operands.at(-1) ?? "";
    this.json.emit({
      type: "start",
      v: SCHEMA_VERSION,
      version: VERSION,
      target: BUILD.target,
      backend: backend.id,
      // Byte strings (filter patterns) and what the command line gave as text
      // (-t DIR, -S SUFFIX: any bytes) as paths are given: text, or base64.
      options: JSON.parse(JSON.stringify(this.options, (_, value) => (value instanceof Uint8Array ? jsonPath(value) : typeof value === "string" ? jsonPath(toBytes(value)) : value))),
      sources: sources.map((s) => jsonPath(toBytes(s))),
      destination: jsonPath(toBytes(destination)),
    });
  }

  /** Refusals and warnings of the plan, in the order found. */
  planSaid(said: Said[]): void {
    for (const { warning, text, path, errno, op } of said) {
      const notice: Notice = { message: text, errno, op, ...(path !== undefined ? { path: toBytes(path) } : {}) };
      if (warning) this.warning(notice);
      else this.error(notice);
    }
  }

  /** Operands whose DEST was kept (-u, --update=none): listed as skipped, as entries inside a tree are. */
  keptOperands(kept: { src: Uint8Array; dst: Uint8Array; mode: number }[]): void {
    if (!this.wantsItems || kept.length === 0) return;
    const items = kept.map(({ src, dst, mode }): Item => ({ action: "skipped", kind: kindOf(mode), src, dst, size: 0, reason: this.options.update === "none" || this.options.noClobber ? "exists" : "newer" }));
    this.output({ out: [], errors: [], warnings: [], items });
  }

  /** "file has vanished" said so far, and how many times one was said again (taken off the count). */
  private readonly vanishedSaid = new Set<string>();
  repeatedVanished = 0;

  warning(notice: Notice): void {
    // A source that vanished during a --delete run is met twice: by its copy
    // and by its directory's deletions, maybe in two workers. Said once, counted once.
    if (notice.message.startsWith(VANISHED)) {
      if (this.vanishedSaid.has(notice.message)) {
        this.repeatedVanished++;
        return;
      }
      this.vanishedSaid.add(notice.message);
    }
    log.warn(notice.message);
    if (this.json && this.backend) this.json.emit(noticeEvent("warning", notice, this.errnoTable(), this.strerror));
  }

  error(notice: Notice): void {
    log.error(notice.message);
    if (this.json && this.backend) this.json.emit(noticeEvent("error", notice, this.errnoTable(), this.strerror));
    this.github?.error(notice);
  }

  /** What a task said and listed. */
  output(output: Output): void {
    if (!this.json) {
      if (output.out.length) out(`${output.out.join("\n")}\n`);
      // What a filter left out is not listed, as rsync -ii does not list it (--json says it).
      const listed = this.options.itemize ? output.items.filter((item) => item.reason !== "excluded") : [];
      if (listed.length) {
        const separators = [...(this.backend?.pathRules.separators ?? "/")].map((c) => c.charCodeAt(0));
        out(`${listed.map((item) => itemizeLine(item, separators)).join("\n")}\n`);
      }
    } else if (this.backend) {
      for (const item of output.items) this.json.emit(fileEvent(item, this.backend.methodLabels));
    }
    for (const warning of output.warnings) this.warning(warning);
    for (const error of output.errors) this.error(error);
  }

  /**
   * The copy has begun: the bar and --json's progress events read the
   * workers' counters from `live`; `totals` comes when the pre-scan ends.
   */
  watch(live: SharedArrayBuffer, totals: Promise<Totals | undefined>): void {
    const view = new LiveView(live);
    this.view = view;
    if (this.showsBar) {
      const bar = new ProgressBar(view, this.started, drawsOnStderr() ? process.stderr : asPipe());
      this.bar = bar;
      setStderrGuard((write) => bar.around(write));
      bar.start();
    }
    const json = this.json;
    if (json) {
      this.jsonTimer = setInterval(() => json.emit(this.progressEvent()), this.options.jsonInterval);
    }
    void totals.then((found) => {
      if (!found || this.finished) return;
      this.bar?.counted(found);
      json?.emit({ type: "plan", files: found.entries, directories: found.directories, bytes: found.bytes });
    });
  }

  /**
   * Cumulative counts, each never below what the last event said (a
   * file's partial bytes are taken back a moment before its size is added).
   */
  private progressEvent(): object {
    const live = this.view!.totals();
    const now = {
      files: live.files,
      directories: live.directories,
      symlinks: live.symlinks,
      specials: live.specials,
      hardlinks: live.hardlinks,
      skipped: live.skipped,
      bytes: live.bytes + live.partial,
      errors: live.errors,
    };
    for (const key of Object.keys(now) as (keyof typeof now)[]) now[key] = Math.max(now[key], this.lastProgress[key] ?? 0);
    this.lastProgress = now;
    return { type: "progress", ...now, seconds: this.seconds() };
  }

  private seconds(): number {
    return Math.round(performance.now() - this.started) / 1000;
  }

  /** The last word: the bar taken down, the summary line, the summary event, GitHub's summary. */
  finish(end: RunEnd): void {
    if (this.finished) return;
    this.finished = true;
    if (this.jsonTimer) clearInterval(this.jsonTimer);
    const { counts, signal } = end;
    const seconds = this.seconds();
    const all = { ...counts, errors: counts.errors + end.otherErrors, skipped: counts.skipped + end.keptOperands };
    if (this.bar) {
      setStderrGuard(undefined);
      this.bar.stop(signal === undefined && all.errors === 0 && !end.stoppedEarly);
    }
    // --stats' lines: on stdout as text, or not at all with --json (the summary event has them).
    if (end.stats && !this.json) for (const [label, value] of end.stats(all)) out(`${label}: ${value}\n`);
    if (signal) {
      const again = end.abrupt ? " again, stopped at once" : "";
      log.error(`interrupted by ${signal}${again}: ${summaryLine(all, seconds, this.options.dryRun, end.abrupt)}; the rest was not copied`);
    } else if (end.stoppedEarly) {
      log.error(`stopped at the first error (--fail-fast): copied ${describe(all)}`);
    } else if (this.showsBar) {
      this.stderrLine(`blit: ${summaryLine(all, seconds, this.options.dryRun)}`);
    }
    const methods = COPY_METHODS.map((method: CopyMethod) => ({ method, label: this.backend?.methodLabels[method] ?? method, files: counts.methods[method] }));
    // What blit will exit with (src/cli.ts): a stdout or stderr that could not be written fails a run that was otherwise whole.
    const exitCode = withOutputFailure(end.exitCode, stdoutFailure() !== undefined || stderrWriteFailed());
    this.json?.emit({
      type: "summary",
      ...countsByKind(all),
      bytes: all.bytes,
      seconds,
      bytes_per_second: seconds > 0 ? Math.round(all.bytes / seconds) : 0,
      methods: Object.fromEntries(methods.map((m) => [m.method, { label: m.label, files: m.files }])),
      errors: all.errors,
      vanished: all.vanished,
      changed: all.changed,
      interrupted: signal ?? null,
      exit_code: exitCode,
    });
    this.github?.finish(this.backend, all, seconds, methods, exitCode, signal, this.options.dryRun);
  }

  private stderrLine(line: string): void {
    writeStderr(toBytes(`${line}\n`));
  }

  private errnoTable(): Record<string, number> {
    return this.backend!.errno as unknown as Record<string, number>;
  }

  private readonly strerror = (errno: number): string => this.backend!.strerror(errno);
}
