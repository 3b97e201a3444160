// Operands with `*` or `?`, expanded by blit itself where the OS's shells
// leave that to the program (PathRules.expandsWildcards: Windows, where
// `blit *.tar D:\archive\` is typed as `copy *.tar` is). As the C runtime's
// setargv expands them, through FindFirstFile's matching: in the last name
// only, letters compared as the directory compares them, hidden names too,
// in name order. A path taken as written (`\\?\`) is not expanded. One that
// matches nothing stays as it was, and the copy says why it was not found.

import type { Backend } from "../ffi/index.ts";
import { fromBytes, pathSyntax, toBytes } from "./engine/paths.ts";

const WILDCARD = /[*?]/;

export interface Expanded {
  operands: string[];
  /** Patterns that matched nothing: why (-ENOENT, or why their directory could not be listed). */
  unmatched: Map<string, number>;
}

/**
 * The operands, each with a wildcard in its last name replaced by the names
 * it matches. `parents`: --parents, which makes the directories an operand
 * names below DEST, so a name given as written (asWritten) would bring its
 * whole path there: such a name is refused as Windows refuses it instead.
 */
export function expandWildcards(b: Backend, operands: string[], parents = false): Expanded {
  const unmatched = new Map<string, number>();
  const rules = b.pathRules;
  if (!rules.expandsWildcards) return { operands, unmatched };
  const paths = pathSyntax(rules);
  const expanded = operands.flatMap((operand) => {
    // "*.tar\" would be directories only, and "\\?\" is taken as written: left as they are.
    if (paths.endsWithSeparator(operand) || rules.verbatim?.test(operand)) return [operand];
    // The last name as typed: split() would drop its trailing dots and spaces, which mean something here.
    let at = operand.length - 1;
    while (at >= paths.rootLength(operand) && !paths.isSeparator(operand.charAt(at))) at--;
    const prefix = operand.slice(0, at + 1);
    const pattern = operand.slice(at + 1);
    if (!WILDCARD.test(pattern) || WILDCARD.test(prefix)) return [operand];
    const dir = prefix === "" ? "." : paths.isBareDrive(prefix) || prefix.length <= paths.rootLength(operand) ? prefix : paths.trimTrailing(prefix);
    const names = matching(b, dir, pattern);
    if (typeof names === "number" || names.length === 0) {
      unmatched.set(operand, typeof names === "number" ? names : -b.errno.ENOENT);
      return [operand];
    }
    return names.map((name) => {
      if (!rules.dropsTrailingDots || !/[. ]$/.test(name)) return prefix + name;
      const refused = parents ? (b.refusesName?.(toBytes(name)) ?? 0) : 0;
      if (refused < 0) unmatched.set(prefix + name, refused);
      return (refused < 0 ? undefined : asWritten(b, dir, name)) ?? prefix + name;
    });
  });
  return { operands: expanded, unmatched };
}

/**
 * `dir\name` as a path Windows takes as written (`\\?\`), for a name that
 * ends in a dot or a space (made on Linux or through a Samba share): any
 * other path loses them, and names another entry (`x` for `x.`) or none.
 * undefined where dir's full path cannot be had.
 */
function asWritten(b: Backend, dir: string, name: string): string | undefined {
  const real = b.realPath(toBytes(dir));
  if (typeof real === "number") return undefined;
  const full = fromBytes(real);
  const root = full.startsWith("\\\\") ? `\\\\?\\UNC\\${full.slice(2)}` : `\\\\?\\${full}`;
  return `${root}${full.endsWith("\\") ? "" : "\\"}${name}`;
}

/**
 * A pattern as FindFirstFile matches it (FsRtlIsNameInExpression's DOS
 * wildcards): `*.*` is `*`; a `.` followed only by wildcards to the end
 * also matches a name's end (`README.*` matches README); a pattern ending
 * in `.` matches names with no `.` after its last wildcard (`*.` those
 * without an extension); `?` is one character, and a run of them before a
 * `.` or at the end may match fewer (`??.txt` matches a.txt). Over the
 * names' keys (their case folded as the directory folds it), one UTF-16
 * unit a character.
 */
function patternRegExp(pattern: string, key: (text: string) => string): RegExp {
  // Trailing spaces go, as Windows drops them from a path; trailing dots mean "no extension".
  let p = pattern.replace(/ +$/, "");
  p = p === "*.*" ? "*" : p;
  const noExtension = p.endsWith(".") && p.replace(/\.+$/, "") !== "";
  if (noExtension) p = p.replace(/\.+$/, "");
  const folded = key(p);
  let source = "";
  for (let i = 0; i < folded.length; i++) {
    const c = folded[i]!;
    if (c === "*") {
      // After the last literal ".", with a pattern ending in ".": no "." in what it matches.
      source += noExtension && !folded.slice(i + 1).includes(".") ? "[^.]*" : "[^]*";
    } else if (c === "?") {
      let run = 1;
      while (folded[i + run] === "?") run++;
      const next = folded[i + run];
      source += next === undefined || next === "." ? `[^.]{0,${run}}` : "[^]".repeat(run);
      i += run - 1;
    } else if (c === "." && /^[*?]*$/.test(folded.slice(i + 1)) && i + 1 < folded.length) {
      // A "." with only wildcards after it: the extension may be missing altogether.
      const rest = patternRegExp(folded.slice(i + 1), (text) => text).source.slice(1, -1);
      source += `(?:\\.${rest}|$)`;
      break;
    } else {
      source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

/** The names in `dir` that `pattern` matches, in the order Windows sorts names; -errno if it cannot be listed. */
function matching(b: Backend, dir: string, pattern: string): string[] | number {
  const fd = b.openDir(b.cwd, toBytes(dir), true);
  if (fd < 0) return fd;
  const folding = b.caseFolding;
  const key = (text: string) => (folding ? folding.key(toBytes(text)) : text.toUpperCase());
  const re = patternRegExp(pattern, key);
  const names: { text: string; key: string }[] = [];
  try {
    for (;;) {
      const entries = b.readDir(fd);
      if (typeof entries === "number") return entries;
      if (entries.length === 0) break;
      for (const { name } of entries) {
        const text = fromBytes(name);
        const folded = key(text);
        if (re.test(folded)) names.push({ text, key: folded });
      }
    }
  } finally {
    b.close(fd);
  }
  return names.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)).map((name) => name.text);
}
