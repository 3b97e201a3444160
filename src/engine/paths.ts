// Paths as bytes: names from the kernel are never decoded on their way
// through the engine, only when a message shows them.

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

/** parent + "/" + name, without doubling a slash the user typed. */
export function joinPath(parent: Uint8Array, name: Uint8Array): Uint8Array {
  const needsSlash = parent.length > 0 && parent[parent.length - 1] !== SLASH;
  const out = new Uint8Array(parent.length + (needsSlash ? 1 : 0) + name.length);
  out.set(parent);
  if (needsSlash) out[parent.length] = SLASH;
  out.set(name, out.length - name.length);
  return out;
}

/**
 * Splits a path into its directory and last component, as dirname/basename.
 * An empty path stays empty on both sides, so that opening it fails as the
 * kernel fails it (ENOENT), never becoming "/" or ".".
 */
export function splitPath(path: string): { dir: string; base: string } {
  if (path === "") return { dir: "", base: "" };
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return { dir: "/", base: "." };
  const slash = trimmed.lastIndexOf("/");
  if (slash < 0) return { dir: ".", base: trimmed };
  return { dir: trimmed.slice(0, slash) || "/", base: trimmed.slice(slash + 1) };
}
