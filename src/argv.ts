// The command line as the kernel passed it. Bun decodes each argument as
// UTF-8 and turns bytes that are not into U+FFFD, which would name another
// file or none: cp accepts any bytes, and so must blit. Where
// /proc/self/cmdline exists, the arguments are read from it and kept as text
// that converts back to the same bytes (fromBytes).

import { readFileSync } from "node:fs";
import { fromBytes } from "./engine/paths.ts";

// ignoreBOM: a name may start with the bytes of U+FEFF, which are part of it.
const lossy = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * `decoded` (process.argv without the runtime and script) with each argument
 * Bun could not decode replaced by its exact bytes; unchanged when the kernel's
 * copy cannot be read or does not line up with it.
 */
export function exactArguments(decoded: string[]): string[] {
  let raw: Buffer;
  try {
    raw = readFileSync("/proc/self/cmdline");
  } catch {
    return decoded;
  }
  const all: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0) {
      all.push(raw.subarray(start, i));
      start = i + 1;
    }
  }
  if (decoded.length > all.length) return decoded;
  const mine = all.slice(all.length - decoded.length);
  // Decoders differ in how many U+FFFD a bad sequence becomes, and some pass
  // an encoded surrogate through; the rest must match.
  const shape = (text: string) => text.replace(/[\uD800-\uDFFF]/gu, "\uFFFD").replace(/\uFFFD+/g, "\uFFFD");
  if (mine.some((bytes, i) => shape(lossy.decode(bytes)) !== shape(decoded[i]!))) return decoded;
  return mine.map(fromBytes);
}
