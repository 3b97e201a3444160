// -i's questions: asked on stderr, answered on stdin, one line each.

import { readSync, writeSync } from "node:fs";
import { toBytes } from "./engine/paths.ts";

/**
 * -i: writes "blit: QUESTION" to stderr and reads one line of stdin (byte
 * by byte, so that the next question gets the next line): yes when it
 * starts with y or Y, as cp's yesno in the C locale. End of input is no.
 */
export function ask(question: string): boolean {
  writeSync(2, toBytes(`blit: ${question}`));
  const line: number[] = [];
  const byte = new Uint8Array(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, byte, 0, 1, null);
    } catch {
      n = 0;
    }
    if (n <= 0 || byte[0] === 0x0a) break;
    line.push(byte[0]!);
  }
  return line[0] === 0x79 || line[0] === 0x59;
}
