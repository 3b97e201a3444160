// -i's questions: asked on stderr, answered on stdin, one line each, through
// the backend (which knows how this OS reads its standard input).

import type { Backend } from "../ffi/index.ts";
import { toBytes } from "./engine/paths.ts";

/**
 * -i: writes "blit: QUESTION" to stderr and reads one line of stdin (byte
 * by byte, so that the next question gets the next line): yes when it
 * starts with y or Y, as cp's yesno in the C locale. End of input is no, and
 * so is a run stopped (`stopped`) while the question waits.
 */
export function ask(backend: Backend, question: string, stopped?: () => boolean): boolean {
  const line = backend.askLine(toBytes(`blit: ${question}`), stopped);
  return line !== undefined && (line[0] === 0x79 || line[0] === 0x59);
}
