// `blit doctor [PATH]`: what this machine and the filesystem of PATH support,
// and which copy method blit will use there.

import { availableParallelism } from "node:os";
import { type CopyMethod, loadBackend, S_IFDIR, S_IFMT } from "../../ffi/index.ts";
import { methodWithin } from "../engine/copy-data.ts";
import { ExitCode } from "../exit-codes.ts";
import { log, say, writeStdoutThrough } from "../log.ts";
import { obeyedShownBare, quote, quoteArgument } from "../quote.ts";
import { pathSyntax, toBytes } from "../engine/paths.ts";
import { VERSION } from "../version.ts";
import { usageFailure } from "./copy.ts";

const METHOD_TEXT: Record<CopyMethod, string> = {
  clone: "data blocks are shared, nothing is copied",
  kernel: "copied without passing through blit (by the kernel, or by a file server)",
  batched: "reads and writes in batches",
  read_write: "reads and writes",
};

/** Whether `arg` asks for help: -h, --help, or a prefix of it as getopt_long allows (--he). */
const asksForHelp = (arg: string) => arg === "-h" || (arg.length > 2 && "--help".startsWith(arg));

export async function runDoctor(argv: string[]): Promise<number> {
  // Options as getopt reads them: "--" ends them, so a PATH may start with "-".
  // Help, like cp's --help, answers as soon as it is read.
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (asksForHelp(arg)) {
      say("Usage: blit doctor [PATH]\n\nShows what this machine and the filesystem of PATH (default: .) support,\nand which copy method blit will use there. It creates and removes two\nscratch files in PATH to find out.");
      return ExitCode.ok;
    }
    if (arg.startsWith("-") && arg !== "-") return usageFailure(`doctor: unrecognized option ${quoteArgument(arg)}`);
    operands.push(arg);
  }
  if (operands.length > 1) return usageFailure(`doctor: extra operand ${quote(operands[1]!)}`);
  const target = operands[0] ?? ".";

  const { backend, fallbackReason } = await loadBackend();
  // A closed or full stdout is then a write error, as for a copy.
  writeStdoutThrough(backend);
  const report = backend.report();
  say(`blit ${VERSION} on ${backend.platform}, ${availableParallelism()} CPUs`);
  say(`backend: ${report.backend}`);
  // A path among them (the shim's, below $HOME) quoted where a terminal or a CI runner would obey it.
  for (const [label, value] of report.details) say(`  ${label}: ${obeyedShownBare(value) ? quote(value) : value}`);
  if (fallbackReason !== undefined) say("  copies still work, through Bun's fs, but more slowly");

  const st = backend.stat(backend.cwd, toBytes(target), true);
  if (typeof st === "number") {
    log.error(`cannot stat ${quote(target)}: ${backend.strerror(-st)}`);
    return ExitCode.partial;
  }
  const dirPath = (st.mode & S_IFMT) === S_IFDIR ? target : pathSyntax(backend.pathRules).split(target).dir;
  const dir = backend.openDir(backend.cwd, toBytes(dirPath), true);
  if (dir < 0) {
    log.error(`cannot open directory ${quote(dirPath)}: ${backend.strerror(-dir)}`);
    return ExitCode.partial;
  }
  const fs = backend.probeFilesystem(dir);
  backend.close(dir);
  if (typeof fs === "number") {
    log.error(`cannot examine the filesystem of ${quote(dirPath)}: ${backend.strerror(-fs)}`);
    return ExitCode.partial;
  }
  say(`filesystem of ${quote(dirPath)}: ${fs.fsType}`);
  for (const check of fs.checks) say(`  ${check.name}: ${check.supported ? "yes" : "no"} (${check.detail})`);
  const method = methodWithin(fs);
  const named = (m: CopyMethod) => `${m} (${backend.methodLabels[m]}): ${METHOD_TEXT[m]}`;
  say(`method for files within this filesystem: ${method ? named(method) : "unknown (not probed)"}`);
  const otherwise = named(fs.batched ? "batched" : "read_write");
  say(`across filesystems: ${backend.kernelCopy ? `kernel (${backend.methodLabels.kernel}) where it allows it, else ${otherwise}` : otherwise}`);
  return ExitCode.ok;
}
