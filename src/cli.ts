// blit's entry point: picks the command and sets the exit status. Each
// command's modules are imported only when it runs, so `blit --version`
// loads next to nothing. (No top-level await: the executable is compiled to
// bytecode, as CommonJS.)

const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;

async function main(given: string[]): Promise<number> {
  // An argument that was not UTF-8 came through with U+FFFD or an unpaired
  // surrogate in it: fetch its bytes.
  const argv = given.some((arg) => arg.includes("\uFFFD") || UNPAIRED_SURROGATE.test(arg)) ? (await import("./argv.ts")).exactArguments(given) : given;
  if (argv.length === 1 && argv[0] === "--version") {
    const { VERSION_LINE } = await import("./version.ts");
    process.stdout.write(`${VERSION_LINE}\n`);
    return 0;
  }
  if (argv[0] === "doctor") {
    const { runDoctor } = await import("./commands/doctor.ts");
    return runDoctor(argv.slice(1));
  }
  const { runCopy } = await import("./commands/copy.ts");
  return runCopy(argv);
}

// Workers may still be winding down; the status is final.
main(process.argv.slice(2)).then((status) => process.exit(status));
