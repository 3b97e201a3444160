// How Windows writes a path as text: what the native backend and the
// portable fallback running on Windows (ffi/index.ts) split operands by.

import type { PathRules } from "../backend.ts";

/**
 * Windows paths: "\" or "/" between components, and roots that are not a
 * separator alone: "C:\", "C:" (that drive's current directory), "\\server\share\",
 * "\\?\C:\", "\\?\UNC\server\share\", "\\.\device\".
 */
export const WINDOWS_PATH_RULES: PathRules = {
  separators: "\\/",
  separator: "\\",
  sampleRoot: "D:\\",
  root: /^(?:[\\/]{2}[?.][\\/](?:UNC[\\/][^\\/]+[\\/][^\\/]+|[^\\/]+)|[\\/]{2}[^\\/?.][^\\/]*[\\/][^\\/]+|[A-Za-z]:)?[\\/]?/,
  dropsTrailingDots: true,
  verbatim: /^\\\\\?\\/,
  patternsIgnoreCase: true,
  expandsWildcards: true,
};

/**
 * A name Windows takes for a device wherever it appears in a path:
 * CON, PRN, AUX, NUL, COM0-9 and LPT0-9 (also with the superscript digits
 * ¹ ² ³), in any case, alone or followed by an extension, by dots and
 * spaces, or by a colon ("nul.txt", "AUX.c", "con .", "NUL:"), as
 * Microsoft's naming rules list them. The NT calls blit makes would create
 * such a file, which Explorer and most programs then cannot open or
 * delete, since their paths lead to the device.
 */
const DEVICE_NAME = /^(?:CON|PRN|AUX|NUL|(?:COM|LPT)[0-9\u00b9\u00b2\u00b3])(?:[. :].*)?$/iu;

const DEVICE_STEMS = new Set(["con", "prn", "aux", "nul", "com", "lpt"]);
const COLON = 0x3a;
const DOT = 0x2e;
const SPACE = 0x20;
const utf8 = new TextDecoder();

/**
 * A name blit does not create on Windows: a device's (above); one with a
 * colon, which names a stream of another file ("a:b" is the stream b of a,
 * "Q:one.txt" a stream of Q), never a file of that name; or one that ends
 * in a dot or a space ("x.", "x "), which Windows strips from every path
 * given to it, so that Explorer and most programs find no such file (a
 * tree made on Linux or a Samba share can hold one).
 */
export function isUncreatableName(name: Uint8Array): boolean {
  if (name.includes(COLON)) return true;
  const last = name[name.length - 1];
  // "." and ".." name a directory and its parent (`blit -r src\. dst` copies into dst\.).
  const dots = name.every((byte) => byte === DOT) && name.length <= 2;
  if ((last === DOT || last === SPACE) && !dots) return true;
  // Asked of every name created: most are told apart by their first three bytes, undecoded.
  if (name.length < 3 || !DEVICE_STEMS.has(String.fromCharCode(name[0]! | 0x20, name[1]! | 0x20, name[2]! | 0x20))) return false;
  return DEVICE_NAME.test(utf8.decode(name));
}
