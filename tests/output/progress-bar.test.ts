// The progress bar, seen through a real pseudo-terminal (tests/helpers/pty.py):
// it appears, says "counting" until the pre-scan is done, goes up to 100 %
// and never back, keeps messages on lines of their own, and leaves the
// terminal as it found it, with the summary line last. Where stderr is no
// terminal, or in CI, or with -q or --no-progress, not one escape code.

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BLIT, blit, environment, ROOT, run, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";

const ESC = "\x1b";
const PTY = join(ROOT, "tests", "helpers", "pty.py");

/** Runs blit with stderr on a terminal; returns what the terminal got. */
function onTerminal(root: string, args: string[], env: Record<string, string | undefined> = {}): { screen: string; stdout: string; exitCode: number } {
  const transcript = join(root, "terminal.out");
  const result = run(["python3", PTY, transcript, BLIT, ...args], { cwd: root, env: { CI: undefined, ...env } });
  return { screen: readFileSync(transcript, "latin1"), stdout: result.stdout, exitCode: result.exitCode };
}

/** The percentages the bar showed, frame after frame. */
const percentages = (screen: string) => [...screen.matchAll(/\] +(\d+)% /g)].map((m) => Number(m[1]));

function bigTree(root: string): void {
  sh("mkdir -p src/d && head -c 150000000 /dev/zero > src/big && for f in $(seq 1 300); do printf $f > src/d/f$f; done", root);
}

describe("progress bar", () => {
  test("on a terminal: counting, then up to 100 % and never back; the terminal left clean, the summary line last", () => {
    const root = sandbox("bar");
    bigTree(root);
    const { screen, stdout, exitCode } = onTerminal(root, ["-a", "src", "dst"]);
    expect(exitCode).toBe(0);
    expect(stdout).toBe("");
    sh("diff -r src dst", root);
    // cli-progress's frames: cursor hidden and wrapping off while drawing, each frame from column 1.
    expect(screen.startsWith(`${ESC}7${ESC}[?25l${ESC}[?7l${ESC}[1Gcounting`)).toBe(true);
    const shown = percentages(screen);
    expect(shown.at(-1)).toBe(100);
    for (let i = 1; i < shown.length; i++) expect(shown[i]!).toBeGreaterThanOrEqual(shown[i - 1]!);
    expect(screen).toContain("[====================] 100% 143 MiB/143 MiB 301/301 files ");
    // Then: cursor shown, wrapping on, back where the bar started, its line cleared, and one summary line.
    const end = screen.slice(screen.lastIndexOf(`${ESC}[?25h`));
    expect(end).toMatch(new RegExp(`^${ESC}\\[\\?25h${ESC}\\[\\?7h${ESC}8${ESC}\\[1G${ESC}\\[2Kblit: copied 301 files \\(150000792 bytes\\), 2 directories in [\\d.:]+( s)? \\([\\d.]+ (B|KiB|MiB|GiB)/s\\), 0 errors\\r\\n$`));
  }, 60_000);

  // A frame as wide as the terminal would wrap (or, wrapping off, be cut
  // by the terminal mid-word): the time so far, the rate and the ETA go first.
  test.each([[60], [40], [12]])("on a %d-column terminal every frame fits in the columns before the last", (columns) => {
    const root = sandbox("bar-narrow");
    bigTree(root);
    const { screen, exitCode } = onTerminal(root, ["-a", "src", "dst"], { PTY_COLUMNS: String(columns) });
    expect(exitCode).toBe(0);
    sh("diff -r src dst", root);
    // The transcript is bytes (latin1): a frame's columns are its UTF-8 characters ("counting…").
    const frames = screen.split(`${ESC}[1G`).slice(1).map((frame) => Buffer.from(frame.split(ESC)[0]!, "latin1").toString("utf8")).filter((frame) => !frame.startsWith("blit:"));
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame.length).toBeLessThan(columns);
  }, 60_000);

  // TERM=dumb (Emacs' shell buffer) shows escapes as text: no bar by
  // default, and --progress writes plain lines, as into a pipe.
  test("TERM=dumb: no escape code; --progress: the summary line, plain", () => {
    const root = sandbox("bar-dumb");
    bigTree(root);
    const byDefault = onTerminal(root, ["-a", "src", "dst"], { TERM: "dumb" });
    expect([byDefault.screen, byDefault.exitCode]).toEqual(["", 0]);
    const asked = onTerminal(root, ["-a", "--progress", "src", "dst2"], { TERM: "dumb" });
    expect(asked.exitCode).toBe(0);
    expect(asked.screen).not.toContain(ESC);
    expect(asked.screen).toMatch(/blit: copied 301 files \(150000792 bytes\), 2 directories in \S+( s)? \(\S+ \S+\), 0 errors\r\n$/);
    sh("diff -r src dst && diff -r src dst2", root);
  }, 60_000);

  test("an error while the bar is drawn gets a line of its own, whole", () => {
    const root = sandbox("bar-error");
    bigTree(root);
    sh("mkdir -p dst/src/d/f7", root);
    const { screen, exitCode } = onTerminal(root, ["-r", "src", "dst"]);
    expect(exitCode).toBe(1);
    // Taken off the bar's line (column 1, cleared), wrapping back on for the message, then the bar again.
    expect(screen).toContain(`${ESC}[1G${ESC}[2K${ESC}[?7hblit: cannot overwrite directory 'dst/src/d/f7' with non-directory\r\n${ESC}7${ESC}[?7l`);
    expect(screen).toMatch(/blit: copied 300 files \(150000791 bytes\), 0 directories in \S+( s)? \(\S+ \S+\), 1 error\r\n$/);
    // With an error the copy is not complete: the bar does not claim 100 %.
    expect(percentages(screen).at(-1)).toBeLessThan(100);
  }, 60_000);

  // A name's control characters would be obeyed by the terminal: C0's
  // (ESC), C1's (U+009B is CSI to a terminal that takes C1 controls) and the
  // bidirectional overrides (U+202E reverses what follows) are each shown as
  // "?", as messages escape them.
  test("the file being copied: its name's control characters are not sent to the terminal", () => {
    const root = sandbox("bar-control-name");
    const name = "f\x1b[1m\u009b31mRED\u202eevil";
    // A fifo read as a file: the bar shows its name until the writer comes.
    sh("mkfifo \"$(printf 'f\\033[1m\\302\\23331mRED\\342\\200\\256evil')\"", root);
    expect(readdirSync(root)).toEqual([name]);
    const transcript = join(root, "terminal.out");
    const result = run(["python3", PTY, transcript, "sh", "-c", '(sleep 1; printf x > "$0") & exec "$1" "$0" copy', name, BLIT], { cwd: root, env: { CI: undefined } });
    expect(result).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const screen = Buffer.from(readFileSync(transcript)).toString("utf8");
    expect(screen).toMatch(/ 0\/1 files 0 B\/s [\d.]+ s  f\?\[1m\?31mRED\?evil/);
    for (const control of ["\x1b[1m", "\u009b", "\u202e"]) expect(screen).not.toContain(control);
    expect(readFileSync(join(root, "copy"), "utf8")).toBe("x");
  });

  // A CJK character or an emoji takes two columns: the name's end is kept in
  // the columns left, never cut inside a character.
  test("the file being copied, its name in characters two columns wide: each frame fits the terminal, the name's end kept", () => {
    const root = sandbox("bar-wide-name");
    const name = `${"漢字".repeat(20)}${"😀".repeat(5)}end`;
    sh(`mkfifo '${name}'`, root);
    const transcript = join(root, "terminal.out");
    const result = run(["python3", PTY, transcript, "sh", "-c", '(sleep 1; printf x > "$0") & exec "$1" "$0" copy', name, BLIT], { cwd: root, env: { CI: undefined, PTY_COLUMNS: "90" } });
    expect(result).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const screen = Buffer.from(readFileSync(transcript)).toString("utf8");
    const frames = screen.split(`${ESC}[1G`).slice(1).map((frame) => frame.split(ESC)[0]!).filter((frame) => frame.includes("files"));
    expect(frames.some((frame) => frame.endsWith("😀😀end"))).toBe(true);
    for (const frame of frames) {
      expect(Bun.stringWidth(frame)).toBeLessThan(90);
      expect(frame).not.toContain("\ufffd");
    }
  });

  const NO_BAR: [string, string[], Record<string, string>][] = [
    ["in CI (CI=true)", [], { CI: "true" }],
    ["with -q", ["-q"], {}],
    ["with -q --progress (-q prints errors only)", ["-q", "--progress"], {}],
    ["with --no-progress", ["--no-progress"], {}],
    ["with --progress --no-progress (the last wins)", ["--progress", "--no-progress"], {}],
    ["with -i, whose questions go there (none asked here)", ["-i", "--progress"], {}],
  ];
  test.each(NO_BAR)("on a terminal %s: nothing at all on it", (_, args, env) => {
    const root = sandbox("bar-off");
    sh("mkdir src && printf a > src/a", root);
    const { screen, exitCode } = onTerminal(root, ["-r", ...args, "src", "dst"], env);
    expect(exitCode).toBe(0);
    expect(screen).toBe("");
  });

  // Some CI systems run a job under a pseudo-terminal, whose log keeps escapes as text.
  test("on a terminal in CI (CI=true) with --progress: plain lines, no escape code, and the summary line", () => {
    const root = sandbox("bar-ci-tty");
    bigTree(root);
    const { screen, exitCode } = onTerminal(root, ["-r", "--progress", "src", "dst"], { CI: "true" });
    expect(exitCode).toBe(0);
    expect(screen).not.toContain(ESC);
    const lines = screen.split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.at(-2)).toMatch(/^blit: copied 301 files \(150000792 bytes\), 2 directories in \S+( s)? \(\S+ \S+\), 0 errors$/);
    expect(lines[0]).toStartWith("counting");
  }, 60_000);

  test("SIGINT: the bar taken down, the terminal left clean, the interrupted line last", () => {
    const root = sandbox("bar-sigint");
    sh("mkdir src && for f in 1 2 3 4 5 6 7 8; do head -c 40000000 /dev/urandom > src/f$f; done", root);
    // timeout sends SIGINT after a second and exits with blit's own status.
    const transcript = join(root, "terminal.out");
    const result = run(["python3", PTY, transcript, "timeout", "--preserve-status", "-s", "INT", "1", BLIT, "-j", "1", "-r", "src", "dst"], { cwd: root, env: { CI: undefined } });
    const screen = readFileSync(transcript, "latin1");
    if (result.exitCode === 0) return expect(screen).toContain("] 100% "); // finished first: proves less
    expect(result.exitCode).toBe(130);
    const end = screen.slice(screen.lastIndexOf(`${ESC}[?25h`));
    expect(end).toMatch(new RegExp(`^${ESC}\\[\\?25h${ESC}\\[\\?7h${ESC}8${ESC}\\[1G${ESC}\\[2Kblit: interrupted by SIGINT: copied \\d+ files? \\(\\d+ bytes\\), 1 directory in \\S+( s)? \\(\\S+ \\S+\\), 0 errors; the rest was not copied\\r\\n$`));
    // Not complete: no 100 %.
    expect(percentages(screen).every((p) => p < 100)).toBe(true);
    expect(readdirSync(join(root, "dst")).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  }, 60_000);

  // A shell's Ctrl+Z sends SIGTSTP. The source is a fifo fed for about 2.5 s,
  // so that the copy is still running when it comes, whatever the disk.
  test("SIGTSTP (Ctrl+Z): the terminal given back before blit stops; after SIGCONT the bar again from the cursor, and the copy whole", () => {
    const root = sandbox("bar-suspend");
    sh("mkfifo fifo", root);
    const script = `(for i in $(seq 1 25); do head -c 1000000 /dev/zero; sleep 0.1; done) > fifo &
      ${BLIT} --progress fifo out & pid=$!
      sleep 1; kill -TSTP $pid; sleep 0.5
      printf '<state %s>' "$(cut -d' ' -f3 /proc/$pid/stat)" >&2
      kill -CONT $pid; wait $pid`;
    const transcript = join(root, "terminal.out");
    const result = run(["python3", PTY, transcript, "sh", "-c", script], { cwd: root, env: { CI: undefined } });
    const screen = readFileSync(transcript, "latin1");
    expect(result.exitCode).toBe(0);
    expect(sh("wc -c < out", root).trim()).toBe("25000000");
    // Stopped: the bar's line cleared, the cursor shown and wrapping on, before the process stopped (state T).
    const [before, after] = screen.split("<state T>");
    expect(after).toBeDefined();
    expect(before).toEndWith(`${ESC}[1G${ESC}[2K${ESC}[?25h${ESC}[?7h`);
    // Resumed: the position saved again, the cursor hidden and wrapping off, frames up to 100 %, and the terminal left clean.
    expect(after!.startsWith(`${ESC}7${ESC}[?25l${ESC}[?7l${ESC}[1G[`)).toBe(true);
    expect(percentages(after!).at(-1)).toBe(100);
    expect(after!.slice(after!.lastIndexOf(`${ESC}[?25h`))).toMatch(new RegExp(`^${ESC}\\[\\?25h${ESC}\\[\\?7h${ESC}8${ESC}\\[1G${ESC}\\[2Kblit: copied 1 file \\(25000000 bytes\\), 0 directories in \\S+( s)? \\(\\S+ \\S+\\), 0 errors\\r\\n$`));
  }, 60_000);

  // `ssh -t host blit ...`, `tmux new blit ...`: blit's process group is
  // orphaned, no shell could resume it, and the kernel discards SIGTSTP's
  // stop. blit must not stop itself for good (SIGSTOP would): it goes on.
  test("SIGTSTP where no shell could resume it (an orphaned process group): not stopped, the bar goes on, the copy whole", () => {
    const root = sandbox("bar-orphaned");
    sh("mkfifo fifo", root);
    const script = `(for i in $(seq 1 25); do head -c 1000000 /dev/zero; sleep 0.1; done) > fifo &
      setsid ${BLIT} --progress fifo out & sleep 1
      pid=$(pgrep -n -f -- '--progress fifo out'); kill -TSTP $pid; sleep 0.5
      printf '<state %s>' "$(cut -d' ' -f3 /proc/$pid/stat)" >&2
      kill -CONT $pid; while kill -0 $pid 2>/dev/null; do sleep 0.1; done`;
    const transcript = join(root, "terminal.out");
    const result = run(["python3", PTY, transcript, "sh", "-c", script], { cwd: root, env: { CI: undefined } });
    const screen = readFileSync(transcript, "latin1");
    expect(result.exitCode).toBe(0);
    expect(screen).toMatch(/<state [RS]>/);
    expect(sh("wc -c < out", root).trim()).toBe("25000000");
    // The terminal given back, then taken again at once: the bar went on to 100 %.
    expect(screen).toContain(`${ESC}[1G${ESC}[2K${ESC}[?25h${ESC}[?7h${ESC}7${ESC}[?25l${ESC}[?7l`);
    expect(percentages(screen).at(-1)).toBe(100);
  }, 60_000);

  // The bar's count lists SOURCE's directories while the workers copy: it
  // must not set their access times before a worker reads the ones it copies.
  test("-a --progress copies each directory's access time as it was before the count", () => {
    const root = sandbox("progress-atime");
    sh("mkdir src && for d in $(seq 40); do mkdir src/d$d && for f in $(seq 5); do printf $f > src/d$d/f$f; done; done && touch -a -d 2001-02-03T04:05:06 src/d*", root);
    const r = blit(["-a", "--progress", "src", "dst"], { cwd: root, env: { CI: "true" } });
    expect(r.exitCode).toBe(0);
    expect(sh("find dst -mindepth 1 -type d -printf '%A+\\n' | cut -c1-19 | sort | uniq -c", root).trim()).toBe("40 2001-02-03+04:05:06");
  });

  // A plain line showed the name's bytes that are not UTF-8 as they were
  // (0x9B is CSI to a terminal that takes 8-bit controls), where the drawn
  // bar shows U+FFFD; and a name's `##[` is a workflow command to GitHub's runner.
  test("--progress into a pipe: the file being copied named with U+FFFD for each byte that is not UTF-8, and no `##[` whole", () => {
    const root = sandbox("bar-plain-name");
    sh("mkdir s && mkfifo \"s/$(printf 'f\\233##[x\\377')\"", root);
    // A fifo read as a file holds the copy on its name past the first plain line (5 s).
    const script = '(sleep 6; for f in s/f*; do printf hi > "$f"; done) & exec "$0" -r --copy-contents --progress s d';
    const r = Bun.spawnSync(["sh", "-c", script, BLIT], { cwd: root, env: environment({ CI: "true" }), stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const stderr = Buffer.from(r.stderr);
    expect([stderr.includes(0x9b), stderr.includes(0xff)]).toEqual([false, false]);
    const text = stderr.toString("utf8");
    expect(text).toContain("  s/f\ufffd##?x\ufffd\n");
    expect(text).not.toContain("##[");
  }, 60_000);

  test("stderr piped: nothing by default; with --progress plain lines, no escape code, and the summary line", () => {
    const root = sandbox("bar-piped");
    bigTree(root);
    const plain = blit(["-r", "src", "dst"], { cwd: root, env: { CI: undefined } });
    expect(plain).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const forced = blit(["-r", "--progress", "src", "forced"], { cwd: root, env: { CI: "true" } });
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toBe("");
    expect(forced.stderr).not.toContain(ESC);
    const lines = forced.stderr.split("\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.at(-2)).toMatch(/^blit: copied 301 files \(150000792 bytes\), 2 directories in \S+( s)? \(\S+ \S+\), 0 errors$/);
    // Each line before it is a frame of the bar, drawn plainly: the first "counting", the last complete.
    expect(lines[0]).toStartWith("counting");
    expect(lines.at(-3)).toStartWith("[====================] 100% ");
  }, 60_000);
});
