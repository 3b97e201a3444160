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

/** The signals blit stops on (src/commands/copy.ts). */
const STOPS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/**
 * -i's question on the main thread while planning, before anything is
 * written: this thread cannot run blit's handler until the answer comes, so
 * a signal meanwhile takes its default action and ends blit, as it ends cp.
 */
export function askWhilePlanning(backend: Backend, question: string): boolean {
  const handlers = STOPS.map((name) => [name, process.listeners(name)] as const);
  for (const [name, listeners] of handlers) for (const listener of listeners) process.removeListener(name, listener);
  try {
    return ask(backend, question);
  } finally {
    for (const [name, listeners] of handlers) for (const listener of listeners) process.on(name, listener);
  }
}
