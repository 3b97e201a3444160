// blit's entry point: picks the command and sets the exit status. Each
// command's modules are imported only when it runs, so `blit --version`
// loads next to nothing. (No top-level await: the executable is compiled to
// bytecode, as CommonJS.)

import "../ffi/start-descriptors.ts";

const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;
const ISSUES = "https://github.com/blit-dev/blit/issues";
/** ExitCode.partial, as cp exits on its own internal errors (not imported: --version loads next to nothing). */
const INTERNAL_ERROR = 1;

async function exactly(given: string[]): Promise<string[]> {
  const [{ exactArguments }, { loadBackend }] = await Promise.all([import("./argv.ts"), import("../ffi/index.ts")]);
  return exactArguments(given, (await loadBackend()).backend.commandLine());
}

/**
 * --version, written at once (loading a backend for it would slow the
 * command scripts call most): a full or closed stdout is cp's write error.
 */
async function printVersion(line: string): Promise<number> {
  // The stream hands a failed write to its callback; its 'error' event would be thrown.
  process.stdout.on("error", () => {});
  const err = await new Promise<Error | null | undefined>((resolve) => process.stdout.write(`${line}\n`, resolve));
  if (!err) return 0;
  // "ENOSPC: no space left on device, write" says what strerror says, in lower case.
  const reason = err.message.replace(/^\w+: /, "").replace(/, write$/, "");
  process.stderr.write(`blit: write error: ${reason.charAt(0).toUpperCase()}${reason.slice(1)}\n`);
  return 1;
}

async function main(given: string[]): Promise<number> {
  // An argument that was not UTF-8 came through with U+FFFD or an unpaired
  // surrogate in it: fetch its bytes from the backend (loaded once: the
  // command gets the same one).
  const argv = given.some((arg) => arg.includes("\uFFFD") || UNPAIRED_SURROGATE.test(arg)) ? await exactly(given) : given;
  if (argv.length === 1 && argv[0] === "--version") {
    const { VERSION_LINE } = await import("./version.ts");
    return printVersion(VERSION_LINE);
  }
  if (argv[0] === "completions") {
    const { runCompletions } = await import("./commands/completions.ts");
    return runCompletions(argv.slice(1));
  }
  if (argv[0] === "doctor") {
    const { runDoctor } = await import("./commands/doctor.ts");
    return runDoctor(argv.slice(1));
  }
  const { runCopy } = await import("./commands/copy.ts");
  return runCopy(argv);
}

// A failed write to stderr (a full disk, a terminal gone) is an error event
// that Bun's stream would throw, ending the run at its first message with a
// file half written. cp goes on, and its close_stdout exits 1 at the end.
let stderrFailed = false;
process.stderr.on("error", () => {
  stderrFailed = true;
});

// Workers may still be winding down; the status is final. A stdout or
// stderr that could not be written fails the run, as cp's close_stdout makes it.
main(process.argv.slice(2)).then(
  async (status) => {
    const [{ log, stdoutFailure, stderrWriteFailed }, { withOutputFailure }] = await Promise.all([import("./log.ts"), import("./exit-codes.ts")]);
    const failure = stdoutFailure();
    if (failure !== undefined) log.error(`write error: ${failure}`);
    process.exit(withOutputFailure(status, failure !== undefined || stderrFailed || stderrWriteFailed()));
  },
  async (err: unknown) => {
    // A bug (a worker's crash among them): said as blit's, with its stack,
    // not as Bun shows an uncaught error (lines of the minified bundle).
    const { VERSION_LINE } = await import("./version.ts");
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`blit: internal error (a bug: please report it, with the command line and this text, at ${ISSUES}): ${text}\n${VERSION_LINE}\n`);
    process.exit(INTERNAL_ERROR);
  },
);
