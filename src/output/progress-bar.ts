// The progress bar on stderr: bytes and entries done out of the pre-scan's
// totals ("counting" until it has them), rate, ETA and the file in hand,
// redrawn five times a second from the workers' shared counters. cli-progress
// (pinned) does the terminal's part: redrawing one line, hiding the cursor,
// no line wrapping, and on a stream that is not a terminal (--progress when
// piped, or in CI) a plain line every few seconds with no escape codes.

import { SingleBar } from "cli-progress";
import type { LiveView } from "../engine/live.ts";
import { fromBytes } from "../engine/paths.ts";
import type { Totals } from "../engine/prescan.ts";
import { UNPRINTABLE, WORKFLOW_COMMAND } from "../quote.ts";
import { humanBytes, humanRate, humanSeconds } from "./units.ts";

const FPS = 5;
/** A plain line this often where stderr is not a terminal. */
const PLAIN_EVERY_MS = 5000;
const BAR_WIDTH = 20;
/** Rate over about this long, so that the ETA follows changes but does not jump with each frame. */
const RATE_WINDOW_MS = 5000;
const PER_MILLE = 1000;
/** What a name must not send to the terminal: controls (C1 too, which a terminal may obey as C0's escapes) and bidirectional overrides, as messages escape them. */
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, "g");
/** A byte that is not UTF-8, as fromBytes carries it (a lone surrogate): shown as U+FFFD, as a terminal shows one, also on a plain line, which writes such bytes back as they were. */
const NOT_UTF8_ALL = /[\udc80-\udcff]/gu;

export class ProgressBar {
  private readonly bar: SingleBar;
  private readonly tty: boolean;
  private totals: Totals | undefined;
  /** The highest values shown: what is shown never goes back. */
  private shownBytes = 0;
  private shownEntries = 0;
  private shownFraction = 0;
  private readonly samples: { at: number; bytes: number; entries: number }[] = [];
  private complete = false;

  constructor(private readonly view: LiveView, private readonly started: number, stream: NodeJS.WriteStream) {
    this.tty = stream.isTTY === true;
    this.bar = new SingleBar({
      stream,
      fps: FPS,
      hideCursor: true,
      linewrap: false,
      clearOnComplete: true,
      // Every frame is drawn, changed or not: after a message or a Ctrl+Z
      // the line was cleared, and SingleBar.render drops render(true)'s force.
      forceRedraw: true,
      noTTYOutput: true,
      notTTYSchedule: PLAIN_EVERY_MS,
      format: () => this.line(),
    });
  }

  start(): void {
    this.bar.start(PER_MILLE, 0);
    if (this.tty) process.on("SIGTSTP", this.suspend);
  }

  /**
   * Ctrl+Z: the terminal is given back as the shell expects it (cursor
   * shown, lines wrapping, the bar's line cleared), then the signal is
   * raised again with its default action, which stops blit. Not SIGSTOP:
   * where no shell could resume it (an orphaned process group: `ssh -t`,
   * `tmux new`, `docker exec -it`) the kernel discards SIGTSTP, and blit
   * goes on. Either way the bar then starts again on the line the cursor
   * is on, saved as the line to clear at the end.
   */
  private readonly suspend = () => {
    const terminal = this.bar.terminal;
    terminal.cursorTo(0, null);
    terminal.clearLine();
    terminal.cursor(true);
    terminal.lineWrapping(true);
    process.off("SIGTSTP", this.suspend);
    process.kill(process.pid, "SIGTSTP");
    process.on("SIGTSTP", this.suspend);
    terminal.cursorSave();
    terminal.cursor(false);
    terminal.lineWrapping(false);
    this.bar.render();
  };

  /** The pre-scan's totals: from now on a percentage and an ETA. */
  counted(totals: Totals): void {
    this.totals = totals;
  }

  /** Writes a message on a line of its own: the bar is taken off, then drawn again below it. */
  around(write: () => void): void {
    if (!this.tty) {
      write();
      return;
    }
    const terminal = this.bar.terminal;
    terminal.cursorTo(0, null);
    terminal.clearLine();
    terminal.lineWrapping(true);
    write();
    // The bar's line is now below the message: that is where it is cleared at the end.
    terminal.cursorSave();
    terminal.lineWrapping(false);
    this.bar.render();
  }

  /** Draws the last frame (100 % when `complete`) and leaves the terminal as it was, the bar's line cleared. */
  stop(complete: boolean): void {
    this.complete = complete;
    process.off("SIGTSTP", this.suspend);
    this.bar.stop();
  }

  private line(): string {
    const now = performance.now();
    const live = this.view.totals();
    const entries = Math.max(this.shownEntries, live.files + live.symlinks + live.specials + live.hardlinks + live.skipped);
    const bytes = Math.max(this.shownBytes, live.bytes + live.partial + live.skippedBytes);
    // A copy done before the pre-scan: what was done is the whole.
    const totals = this.totals ?? (this.complete ? { entries, directories: 0, bytes } : undefined);
    this.shownEntries = entries;
    this.shownBytes = bytes;
    this.samples.push({ at: now, bytes, entries });
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const rateSeconds = (now - first.at) / 1000;
    const rate = rateSeconds > 0 ? (bytes - first.bytes) / rateSeconds : 0;
    const entryRate = rateSeconds > 0 ? (entries - first.entries) / rateSeconds : 0;
    const elapsed = (now - this.started) / 1000;

    let head: string;
    let eta = "";
    if (totals) {
      const shownTotalBytes = Math.max(totals.bytes, bytes);
      const shownTotalEntries = Math.max(totals.entries, entries);
      const byBytes = shownTotalBytes > 0;
      let fraction = this.complete ? 1 : byBytes ? bytes / shownTotalBytes : shownTotalEntries > 0 ? entries / shownTotalEntries : 1;
      // Totals can grow (files that grew); the bar still never goes back.
      fraction = Math.max(this.shownFraction, Math.min(fraction, this.complete ? 1 : 0.999));
      this.shownFraction = fraction;
      const filled = Math.round(fraction * BAR_WIDTH);
      const percent = Math.floor(fraction * 100);
      head = `[${"=".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}% ` +
        `${humanBytes(this.complete ? shownTotalBytes : bytes)}/${humanBytes(shownTotalBytes)} ` +
        `${this.complete ? shownTotalEntries : entries}/${shownTotalEntries} files`;
      // An ETA from less than a second of copying would jump about. What is
      // left is bytes and files both: many small files after the large ones
      // take longer than their bytes say, one large file after the small
      // ones longer than its count says; the slower of the two is the ETA.
      if (!this.complete && rateSeconds >= 1 && (rate > 0 || entryRate > 0)) {
        const left = Math.max(rate > 0 && byBytes ? (shownTotalBytes - bytes) / rate : 0, entryRate > 0 ? (shownTotalEntries - entries) / entryRate : 0);
        eta = ` ETA ${humanSeconds(left)}`;
      }
    } else {
      head = `counting… ${humanBytes(bytes)} ${entries} files`;
    }
    // On a narrow terminal the least needed parts go first: the time so far,
    // then the rate, then the ETA; what is still too long is cut. A line as
    // wide as the terminal or wider would wrap, or end in the last column.
    const width = this.tty ? this.bar.terminal.getWidth() - 1 : Number.POSITIVE_INFINITY;
    const fits = [
      `${head} ${humanRate(rate, 1)}${eta} ${humanSeconds(elapsed)}`,
      `${head} ${humanRate(rate, 1)}${eta}`,
      `${head}${eta}`,
    ].find((line) => line.length <= width);
    const stats = fits ?? head.slice(0, Math.max(width, 1));
    const name = this.view.currentName();
    if (!name || this.complete) return stats;
    const room = width - stats.length - 2;
    if (room < 8) return stats;
    const shown = fromBytes(name).replace(UNPRINTABLE_ALL, "?").replace(NOT_UTF8_ALL, "\ufffd").replaceAll(WORKFLOW_COMMAND, "##?");
    return `${stats}  ${endFitting(shown, room)}`;
  }
}

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * The end of `text` that fits in `room` columns of a terminal, after an
 * ellipsis where it is cut: counted in the columns each character takes
 * (two for a CJK one or an emoji), never cutting one in two.
 */
function endFitting(text: string, room: number): string {
  if (Bun.stringWidth(text) <= room) return text;
  const characters = Array.from(GRAPHEMES.segment(text), (part) => part.segment);
  let columns = 1;
  let start = characters.length;
  while (start > 0) {
    const wide = Bun.stringWidth(characters[start - 1]!);
    if (columns + wide > room) break;
    columns += wide;
    start--;
  }
  return `…${characters.slice(start).join("")}`;
}
