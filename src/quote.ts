// Shows a file name in a message the way GNU tools do (quotearg's
// shell-escape style): 'plain' when it is printable, "it's" when it holds a
// single quote, and $'\377' segments for bytes that are not printable UTF-8
// (in a locale that is not UTF-8, every byte past ASCII), so that every name
// is shown unambiguously and can be pasted into a shell.

import { toBytes } from "./engine/paths.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const SHELL_SPECIAL = /["$`\\]/;
// Control characters, the line and paragraph separators (which cp escapes
// too) and the bidirectional overrides that can disguise a name.
export const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * What GitHub's runner takes for a workflow command anywhere in a line of a
 * step's output (its older `##[command]` syntax, still obeyed: a name could
 * stop the step's annotations or set its outputs). No name is shown with it
 * whole: the `[` after `##` is written escaped, as each form allows.
 */
export const WORKFLOW_COMMAND = "##[";
const BRACKET = 0x5b;
const NOT_ASCII = /[^\u0000-\u007f]/;

/**
 * Whether the locale's characters are UTF-8's, as GNU tools judge what is
 * printable: not where LC_ALL, LC_CTYPE or LANG (the first one set) names
 * another codeset (C, POSIX, en_US.ISO-8859-1), where cp shows every byte
 * past ASCII escaped. With none set (Windows; a service started bare)
 * names are taken as UTF-8, as most terminals show them.
 */
function utf8Locale(env: Record<string, string | undefined>): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  // `C.UTF-8`, `en_US.utf8@euro`; macOS's `LC_CTYPE=UTF-8` (sent on by ssh too) names the codeset alone.
  return !locale || /(^|\.)utf-?8(@|$)/i.test(locale);
}

/** Whether names are shown as UTF-8 text (utf8Locale): else every byte past ASCII is escaped. */
export const UTF8_LOCALE = utf8Locale(process.env);

const NAMED_ESCAPES: Record<number, string> = {
  0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0b: "\\v", 0x0c: "\\f", 0x0d: "\\r",
};

/** The name as a sequence of printable characters and single unprintable bytes. */
function* units(bytes: Uint8Array): Generator<{ text: string } | { byte: number }> {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : !UTF8_LOCALE ? 0 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    let char: string | undefined;
    if (len > 0 && i + len <= bytes.length) {
      try {
        char = strictUtf8.decode(bytes.subarray(i, i + len));
      } catch {
        char = undefined;
      }
    }
    if (char !== undefined && !UNPRINTABLE.test(char)) {
      yield { text: char };
      i += len;
    } else {
      yield { byte: b };
      i++;
    }
  }
}

function escapeSegments(bytes: Uint8Array): string {
  let out = "";
  let mode: "none" | "quote" | "escape" = "none";
  const enter = (next: "quote" | "escape") => {
    if (mode === next) return;
    if (mode !== "none") out += "'";
    out += next === "quote" ? "'" : "$'";
    mode = next;
  };
  enter("quote");
  for (const unit of units(bytes)) {
    // Only two of the name's own characters end `out` with "##" (WORKFLOW_COMMAND).
    if ("text" in unit && !(unit.text === "[" && out.endsWith("##"))) {
      enter("quote");
      out += unit.text === "'" ? "'\\''" : unit.text;
    } else {
      const byte = "byte" in unit ? unit.byte : BRACKET;
      enter("escape");
      out += NAMED_ESCAPES[byte] ?? `\\${byte.toString(8).padStart(3, "0")}`;
    }
  }
  return `${out}'`;
}

export function quote(name: string | Uint8Array): string {
  const bytes = typeof name === "string" ? toBytes(name) : name;
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return escapeSegments(bytes);
  }
  if (UNPRINTABLE.test(text) || (!UTF8_LOCALE && NOT_ASCII.test(text)) || text.includes(WORKFLOW_COMMAND)) return escapeSegments(bytes);
  if (!text.includes("'")) return `'${text}'`;
  if (!SHELL_SPECIAL.test(text)) return `"${text}"`;
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * Shows an option's value the way cp's argument errors do in the C locale
 * (quotearg's locale style): inside single quotes, ' and \ escaped, and every
 * byte outside printable ASCII as a C escape, so the message stays one line
 * of plain text whatever the value held.
 */
export function quoteValue(value: string): string {
  let out = "'";
  for (const byte of toBytes(value)) {
    if (byte === 0x27 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f && !(byte === BRACKET && out.endsWith("##"))) out += String.fromCharCode(byte);
    else out += NAMED_ESCAPES[byte] ?? `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return `${out}'`;
}

/** A byte that is not UTF-8, as fromBytes carries it in a string (a lone surrogate). */
const NOT_UTF8 = /[\udc80-\udcff]/u;

/**
 * Whether a terminal or a CI runner would obey some of a name shown as it
 * is (as cp -v --parents lists the directories it makes): a control, a line
 * break, a byte that is not UTF-8, a workflow command of either syntax.
 */
export function obeyedShownBare(name: string): boolean {
  return UNPRINTABLE.test(name) || NOT_UTF8.test(name) || name.includes(WORKFLOW_COMMAND) || /^\s*::/.test(name);
}

/** A C1 control byte, as fromBytes carries it where it is not UTF-8 (a lone surrogate). */
const C1_BYTE = /[\udc80-\udc9f]/u;

/**
 * An argument as getopt echoes one it refuses (`unrecognized option
 * '--x'`): inside single quotes as it is, as cp shows it, but as quoteValue
 * shows it where a terminal or a CI runner would obey some of it (a control
 * character or byte, a bidirectional override, `##[`).
 */
export function quoteArgument(arg: string): string {
  return UNPRINTABLE.test(arg) || C1_BYTE.test(arg) || arg.includes(WORKFLOW_COMMAND) ? quoteValue(arg) : `'${arg}'`;
}

/** Bytes a name may hold and be shown bare by quotef (shell-escape style); `#` and `~` not first. */
const BARE = /^[A-Za-z0-9%+,\-./:@_\]{}][A-Za-z0-9%+,\-./:@_\]{}#~]*$/;

/** A name as coreutils' quotef shows it (cp -s's messages): bare when a shell would take it so, else as quote(). */
export function quoteIfNeeded(name: Uint8Array | string): string {
  const text = typeof name === "string" ? name : Buffer.from(name).toString("latin1");
  return BARE.test(text) ? text : quote(name);
}
