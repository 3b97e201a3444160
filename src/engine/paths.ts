// Paths as bytes: names from the kernel are never decoded on their way
// through the engine, only when a message shows them.

import type { PathRules } from "../../ffi/backend.ts";

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const SLASH = 0x2f;
/** A byte that was not UTF-8, carried in text as U+DC80–U+DCFF (Python's surrogateescape). */
const ESCAPED_BYTE = /[\uDC80-\uDCFF]/u;
const ESCAPED_BYTES = /[\uDC80-\uDCFF]+/gu;

/** The bytes a path given as text names; bytes escaped by fromBytes come back as they were. */
export function toBytes(text: string): Uint8Array {
  if (!ESCAPED_BYTE.test(text)) return encoder.encode(text);
  const parts: Uint8Array[] = [];
  let last = 0;
  for (const match of text.matchAll(ESCAPED_BYTES)) {
    parts.push(encoder.encode(text.slice(last, match.index)));
    parts.push(Uint8Array.from(match[0], (unit) => unit.charCodeAt(0) - 0xdc00));
    last = match.index + match[0].length;
  }
  parts.push(encoder.encode(text.slice(last)));
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Text for a path that may not be UTF-8, such as an operand: each byte that
 * is not part of a valid sequence becomes one unpaired surrogate, so that
 * toBytes gives back exactly the bytes the kernel had (a replacement
 * character would name a different file, or none).
 */
export function fromBytes(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // Decoded a sequence at a time below.
  }
  let text = "";
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0;
    if (length > 0 && i + length <= bytes.length) {
      try {
        text += strictUtf8.decode(bytes.subarray(i, i + length));
        i += length;
        continue;
      } catch {
        // Not a valid sequence: escape its first byte and go on.
      }
    }
    text += String.fromCharCode(0xdc00 + lead);
    i++;
  }
  return text;
}

/**
 * parent + separator + name, without doubling a separator the user typed
 * ("/" always counts as one: it is one on every OS blit runs on).
 */
export function joinPath(parent: Uint8Array, name: Uint8Array, separator = SLASH): Uint8Array {
  // One separator between them, as gnulib's file_name_concat: `dir//` and y make `dir/y`.
  let end = parent.length;
  while (end > 1 && isSeparator(parent[end - 1], separator) && isSeparator(parent[end - 2], separator)) end--;
  const needsSlash = end > 0 && !isSeparator(parent[end - 1], separator);
  const out = new Uint8Array(end + (needsSlash ? 1 : 0) + name.length);
  // Not parent.subarray(0, end): to make a view of a small typed array,
  // JavaScriptCore moves its bytes out of the collected heap into a buffer of
  // their own (peak RSS of a cold 100,000-file copy with 4 workers: 136-141
  // MiB with the view, 123-124 MiB without; bench/README item 33).
  if (end === parent.length) out.set(parent);
  else for (let i = 0; i < end; i++) out[i] = parent[i]!;
  if (needsSlash) out[end] = separator;
  out.set(name, out.length - name.length);
  return out;
}

function isSeparator(byte: number | undefined, separator: number): boolean {
  return byte === SLASH || byte === separator;
}

/**
 * Paths given as text (operands), split and joined by the running OS's rules,
 * which the backend gives (`backend.pathRules`): nothing here names a
 * separator. With POSIX's rules ("/") this is dirname/basename as cp has them.
 */
export class PathSyntax {
  /** The separator written when joining, which is also the root. */
  readonly separator: string;
  private readonly separators: string;
  private readonly trailing: RegExp;
  private readonly any: RegExp;
  private readonly directories: RegExp;

  private readonly root: RegExp | undefined;

  constructor(private readonly rules: PathRules) {
    this.separator = rules.separator;
    this.root = rules.root;
    this.separators = rules.separators;
    const one = `[${rules.separators.replace(/[\\\]^-]/g, "\\$&")}]`;
    const none = `[^${one.slice(1)}`;
    this.trailing = new RegExp(`${one}+$`);
    this.any = new RegExp(one);
    // A component followed by separators and more: each directory on the way to the last component.
    this.directories = new RegExp(`${none}+(?=${one}+${none})`, "g");
  }

  isSeparator(char: string): boolean {
    return char.length === 1 && this.separators.includes(char);
  }

  startsWithSeparator(path: string): boolean {
    return this.isSeparator(path.charAt(0));
  }

  endsWithSeparator(path: string): boolean {
    return this.isSeparator(path.charAt(path.length - 1));
  }

  /** Without its trailing separators: "a/b//" gives "a/b", "/" gives "". */
  trimTrailing(path: string): string {
    return path.replace(this.trailing, "");
  }

  /**
   * Whether the path names the same place from any directory: "/x"; on
   * Windows also C:\x, \\server\share\x, \\?\C:\x and \x (the current
   * drive's root), not C:x (that drive's current directory).
   */
  isAbsolute(path: string): boolean {
    if (!this.root) return this.startsWithSeparator(path);
    const root = this.root.exec(path)?.[0] ?? "";
    return root !== "" && !(root.length === 2 && root.endsWith(":"));
  }

  /** How long the root at the path's start is, where roots are more than a separator (Windows: C:\, C:, \\?\C:\, \\server\share\); 0 on POSIX. */
  rootLength(path: string): number {
    return this.root?.exec(path)?.[0].length ?? 0;
  }

  /** A drive alone, with no separator after it ("C:"): that drive's current directory, on Windows. */
  isBareDrive(path: string): boolean {
    const root = this.root?.exec(path)?.[0];
    return root !== undefined && root === path && root.length === 2 && root.endsWith(":");
  }

  /**
   * dir and name joined by one separator; a bare drive takes the name as it
   * is ("C:" and "f" give "C:f", in that drive's current directory, not "C:\f"
   * at its root).
   */
  join(dir: string, name: string): string {
    return this.isBareDrive(dir) ? `${dir}${name}` : `${this.trimTrailing(dir)}${this.separator}${name}`;
  }

  /** Its components, empty ones kept: "a//b/" gives a, "", b, "". */
  components(path: string): string[] {
    return path.split(this.any);
  }

  /** Each directory on the way to the last component, with where it ends: "a/b//c/f" gives a, b, c ending at 1, 3, 6. */
  directoriesOf(path: string): { name: string; end: number }[] {
    return Array.from(path.matchAll(this.directories), (match) => ({ name: match[0], end: match.index + match[0].length }));
  }

  /**
   * Splits a path into its directory and last component, as dirname/basename.
   * An empty path stays empty on both sides, so that opening it fails as the
   * kernel fails it (ENOENT), never becoming "/" or ".".
   */
  split(path: string): { dir: string; base: string } {
    if (path === "") return { dir: "", base: "" };
    const trimmed = this.trimTrailing(path);
    if (trimmed === "") return { dir: this.separator, base: "." };
    const root = this.root?.exec(path)?.[0] ?? "";
    // A root alone ("C:\\", "C:", "\\\\server\\share") is its own directory, as "/" is.
    if (root !== "" && trimmed.length <= this.trimTrailing(root).length) return { dir: root, base: "." };
    let at = trimmed.length - 1;
    while (at >= root.length && !this.isSeparator(trimmed.charAt(at))) at--;
    const parts = at < root.length
      ? root === "" ? { dir: ".", base: trimmed } : { dir: root, base: trimmed.slice(root.length) }
      : { dir: trimmed.slice(0, at) || this.separator, base: trimmed.slice(at + 1) };
    return { dir: parts.dir, base: this.asTheOsNamesIt(parts.base, path) };
  }

  /** A last component as the OS takes it: on Windows, "x." and "x " are x ("." and ".." stay; a verbatim path is as written). */
  private asTheOsNamesIt(base: string, path: string): string {
    if (!this.rules.dropsTrailingDots || base === "." || base === ".." || this.rules.verbatim?.test(path)) return base;
    const dropped = base.replace(/[. ]+$/, "");
    return dropped === "" ? base : dropped;
  }
}

const syntaxes = new WeakMap<PathRules, PathSyntax>();

/** The PathSyntax of a backend's rules, made once. */
export function pathSyntax(rules: PathRules): PathSyntax {
  let syntax = syntaxes.get(rules);
  if (syntax === undefined) {
    syntax = new PathSyntax(rules);
    syntaxes.set(rules, syntax);
  }
  return syntax;
}
