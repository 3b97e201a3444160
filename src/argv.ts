// The command line as the OS passed it. Bun decodes each argument as UTF-8
// and turns bytes that are not into U+FFFD, which would name another file or
// none: cp accepts any bytes, and so must blit. Where the backend has the
// arguments' bytes (on Linux, the kernel's own copy), they are kept as text that
// converts back to the same bytes (fromBytes).

import { fromBytes } from "./engine/paths.ts";

// ignoreBOM: a name may start with the bytes of U+FEFF, which are part of it.
const lossy = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * `decoded` (process.argv without the runtime and script) with each argument
 * Bun could not decode replaced by its exact bytes, taken from `raw` (the
 * backend's commandLine()); unchanged when there is none or it does not line
 * up with it.
 */
export function exactArguments(decoded: string[], raw: Uint8Array[] | undefined): string[] {
  if (raw === undefined || decoded.length > raw.length) return decoded;
  const mine = raw.slice(raw.length - decoded.length);
  // Decoders differ in how many U+FFFD a bad sequence becomes, and some pass
  // an encoded surrogate through; the rest must match.
  const shape = (text: string) => text.replace(/[\uD800-\uDFFF]/gu, "\uFFFD").replace(/\uFFFD+/g, "\uFFFD");
  if (mine.some((bytes, i) => shape(lossy.decode(bytes)) !== shape(decoded[i]!))) return decoded;
  return mine.map(fromBytes);
}
