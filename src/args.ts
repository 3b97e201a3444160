// The command line: citty definitions (which also render --help), plus the
// GNU getopt behaviour citty lacks — rejecting unknown options, honouring the
// order of -P/-L/-H/-a, and long options that start with "no-".

import { availableParallelism } from "node:os";
import { parseArgs, type ArgsDef } from "citty";
import type { CopyOptions, Dereference } from "./options.ts";

export const copyArgs = {
  archive: { type: "boolean", alias: ["a"], description: "Same as -dR -p: a tree with modes, owners, times, symlinks" },
  recursive: { type: "boolean", alias: ["r", "R"], description: "Copy directories recursively" },
  "no-dereference": { type: "boolean", alias: ["P", "d"], description: "Never follow symlinks in SOURCE (default with -r)" },
  dereference: { type: "boolean", alias: ["L"], description: "Always follow symlinks in SOURCE" },
  "dereference-command-line": { type: "boolean", alias: ["H"], description: "Follow symlinks named on the command line only" },
  preserve: { type: "boolean", alias: ["p"], description: "Keep mode, ownership and timestamps" },
  "no-clobber": { type: "boolean", alias: ["n"], description: "Never overwrite an existing file" },
  force: { type: "boolean", alias: ["f"], description: "Replace existing files even if they are not writable" },
  reflink: { type: "string", valueHint: "WHEN", description: "Clone (share data blocks): auto (default) where the filesystem can, always or fail, never" },
  "target-directory": { type: "string", alias: ["t"], valueHint: "DIR", description: "Copy every SOURCE into DIR" },
  "no-target-directory": { type: "boolean", alias: ["T"], description: "Treat DEST as a normal file, even if it is a directory" },
  jobs: { type: "string", alias: ["j"], valueHint: "N", description: "Copy with N workers (default: number of CPUs)" },
  verbose: { type: "boolean", alias: ["v"], description: "Print each file copied: 'src' -> 'dest'" },
  quiet: { type: "boolean", alias: ["q"], description: "Print errors only" },
  stats: { type: "boolean", description: "Print a summary when done: files, bytes, methods used" },
  version: { type: "boolean", description: "Print the version and exit" },
  help: { type: "boolean", alias: ["h"], description: "Show this help and exit" },
} as const satisfies ArgsDef;

export class UsageError extends Error {}

interface OptionSpec {
  name: keyof typeof copyArgs;
  takesValue: boolean;
  /** A value may be left out (--reflink alone means --reflink=always). */
  optionalValue?: boolean;
}

const longOptions = new Map<string, OptionSpec>();
const shortOptions = new Map<string, OptionSpec>();
for (const [name, def] of Object.entries(copyArgs)) {
  const spec: OptionSpec = {
    name: name as keyof typeof copyArgs,
    takesValue: def.type === "string",
    optionalValue: name === "reflink",
  };
  if (name.length === 1) shortOptions.set(name, spec);
  else longOptions.set(name, spec);
  for (const alias of "alias" in def ? def.alias : []) shortOptions.set(alias, spec);
}

const DEREF_BY_OPTION: Partial<Record<keyof typeof copyArgs, Dereference>> = {
  archive: "never",
  "no-dereference": "never",
  dereference: "always",
  "dereference-command-line": "command-line",
};

/**
 * How a boolean option is handed to citty: by its one-letter form where it
 * has one, since citty reads any "--no-x" as "x is false".
 */
function flagFor(spec: OptionSpec): string {
  const def = copyArgs[spec.name];
  const letter = spec.name.length === 1 ? spec.name : "alias" in def ? def.alias[0] : undefined;
  return letter ? `-${letter}` : `--${spec.name}`;
}

interface Scan {
  /** Arguments rewritten so citty sees no "--no-" options (it would negate them). */
  rewritten: string[];
  /** The last of -a/-P/-d/-L/-H wins, as in cp. */
  dereference: Dereference | undefined;
  reflinkGiven: boolean;
}

/** Checks every option against the table, getopt style; throws UsageError. */
function scan(argv: string[]): Scan {
  const rewritten: string[] = [];
  let dereference: Dereference | undefined;
  let reflinkGiven = false;
  const seen = (spec: OptionSpec) => {
    dereference = DEREF_BY_OPTION[spec.name] ?? dereference;
    if (spec.name === "reflink") reflinkGiven = true;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      rewritten.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = longOptions.get(name);
      if (!spec) throw new UsageError(`unrecognized option '${arg.slice(0, eq < 0 ? undefined : eq)}'`);
      seen(spec);
      if (!spec.takesValue && eq >= 0) throw new UsageError(`option '--${name}' doesn't allow an argument`);
      if (spec.takesValue && eq < 0 && !spec.optionalValue) {
        if (i + 1 >= argv.length) throw new UsageError(`option '--${name}' requires an argument`);
        rewritten.push(`--${name}=${argv[++i]}`);
        continue;
      }
      if (spec.optionalValue && eq < 0) {
        rewritten.push(`--${name}=`);
        continue;
      }
      rewritten.push(spec.takesValue ? arg : flagFor(spec));
      continue;
    }
    if (arg.length > 1 && arg.startsWith("-")) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = shortOptions.get(letter);
        if (!spec) throw new UsageError(`invalid option -- '${letter}'`);
        seen(spec);
        if (spec.takesValue) {
          const inline = arg.slice(j + 1);
          if (inline === "" && i + 1 >= argv.length) throw new UsageError(`option requires an argument -- '${letter}'`);
          const value = inline !== "" ? inline : argv[++i]!;
          rewritten.push(`--${spec.name}=${value}`);
          break;
        }
        rewritten.push(flagFor(spec));
      }
      continue;
    }
    rewritten.push(arg);
  }
  return { rewritten, dereference, reflinkGiven };
}

export type ParsedCommandLine =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "copy"; options: CopyOptions; operands: string[] };

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  const { rewritten, dereference, reflinkGiven } = scan(argv);
  // citty adds camelCase aliases to the definitions it is given: give it a copy.
  const args = parseArgs(rewritten, structuredClone(copyArgs) as typeof copyArgs);
  if (args.help) return { kind: "help" };
  if (args.version) return { kind: "version" };

  const operands = (args._ as string[]).filter((a, i, all) => !(a === "--" && all.indexOf("--") === i));
  const recursive = Boolean(args.recursive || args.archive);
  const preserveAll = Boolean(args.archive || args.preserve);

  let reflink: CopyOptions["reflink"] = "auto";
  if (reflinkGiven) {
    const value = String(args.reflink ?? "");
    if (value === "") reflink = "always";
    else if (value === "auto" || value === "always" || value === "never") reflink = value;
    else throw new UsageError(`invalid argument '${value}' for '--reflink'\nValid arguments are: 'auto', 'always', 'never'`);
  }

  let jobs = availableParallelism();
  if (args.jobs !== undefined) {
    const text = String(args.jobs);
    jobs = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 1024) {
      throw new UsageError(`invalid number of jobs: '${text}' (expected 1 to 1024)`);
    }
  }

  const targetDirectory = args["target-directory"] === undefined ? undefined : String(args["target-directory"]);
  const noTargetDirectory = Boolean(args["no-target-directory"]);
  if (targetDirectory !== undefined && noTargetDirectory) {
    throw new UsageError("cannot combine --target-directory (-t) and --no-target-directory (-T)");
  }

  const options: CopyOptions = {
    recursive,
    dereference: dereference ?? (recursive ? "never" : "always"),
    preserve: { mode: preserveAll, ownership: preserveAll, timestamps: preserveAll },
    noClobber: Boolean(args["no-clobber"]),
    force: Boolean(args.force),
    reflink,
    verbose: Boolean(args.verbose),
    quiet: Boolean(args.quiet),
    stats: Boolean(args.stats),
    jobs,
    targetDirectory,
    noTargetDirectory,
  };
  return { kind: "copy", options, operands };
}
