// Shows a file name in a message the way GNU tools do: 'plain' when it is
// printable, "it's" when it holds a single quote, and $'\377' escapes when it
// has bytes that are not printable UTF-8, so every name is shown unambiguously.

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const SHELL_SPECIAL = /["$`\\]/;
// Control characters and the bidirectional overrides that can disguise a name.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const NAMED_ESCAPES: Record<number, string> = {
  0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0b: "\\v", 0x0c: "\\f", 0x0d: "\\r",
  0x27: "\\'", 0x5c: "\\\\",
};

function escapeBytes(bytes: Uint8Array): string {
  let out = "$'";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const named = NAMED_ESCAPES[b];
    if (named) {
      out += named;
      i++;
    } else if (b >= 0x20 && b < 0x7f) {
      out += String.fromCharCode(b);
      i++;
    } else {
      // Keep valid, printable multi-byte characters readable.
      const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      let char: string | undefined;
      if (len > 1 && i + len <= bytes.length) {
        try {
          char = strictUtf8.decode(bytes.subarray(i, i + len));
        } catch {
          char = undefined;
        }
      }
      if (char && !UNPRINTABLE.test(char)) {
        out += char;
        i += len;
      } else {
        out += `\\${b.toString(8).padStart(3, "0")}`;
        i++;
      }
    }
  }
  return `${out}'`;
}

export function quote(name: string | Uint8Array): string {
  const bytes = typeof name === "string" ? encoder.encode(name) : name;
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return escapeBytes(bytes);
  }
  if (UNPRINTABLE.test(text)) return escapeBytes(bytes);
  if (!text.includes("'")) return `'${text}'`;
  if (!SHELL_SPECIAL.test(text)) return `"${text}"`;
  return escapeBytes(bytes);
}

/** Decodes bytes for display where quoting is not wanted (lossy). */
export function displayName(name: Uint8Array): string {
  return new TextDecoder().decode(name);
}
