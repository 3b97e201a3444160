// --include and --exclude with rsync's rules (its man page, "FILTER RULES",
// and exclude.c's rule_matches): a path below a SOURCE directory is checked
// against each rule in order and the first that matches decides; one that
// matches none is copied. Patterns and paths are bytes: each byte becomes
// one character of a Latin-1 string, so a name that is not UTF-8 matches a
// pattern holding the same bytes, and `?` is one byte.
//
//   /pattern   anchored at the SOURCE directory; otherwise it matches the
//              end of the path: its last component when the pattern has no
//              slash and no `**`, its last N+1 components when it has N
//              slashes, or (with `**`) from any component on
//   **pattern  matched against the whole path with a `/` in front, so
//              `**/build` is `build` at every depth, the top one too
//   pattern/   directories only (one slash taken off: `a//` matches nothing)
//   dir/***    the directory dir (as `dir/`) and everything below it: a
//              pattern ending in `***` matches a directory's path with a
//              `/` after it too, as rsync's FILTRULE_WILD3_SUFFIX does
//
// and the pattern itself matched as rsync's wildmatch matches it (`*`, `**`,
// `?`, `[...]`, `\x`), in time proportional to the path's length times the
// pattern's (see wildmatch.ts).

import type { Backend } from "../../ffi/index.ts";
import type { FilterFile, FilterRule } from "../options.ts";
import { quote } from "../quote.ts";
import { toBytes } from "./paths.ts";
import { stepsOf, Wildmatch } from "./wildmatch.ts";

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BANG = 0x21;
/** rsync's "!": the rules before it are dropped. */
const CLEAR: FilterRule = { include: false, pattern: new Uint8Array([BANG]), clear: true };
const PLUS_SPACE = "+ ";
const MINUS_SPACE = "- ";

/** Bytes as a string of the same length, one character per byte. */
export function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

/**
 * The rules of an --exclude-from or --include-from FILE ("-": standard
 * input): one pattern a line, as rsync reads them. Blank lines and lines
 * starting with `#` or `;` are skipped; `+ ` and `- ` in front make a line
 * an include or an exclude whatever the option. A message when it cannot be read.
 */
function rulesFromFile(b: Backend, file: string, include: boolean): FilterRule[] | string {
  const read = b.readWholeFile(file === "-" ? undefined : toBytes(file));
  if (typeof read === "number") return `cannot read filter file ${quote(file)}: ${b.strerror(-read)}`;
  const bytes = withoutByteOrderMark(read);
  if (typeof bytes === "string") return `filter file ${quote(file)}: ${bytes}`;
  const rules = lines(bytes).map(({ text }) => ruleFrom(text, include));
  const empty = rules.findIndex((rule) => !rule.clear && rule.pattern.length === 0);
  return empty < 0 ? rules : `${noPattern(lines(bytes)[empty]!.text)} in ${quote(file)}`;
}

/**
 * A file of rules without the UTF-8 byte order mark Windows editors put
 * first (Notepad before 1903), which would be the first pattern's first
 * bytes and keep it from matching; why not, for UTF-16 text (PowerShell
 * 5's `>`), whose NULs would cut every pattern short. rsync reads both as
 * they are, and their rules match nothing, so --delete removes what they
 * were written to keep.
 */
function withoutByteOrderMark(bytes: Uint8Array): Uint8Array | string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return "UTF-16 text, where rules are read as UTF-8 (save it as UTF-8)";
  return bytes;
}

/** rsync's "unexpected end of filter rule": `- ` or `+ ` with nothing after it. */
export const noPattern = (rule: Uint8Array) => `filter rule ${quote(rule)} has no pattern`;

/** The rules with each --exclude-from/--include-from file's read into its place, or the message for one that cannot be read. */
export function readFilterFiles(b: Backend, filters: (FilterRule | FilterFile)[]): FilterRule[] | string {
  const out: FilterRule[] = [];
  const add = (rule: FilterRule) => {
    // A lone "!" clears the rules before it, as rsync's does.
    if (rule.clear) out.length = 0;
    else out.push(rule);
  };
  // Where `\` separates directories (Windows), no name holds one.
  const backslashSeparates = b.pathRules.separators.includes("\\");
  for (const given of filters) {
    const filter = backslashSeparates && !("file" in given) ? nameAfterBackslash(given) : given;
    if (typeof filter === "string") return filter;
    if (!("file" in filter)) {
      const slashed = backslashSeparates ? strayBackslashesAsSlashes(filter) : undefined;
      if (slashed !== undefined) return backslashesMatchNothing(filter.pattern, slashed, "");
      add(filter);
      continue;
    }
    const rules = rulesFromFile(b, filter.file, filter.include);
    if (typeof rules === "string") return rules;
    for (const rule of rules) {
      const slashed = backslashSeparates ? strayBackslashesAsSlashes(rule) : undefined;
      if (slashed !== undefined) return backslashesMatchNothing(rule.pattern, slashed, ` in ${quote(filter.file)}`);
      add(rule);
    }
  }
  return out;
}

/**
 * A per-directory file's NAME on Windows, where `\` separates directories
 * too (`: C:\rules\.rsync-filter`, `: ..\.rsync-filter`): the file looked
 * for in each directory is what follows the last separator of either kind,
 * the rest the directory its scan starts from. Cut at `/` only, the whole
 * NAME was looked for, which no directory can hold, and no rule was read.
 */
function nameAfterBackslash(rule: FilterRule): FilterRule | string {
  if (rule.perDirectory === undefined) return rule;
  const cut = rule.pattern.lastIndexOf(BACKSLASH);
  if (cut < 0) return rule;
  const dir = rule.pattern.subarray(0, cut + 1);
  if (cut === rule.pattern.length - 1) return `per-directory file name ${quote(Buffer.concat([rule.scanFrom ?? new Uint8Array(0), dir]))} ends in '\\'`;
  return { ...rule, pattern: rule.pattern.slice(cut + 1), scanFrom: Buffer.concat([rule.scanFrom ?? new Uint8Array(0), dir]) };
}

/** What a `\` escapes to some purpose in a pattern: a wildcard, a class's bracket, itself, a leading `#` or `!`, a space. */
const ESCAPED = new Set([..."*?[]\\#! "].map((c) => c.charCodeAt(0)));

/**
 * A pattern with a `\` before a byte that needs no escape (`logs\keep.txt`,
 * `build\`) is written as a Windows path; rsync's `\` escapes the next byte,
 * and no Windows name holds a `\`, so it matches nothing, and --delete
 * would remove what such an exclude was meant to keep. Its `/` form, or
 * undefined for a pattern without a stray `\`.
 */
function strayBackslashesAsSlashes(rule: FilterRule): string | undefined {
  if (rule.clear || rule.perDirectory !== undefined) return undefined;
  const text = latin1(rule.pattern);
  let slashed = "";
  let stray = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "\\") {
      slashed += text[i];
    } else if (i + 1 < text.length && ESCAPED.has(text.charCodeAt(i + 1))) {
      slashed += text.slice(i, i + 2);
      i++;
    } else {
      slashed += "/";
      stray = true;
    }
  }
  return stray ? slashed : undefined;
}

function backslashesMatchNothing(pattern: Uint8Array, slashed: string, where: string): string {
  return `pattern ${quote(pattern)}${where} matches nothing on Windows, whose names hold no '\\': as in rsync, '\\' escapes the character after it, and '/' separates directories (${quote(Buffer.from(slashed, "latin1"))})`;
}

/**
 * The lines of a rules file that hold a rule: not blank, not a comment (`#`,
 * `;`). A "\r" ends a line as a newline does, as rsync reads every file of
 * rules: a .gitignore with CRLF line ends matches.
 */
function lines(bytes: Uint8Array): { text: Uint8Array; number: number }[] {
  const out: { text: Uint8Array; number: number }[] = [];
  let start = 0;
  let number = 1;
  for (let end = 0; end <= bytes.length; end++) {
    if (end < bytes.length && bytes[end] !== NEWLINE && bytes[end] !== CARRIAGE_RETURN) continue;
    const line = bytes.subarray(start, end);
    // rsync keeps a line as a C string: a NUL ends its pattern.
    const nul = line.indexOf(0);
    const text = nul >= 0 ? line.subarray(0, nul) : line;
    start = end + 1;
    if (text.length > 0 && text[0] !== 0x23 && text[0] !== 0x3b) out.push({ text, number });
    // "\r\n" is one line end; a "\r" alone (old Mac files) is one too.
    if (bytes[end] === NEWLINE || (bytes[end] === CARRIAGE_RETURN && bytes[end + 1] !== NEWLINE)) number++;
  }
  return out;
}

/**
 * One --filter rule, in the forms blit knows of rsync's: `- PATTERN`,
 * `+ PATTERN` (as --exclude and --include), and the per-directory file
 * `:- NAME`, `:+ NAME`, `: NAME` (rsync's dir-merge: `:- .gitignore`).
 * A message for any other.
 */
export function filterRule(value: Uint8Array): FilterRule | string {
  const text = latin1(value);
  if (text === "!") return CLEAR;
  const perDirectory = /^(?::|dir-merge)([-+]?)[ _]/.exec(text);
  if (perDirectory && value.length > perDirectory[0].length) {
    const name = value.slice(perDirectory[0].length);
    const slash = name.lastIndexOf(SLASH);
    if (slash === name.length - 1) return `per-directory file name ${quote(name)} ends in '/'`;
    // rsync's setup_merge_file: a directory in front names where reading
    // starts, above SOURCE; the file looked for in each directory is the last component.
    return {
      include: false,
      pattern: name.slice(slash + 1),
      perDirectory: perDirectory[1] as "-" | "+" | "",
      ...(slash >= 0 && { scanFrom: name.slice(0, slash + 1) }),
    };
  }
  const plain = /^(-|\+|exclude|include)[ _]/.exec(text);
  if (plain && value.length === plain[0].length) return noPattern(value);
  if (plain) return { include: plain[1] === "+" || plain[1] === "include", pattern: value.slice(plain[0].length) };
  return `unsupported filter rule ${quote(value)} (blit knows '- PATTERN', '+ PATTERN', 'exclude PATTERN', 'include PATTERN' and '!', and in --filter ':- FILE', ':+ FILE' and ': FILE')`;
}

/** One --include/--exclude value: `+ ` or `- ` in front overrides which it is, as rsync's old-style prefixes. */
export function ruleFrom(pattern: Uint8Array, include: boolean): FilterRule {
  if (pattern.length === 1 && pattern[0] === BANG) return CLEAR;
  const head = latin1(pattern.subarray(0, 2));
  if (head === PLUS_SPACE || head === MINUS_SPACE) return { include: head === PLUS_SPACE, pattern: pattern.slice(2) };
  return { include, pattern };
}

/**
 * How a rule is tried against a path (rule_matches' slash_handling):
 * "rooted" is "whole" with a `/` in front of the path, as rsync matches a
 * pattern that starts with `**`.
 */
type Scope = "name" | "whole" | "rooted" | "tail" | "any";

interface Compiled {
  include: boolean;
  directoryOnly: boolean;
  scope: Scope;
  /** With scope "tail": how many components from the end. */
  components: number;
  /** The pattern (wildmatch.ts); undefined where it matches nothing. */
  pattern: Wildmatch | undefined;
  /** Ending in `***`: a directory is also matched as its path and a `/` (`dir/***` matches dir). */
  slashToo: boolean;
}

/** ASCII letters made small (Windows' tools match names ignoring case); other bytes as they are. */
function lowerAscii(bytes: Uint8Array): Uint8Array {
  return bytes.map((byte) => (byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte));
}

const lowerAsciiText = (text: string) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

function compile(rule: FilterRule, foldCase: boolean): Compiled {
  let pattern = foldCase ? lowerAscii(rule.pattern) : rule.pattern;
  let directoryOnly = false;
  // One slash, as rsync takes it off first: `a//` is then `a/`, which no path (never ending in a slash) matches.
  if (pattern.length > 1 && pattern[pattern.length - 1] === SLASH) {
    pattern = pattern.subarray(0, -1);
    directoryOnly = true;
  }
  const anchored = pattern[0] === SLASH;
  const slashes = pattern.reduce((n, byte) => n + (byte === SLASH ? 1 : 0), 0);
  const text = latin1(pattern);
  const doubleStar = text.includes("**");
  if (anchored) pattern = pattern.subarray(1);
  const scope: Scope = anchored ? "whole"
    : text.startsWith("**") ? "rooted"
    : slashes === 0 && !doubleStar ? "name"
    : !doubleStar ? "tail"
    : "any";
  const steps = stepsOf(pattern, foldCase);
  return {
    include: rule.include,
    directoryOnly,
    scope,
    components: slashes + 1,
    pattern: steps && new Wildmatch(steps),
    slashToo: text.endsWith("***"),
  };
}

/**
 * rsync's parent scan (setup_merge_file) for `: DIR/NAME`: the directories
 * from DIR down to the one just above `whole` (the absolute path of SOURCE
 * or DEST), each with the path from it down to `whole`, under which the
 * anchored patterns of its file are matched. DIR is absolute or relative to
 * `whole`; `..` is taken off both by name, as rsync's clean_fname takes it;
 * none where DIR is not above `whole`.
 */
export function parentDirectories(whole: Uint8Array, scanFrom: Uint8Array, separator: number): { dir: Uint8Array; above: Uint8Array }[] {
  const posix = separator === SLASH;
  const rootOf = (path: string) => (posix ? /^\/*/ : /^(?:[A-Za-z]:)?[\\/]*/).exec(path)![0];
  const split = (path: string) => path.split(posix ? "/" : /[\\/]/).filter((part) => part !== "" && part !== ".");
  const collapse = (parts: string[]) => {
    const kept: string[] = [];
    for (const part of parts) part === ".." ? kept.pop() : kept.push(part);
    return kept;
  };
  const text = latin1(whole);
  const from = latin1(scanFrom);
  const realRoot = rootOf(text);
  const fromRoot = rootOf(from);
  if (realRoot === "") return [];
  const parts = collapse(split(text.slice(realRoot.length)));
  const drive = /^[A-Za-z]:/.exec(fromRoot)?.[0];
  if (drive && drive.toLowerCase() !== realRoot.slice(0, 2).toLowerCase()) return [];
  const start = collapse(fromRoot === "" ? [...parts, ...split(from)] : split(from.slice(fromRoot.length)));
  if (start.length >= parts.length || start.some((part, i) => part !== parts[i])) return [];
  const joined = (from: number, to: number, between: string) => parts.slice(from, to).join(between);
  const out: { dir: Uint8Array; above: Uint8Array }[] = [];
  for (let k = start.length; k < parts.length; k++) {
    out.push({ dir: Buffer.from(realRoot + joined(0, k, String.fromCharCode(separator)), "latin1"), above: Buffer.from(joined(k, parts.length, "/"), "latin1") });
  }
  return out;
}

export class Filter {
  /** The command line's rules; a per-directory file's place among them is undefined. */
  private readonly rules: (Compiled | undefined)[];
  /** The --filter=':- NAME' rules, by their index among the command line's. */
  private readonly perDirectory: { index: number; name: Uint8Array; mode: "-" | "+" | ""; scanFrom?: Uint8Array }[] = [];
  /** Rules read from per-directory files, compiled once per worker. */
  private readonly compiled = new Map<string, Compiled>();

  /**
   * foldCase: ASCII letters match either case, as robocopy's /XF and /XD
   * match on Windows (the backend's path rules say so); elsewhere bytes
   * match exactly, as rsync's patterns do.
   */
  constructor(rules: FilterRule[], private readonly foldCase = false, private readonly backslashSeparates = false) {
    this.rules = rules.map((rule, index) => {
      if (rule.perDirectory === undefined) return compile(rule, foldCase);
      this.perDirectory.push({ index, name: rule.pattern, mode: rule.perDirectory, ...(rule.scanFrom && { scanFrom: rule.scanFrom }) });
      return undefined;
    });
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** The per-directory files to look for in each directory, which --filter each is, and where its scan of the directories above starts. */
  get perDirectoryFiles(): readonly { index: number; name: Uint8Array; scanFrom?: Uint8Array }[] {
    return this.perDirectory;
  }

  /**
   * The rules in a per-directory file read in the directory `base` (below
   * SOURCE), for its --filter `index`, put before those inherited from the
   * directories above: the nearest file's rules are checked first, as rsync checks them.
   * A file of rules (`: NAME`) takes --filter's forms, as rsync's does; a
   * line that is none of them is `{ line, problem }`, as rsync stops at it.
   * A file read above SOURCE (or DEST) has `above`, the path from its
   * directory down to there, and `base` empty.
   */
  merge(bytes: Uint8Array, index: number, base: Uint8Array, inherited: FilterRule[] | undefined, inDest = false, above?: Uint8Array): FilterRule[] | { line: number; problem: string } {
    const mode = this.perDirectory.find((p) => p.index === index)?.mode ?? "";
    let kept = inherited ?? [];
    let read: FilterRule[] = [];
    const text = withoutByteOrderMark(bytes);
    if (typeof text === "string") return { line: 1, problem: text };
    for (const { text: line, number } of lines(text)) {
      const rule = mode === "" ? filterRule(line) : { include: mode === "+", pattern: line };
      if (typeof rule === "string") return { line: number, problem: rule };
      if (rule.perDirectory !== undefined) return { line: number, problem: "a per-directory file cannot name another" };
      const slashed = this.backslashSeparates ? strayBackslashesAsSlashes(rule) : undefined;
      if (slashed !== undefined) return { line: number, problem: backslashesMatchNothing(rule.pattern, slashed, "") };
      // In a file of rules (":"), "!" drops the rules this file's name gave
      // so far, here and above (a file of bare patterns takes it as a name, as rsync does).
      if (rule.clear) {
        read = [];
        kept = kept.filter((r) => r.from !== index || (r.inDest === true) !== inDest);
        continue;
      }
      read.push({ ...rule, base, from: index, ...(inDest && { inDest: true }), ...(above && { above }) });
    }
    return [...read, ...kept];
  }

  /**
   * Whether the entry at `path` (below its SOURCE directory, no leading
   * slash) is left out; `merged`: the rules per-directory files gave the
   * directories it is in.
   */
  excludes(path: Uint8Array, isDirectory: boolean, merged?: FilterRule[], inDest = false): boolean {
    return this.decides(path, isDirectory, merged, inDest)?.exclude === true;
  }

  /** The rule that decides for the entry, as excludes finds it: whether it excludes, and whether a per-directory file gave it; undefined where none matches. */
  decides(path: Uint8Array, isDirectory: boolean, merged?: FilterRule[], inDest = false): { exclude: boolean; read: boolean } | undefined {
    if (this.rules.length === 0) return undefined;
    const text = this.foldCase ? lowerAsciiText(latin1(path)) : latin1(path);
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (rule === undefined) {
        for (const read of merged ?? []) {
          if (read.from !== i || (read.inDest === true) !== inDest) continue;
          const compiled = this.compiledOf(read);
          // An anchored pattern is matched below the directory it was read
          // in, as if that were SOURCE (one read above SOURCE: from there
          // down, as rsync's XFLG_ANCHORED2ABS); any other against the
          // whole path, as rsync matches them ("a/b/f" read in a/ is a/b/f).
          const below = compiled.scope !== "whole" ? text
            : read.above ? `${latin1(read.above)}/${text}`
            : read.base && read.base.length > 0 ? text.slice(read.base.length + 1)
            : text;
          if (matches(compiled, below, isDirectory)) return { exclude: !compiled.include, read: true };
        }
        continue;
      }
      if (matches(rule, text, isDirectory)) return { exclude: !rule.include, read: false };
    }
    return undefined;
  }

  private compiledOf(rule: FilterRule): Compiled {
    const key = `${rule.include ? "+" : "-"}${latin1(rule.pattern)}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      compiled = compile(rule, this.foldCase);
      this.compiled.set(key, compiled);
    }
    return compiled;
  }
}

function matches(rule: Compiled, path: string, isDirectory: boolean): boolean {
  const { pattern } = rule;
  if (pattern === undefined || (rule.directoryOnly && !isDirectory)) return false;
  const test = (candidate: string) => pattern.matches(candidate) || (rule.slashToo && isDirectory && pattern.matches(`${candidate}/`));
  switch (rule.scope) {
    case "whole":
      return test(path);
    case "rooted":
      return test(`/${path}`);
    case "name":
      return test(path.slice(path.lastIndexOf("/") + 1));
    case "tail": {
      // A path of fewer components than the pattern's slashes and one matches nothing (rsync's
      // trailing_N_elements): that differs from matching the whole path where a slash is in a class.
      let at = path.length;
      for (let n = 0; n < rule.components; n++) {
        if (at < 0) return false;
        at = path.lastIndexOf("/", at - 1);
      }
      return test(path.slice(at + 1));
    }
    case "any":
      for (let at = -1; ; at = path.indexOf("/", at + 1)) {
        if (test(path.slice(at + 1))) return true;
        if (path.indexOf("/", at + 1) < 0) return false;
      }
  }
}
