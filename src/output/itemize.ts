// --itemize: rsync's `-i` lines (`%i %n%L`): YXcstpoguax, the name, and
// ` -> target` after every symlink's line, ` => name` after a hard link.
// Y: `>` a file's data written, `c` another entry made, `h` a hard link,
// `.` nothing written, `*deleting` removed. X: f d L, D a device, S another
// special file (for a hard link, what its inode is: `hL` a symlink's). Then, for an entry
// made where nothing was or in place of an entry of another type,
// `+++++++++`; for one that replaced another of its type, the
// letter of each attribute that differed (c s t p o g u a x; T for t when
// times are not kept) or `.`; for one skipped, spaces, as rsync's -ii shows
// an entry left as it was.

import type { Item } from "../engine/report.ts";
import { UTF8_LOCALE } from "../quote.ts";

const TYPE = { file: "f", directory: "d", symlink: "L", hardlink: "f", special: "S" } as const;
const ATTRIBUTES = "cstpoguax";
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const BACKSLASH = 0x5c;
const HASH = 0x23;
const BRACKET = 0x5b;
const TAB = 0x09;
const SLASH = 0x2f;

const isDigit = (byte: number | undefined) => byte !== undefined && byte >= 0x30 && byte <= 0x39;
const octal = (byte: number) => `\\#${byte.toString(8).padStart(3, "0")}`;

/** Bytes of UTF-8 a lead byte announces (0: not a lead byte). */
function sequenceLength(lead: number): number {
  return lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
}

/**
 * A name as rsync prints it, so that each entry is one line and no byte of
 * a name reaches the terminal as a control: a control byte other than tab,
 * a byte that is not part of valid UTF-8 (in a locale that is not UTF-8,
 * every byte past ASCII), and a backslash that would read as such an
 * escape, as `\#ooo` (octal). Also the `[` of a workflow command `##[`
 * (WORKFLOW_COMMAND), which rsync shows as it is.
 */
export function escapedName(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte < 0x80) {
      const looksEscaped = byte === BACKSLASH && bytes[i + 1] === HASH && isDigit(bytes[i + 2]) && isDigit(bytes[i + 3]) && isDigit(bytes[i + 4]);
      const command = byte === BRACKET && bytes[i - 1] === HASH && bytes[i - 2] === HASH;
      out += (byte < 0x20 && byte !== TAB) || looksEscaped || command ? octal(byte) : String.fromCharCode(byte);
      continue;
    }
    const length = UTF8_LOCALE ? sequenceLength(byte) : 0;
    try {
      if (length === 0 || i + length > bytes.length) throw new Error("not UTF-8");
      out += strictUtf8.decode(bytes.subarray(i, i + length));
      i += length - 1;
    } catch {
      out += octal(byte);
    }
  }
  return out;
}

/** `separators`: the bytes that end a directory's name as given (the backend's path rules: a slash, on Windows a backslash too). */
export function itemizeLine(item: Item, separators: readonly number[] = [SLASH]): string {
  // A directory named with a trailing separator (DEST as given, "t/", on Windows also with a backslash) gets no second one.
  const name = escapedName(item.dst) + (item.kind === "directory" && !separators.includes(item.dst[item.dst.length - 1]!) ? "/" : "");
  if (item.action === "deleted") return `*deleting   ${name}`;
  const x = item.device ? "D" : TYPE[item.linked ?? item.kind];
  // A name of a hard-link group left as it was: rsync -ii's `hf` (`hL` ...), without the name it is linked to; a symlink's with its target.
  if (item.action === "skipped") {
    const target = item.target && (item.kind !== "hardlink" || item.linked === "symlink") ? ` -> ${escapedName(item.target)}` : "";
    return `${item.kind === "hardlink" ? "h" : "."}${x}          ${name}${target}`;
  }
  const target = item.target ? `${item.kind === "hardlink" ? " =>" : " ->"} ${escapedName(item.target)}` : "";
  const y = item.action === "attributes" ? "." : item.kind === "hardlink" ? "h" : item.kind === "file" ? ">" : "c";
  // Replaced with no letters: what was there was of another type, and went (rsync says +++++++++ too).
  if (item.action === "created" || item.changed === undefined) return `${y}${x}+++++++++ ${name}${target}`;
  const changed = item.changed;
  // `T` in t's place: the time set to when the copy was made (rsync's, without --times).
  const letters = [...ATTRIBUTES].map((letter) => (changed.includes(letter) ? letter : letter === "t" && changed.includes("T") ? "T" : ".")).join("");
  // No letter at all: blanks, as rsync prints them for every line but one whose data was written (`>`).
  const shown = y !== ">" && !/[^.]/.test(letters) ? " ".repeat(letters.length) : letters;
  return `${y}${x}${shown} ${name}${target}`;
}
