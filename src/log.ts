// Messages to the user go through consola with a reporter shaped like GNU
// tools: "blit: message" on stderr, nothing else on the line, so scripts can
// read it. Levels: -q keeps errors only; the default adds warnings.

// consola/core: the same logger without the fancy reporters, whose import
// alone costs ~50 ms at start-up.
import { createConsola, type ConsolaReporter, LogLevels } from "consola/core";
import { toBytes } from "./engine/paths.ts";

const reporter: ConsolaReporter = {
  log(entry) {
    const text = entry.args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(" ");
    const prefix = entry.type === "warn" ? "blit: warning: " : "blit: ";
    // An argument that was not UTF-8 is quoted back as the bytes it was, as cp does.
    process.stderr.write(toBytes(`${prefix}${text}\n`));
  },
};

export const log = createConsola({
  level: LogLevels.warn,
  reporters: [reporter],
  formatOptions: { colors: false, date: false },
});

export function setQuiet(quiet: boolean): void {
  log.level = quiet ? LogLevels.error : LogLevels.warn;
}

/** Writes a line to stdout (verbose listing, reports). */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
