// rsync's wildmatch over bytes (each byte one character of a Latin-1
// string): a pattern becomes a list of steps, and a name is matched by
// following every step it could be at, all at once, one byte at a time. So
// matching takes time in proportion to the name's length times the
// pattern's, whatever the pattern: a regular expression (or wildmatch's own
// backtracking, which gives up early instead) would take exponential time
// over `*a*a*a*a*b` against a long name of `a`s, and a .gitignore in
// SOURCE could stall the copy.
//
//   *      any bytes but `/`        **    any bytes, `/` too
//   ?      one byte but `/`         \x    x itself
//   [...]  one byte of a class, never `/`: `[!a-z]`, `[^a-z]`, `[]x]`,
//          `[[:digit:]]`; a range from high to low holds only its first
//          byte, as wildmatch compares them
//
// A pattern without `*`, `?` or `[` is its bytes, a backslash too. One that
// wildmatch gives up on (a class never closed, an unknown `[:name:]`, a
// backslash at the very end) matches nothing.

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const COLON = 0x3a;
const DASH = 0x2d;

/** A byte from a set (256 flags), or a run of bytes: `*` (none of them `/`) or `**`. */
export type Step = Uint8Array | "star" | "globstar";

const inRange = (low: number, high: number) => (byte: number) => byte >= low && byte <= high;
const isDigit = inRange(0x30, 0x39);
const isUpper = inRange(0x41, 0x5a);
const isLower = inRange(0x61, 0x7a);
const isAlpha = (byte: number) => isUpper(byte) || isLower(byte);
const isAlnum = (byte: number) => isAlpha(byte) || isDigit(byte);
const isGraph = inRange(0x21, 0x7e);

/** The POSIX classes wildmatch knows, in the C locale. */
const CLASSES: Record<string, (byte: number) => boolean> = {
  alnum: isAlnum,
  alpha: isAlpha,
  blank: (byte) => byte === 0x20 || byte === 0x09,
  cntrl: (byte) => byte < 0x20 || byte === 0x7f,
  digit: isDigit,
  graph: isGraph,
  lower: isLower,
  print: inRange(0x20, 0x7e),
  punct: (byte) => isGraph(byte) && !isAlnum(byte),
  space: (byte) => byte === 0x20 || (byte >= 0x09 && byte <= 0x0d),
  upper: isUpper,
  xdigit: (byte) => isDigit(byte) || inRange(0x41, 0x46)(byte) || inRange(0x61, 0x66)(byte),
};

const ONE_BYTE: Uint8Array[] = Array.from({ length: 256 }, (_, byte) => {
  const set = new Uint8Array(256);
  set[byte] = 1;
  return set;
});
const ANY_BUT_SLASH = new Uint8Array(256).fill(1);
ANY_BUT_SLASH[SLASH] = 0;

/**
 * The steps of a pattern, or undefined where it matches nothing. foldCase:
 * the pattern and the names it meets were made lower case, so `[:upper:]`
 * and `[:lower:]` are both `[:alpha:]`.
 */
export function stepsOf(pattern: Uint8Array, foldCase = false): Step[] | undefined {
  const wild = pattern.some((byte) => byte === STAR || byte === QUESTION || byte === OPEN);
  if (!wild) return Array.from(pattern, (byte) => ONE_BYTE[byte]!);
  const steps: Step[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const byte = pattern[i]!;
    if (byte === BACKSLASH) {
      if (i + 1 === pattern.length) return undefined;
      steps.push(ONE_BYTE[pattern[++i]!]!);
    } else if (byte === STAR) {
      const globstar = pattern[i + 1] === STAR;
      while (pattern[i + 1] === STAR) i++;
      steps.push(globstar ? "globstar" : "star");
    } else if (byte === QUESTION) {
      steps.push(ANY_BUT_SLASH);
    } else if (byte === OPEN) {
      const cls = classAt(pattern, i, foldCase);
      if (!cls) return undefined;
      steps.push(cls.set);
      i = cls.end;
    } else {
      steps.push(ONE_BYTE[byte]!);
    }
  }
  return steps;
}

/**
 * The class whose `[` is at `open`, read as wildmatch reads it: its first
 * byte may be `]`; `-` between two bytes is a range (not after a range or
 * a `[:name:]`); `[:` without its `:]` is a `[`. Undefined where wildmatch
 * gives up on the whole pattern.
 */
function classAt(pattern: Uint8Array, open: number, foldCase: boolean): { set: Uint8Array; end: number } | undefined {
  const set = new Uint8Array(256);
  let i = open + 1;
  const negated = pattern[i] === 0x21 || pattern[i] === 0x5e;
  if (negated) i++;
  // The byte before, which a `-` makes a range from; 0 after a range or a class.
  let previous = 0;
  for (let first = true; ; first = false, i++) {
    if (i >= pattern.length) return undefined;
    let byte = pattern[i]!;
    if (byte === CLOSE && !first) break;
    if (byte === BACKSLASH) {
      if (++i >= pattern.length) return undefined;
      byte = pattern[i]!;
    } else if (byte === DASH && previous !== 0 && i + 1 < pattern.length && pattern[i + 1] !== CLOSE) {
      let high = pattern[++i]!;
      if (high === BACKSLASH) {
        if (++i >= pattern.length) return undefined;
        high = pattern[i]!;
      }
      for (let b = previous; b <= high; b++) set[b] = 1;
      previous = 0;
      continue;
    } else if (byte === OPEN && pattern[i + 1] === COLON) {
      let close = i + 2;
      while (close < pattern.length && pattern[close] !== CLOSE) close++;
      if (close >= pattern.length) return undefined;
      if (close - (i + 2) >= 1 && pattern[close - 1] === COLON) {
        let name = String.fromCharCode(...pattern.subarray(i + 2, close - 1));
        if (foldCase && (name === "upper" || name === "lower")) name = "alpha";
        const member = CLASSES[name];
        if (!member) return undefined;
        for (let b = 0; b < 256; b++) if (member(b)) set[b] = 1;
        previous = 0;
        i = close;
        continue;
      }
    }
    set[byte] = 1;
    previous = byte;
  }
  if (negated) for (let b = 0; b < 256; b++) set[b] = set[b] ? 0 : 1;
  set[SLASH] = 0;
  return { set, end: i };
}

/**
 * A pattern ready to match: its steps as bit masks where they fit in one
 * 32-bit word (bit s: being at step s), which a byte moves on all at once,
 * otherwise as a list of flags.
 */
export class Wildmatch {
  private readonly count: number;
  /** By byte: the steps whose byte sets hold it (bit-parallel form). */
  private readonly accepts?: Int32Array;
  /** The steps that are runs (`*`, `**`), and those of them that take a `/`. */
  private readonly runs: number;
  private readonly globstars: number;

  constructor(private readonly steps: Step[]) {
    this.count = steps.length;
    let runs = 0;
    let globstars = 0;
    const accepts = new Int32Array(256);
    steps.forEach((step, s) => {
      if (step === "star" || step === "globstar") {
        runs |= 1 << s;
        if (step === "globstar") globstars |= 1 << s;
        return;
      }
      for (let byte = 0; byte < 256; byte++) if (step[byte] === 1) accepts[byte]! |= 1 << s;
    });
    this.runs = runs;
    this.globstars = globstars;
    // Bit `count` is the end of the pattern: it must fit in the word too.
    if (this.count <= 30) this.accepts = accepts;
  }

  /** Whether the pattern matches all of `text` from `start` to its end. */
  matches(text: string, start = 0): boolean {
    const accepts = this.accepts;
    if (!accepts) return matchesWhole(this.steps, text, start);
    const { runs, globstars } = this;
    let at = this.passRuns(1);
    for (let i = start; i < text.length; i++) {
      const byte = text.charCodeAt(i);
      at = this.passRuns(((at & accepts[byte]!) << 1) | (at & (byte === SLASH ? globstars : runs)));
      if (at === 0) return false;
    }
    return (at & (1 << this.count)) !== 0;
  }

  /** A run may match nothing: being at it is being past it too. */
  private passRuns(at: number): number {
    for (;;) {
      const past = at | ((at & this.runs) << 1);
      if (past === at) return at;
      at = past;
    }
  }
}

// The steps a match could be at, now and after the next byte: kept from
// call to call (a worker matches one name at a time).
let here = new Uint8Array(64);
let after = new Uint8Array(64);

/** Whether `steps` match all of `text` from `start` to its end, for a pattern of more steps than a word holds. */
function matchesWhole(steps: Step[], text: string, start = 0): boolean {
  const count = steps.length;
  if (here.length <= count) {
    here = new Uint8Array(count * 2 + 2);
    after = new Uint8Array(count * 2 + 2);
  }
  let now = here;
  let next = after;
  now.fill(0, 0, count + 1);
  now[0] = 1;
  passRuns(steps, now);
  for (let i = start; i < text.length; i++) {
    const byte = text.charCodeAt(i);
    next.fill(0, 0, count + 1);
    let alive = false;
    for (let s = 0; s < count; s++) {
      if (now[s] === 0) continue;
      const step = steps[s]!;
      if (step === "globstar" || (step === "star" && byte !== SLASH)) {
        next[s] = 1;
        alive = true;
      } else if (typeof step !== "string" && step[byte] === 1) {
        next[s + 1] = 1;
        alive = true;
      }
    }
    if (!alive) return false;
    passRuns(steps, next);
    [now, next] = [next, now];
  }
  return now[count] === 1;
}

/** A run (`*`, `**`) may match nothing: being at it is being past it too. */
function passRuns(steps: Step[], at: Uint8Array): void {
  for (let s = 0; s < steps.length; s++) if (at[s] === 1 && typeof steps[s] === "string") at[s + 1] = 1;
}
