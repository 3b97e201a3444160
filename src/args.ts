// The command line: citty definitions (which also render --help), plus the
// GNU getopt behaviour citty lacks — rejecting unknown options, honouring the
// order of -P/-L/-H/-a, and long options that start with "no-".

import { availableParallelism } from "node:os";
import { parseArgs, type ArgsDef } from "citty";
import { quoteArgument, quoteValue } from "./quote.ts";
import { filterRule, noPattern, ruleFrom } from "./engine/filter.ts";
import { toBytes } from "./engine/paths.ts";
import { type Backup, type CopyOptions, DEFAULT_TUNING, type Dereference, type FilterFile, type FilterRule, type Label, type Preserve, PRESERVE_ALL, PRESERVE_NONE, type Reflink, type Sparse, type Update } from "./options.ts";

export const copyArgs = {
  archive: { type: "boolean", alias: ["a"], description: "Same as -dR --preserve=all: the tree with everything kept" },
  recursive: { type: "boolean", alias: ["r", "R"], description: "Copy directories recursively" },
  "no-dereference": { type: "boolean", alias: ["P"], description: "Never follow symlinks in SOURCE (default with -r)" },
  d: { type: "boolean", description: "Same as --no-dereference --preserve=links" },
  dereference: { type: "boolean", alias: ["L"], description: "Always follow symlinks in SOURCE" },
  "dereference-command-line": { type: "boolean", alias: ["H"], description: "Follow symlinks named on the command line only" },
  p: { type: "boolean", description: "Same as --preserve=mode,ownership,timestamps" },
  preserve: { type: "string", valueHint: "LIST", description: "Keep these attributes: mode (with ACLs), ownership, timestamps, links, context, xattr, all" },
  "no-preserve": { type: "string", valueHint: "LIST", description: "Do not keep these attributes" },
  backup: { type: "string", alias: ["b"], valueHint: "CONTROL", description: "Keep each replaced file under a backup name: existing (default, or $VERSION_CONTROL), numbered, simple, none" },
  suffix: { type: "string", alias: ["S"], valueHint: "SUFFIX", description: "Simple backups end in SUFFIX (default ~, or $SIMPLE_BACKUP_SUFFIX); implies -b" },
  "no-clobber": { type: "boolean", alias: ["n"], description: "Never overwrite an existing file" },
  update: { type: "string", alias: ["u"], valueHint: "WHEN", description: "Replace existing files: older (-u alone) only when SOURCE is newer, all (default), none (skip them), none-fail (skip them, each an error)" },
  interactive: { type: "boolean", alias: ["i"], description: "Ask before replacing an existing file (the last of -i and -n wins)" },
  force: { type: "boolean", alias: ["f"], description: "Replace existing files even if they are not writable" },
  reflink: { type: "string", valueHint: "WHEN", description: "Clone (share data blocks): auto (default) where the filesystem can, always or fail, never" },
  sparse: { type: "string", valueHint: "WHEN", description: "Holes: auto (default) keeps the source's, always also turns zero blocks into holes, never fills them" },
  inplace: { type: "boolean", description: "Write files directly under their final names (no temporary file and rename)" },
  "fail-fast": { type: "boolean", description: "Stop at the first error instead of copying the rest" },
  "target-directory": { type: "string", alias: ["t"], valueHint: "DIR", description: "Copy every SOURCE into DIR" },
  "no-target-directory": { type: "boolean", alias: ["T"], description: "Treat DEST as a normal file, even if it is a directory" },
  link: { type: "boolean", alias: ["l"], description: "Hard link files instead of copying them (directories are made)" },
  "symbolic-link": { type: "boolean", alias: ["s"], description: "Make symbolic links instead of copying (a relative SOURCE only into the current directory)" },
  "remove-destination": { type: "boolean", description: "Remove each existing destination file before copying (a device, fifo or symlink DEST is replaced, not written into)" },
  "one-file-system": { type: "boolean", alias: ["x"], description: "Stay on this file system: directories on others are made empty, not entered" },
  "strip-trailing-slashes": { type: "boolean", description: "Remove trailing slashes from each SOURCE" },
  "attributes-only": { type: "boolean", description: "Copy no file data, only the attributes kept: a new file is made empty, an existing one keeps its data" },
  "copy-contents": { type: "boolean", description: "With -r, read fifos and devices like files (waiting for a fifo's writer), not made anew" },
  "keep-directory-symlink": { type: "boolean", description: "Copy a directory into a symlink to a directory found where it goes (one inside DEST only)" },
  parents: { type: "boolean", description: "Copy each SOURCE to its full name under DIRECTORY (a/b/f into D is D/a/b/f), making the directories" },
  "skip-unchanged": { type: "boolean", description: "Leave a destination file whose size and mtime are SOURCE's (rsync's quick check); -a still sets its attributes" },
  "modify-window": { type: "string", valueHint: "SECONDS", description: "With -u, --skip-unchanged or --checksum, mtimes this many seconds apart count as equal (default 0: to the nanosecond, or to what DEST can hold; a negative one, as rsync's: to the nanosecond exactly)" },
  checksum: { type: "boolean", description: "Leave a destination file whose contents are SOURCE's (compared byte for byte), whatever its mtime" },
  delete: { type: "boolean", description: "Remove what a copied directory's destination holds that SOURCE does not (never through a symlink)" },
  "max-delete": { type: "string", valueHint: "N", description: "With --delete, refuse to remove more than N entries: none is removed, exit status 25 (a negative N is 0, as rsync's)" },
  exclude: { type: "string", valueHint: "PATTERN", description: "Skip entries below SOURCE matching PATTERN (rsync's rules; the first matching rule wins)" },
  include: { type: "string", valueHint: "PATTERN", description: "Copy entries matching PATTERN even if a later --exclude matches them" },
  "exclude-from": { type: "string", valueHint: "FILE", description: "--exclude each pattern in FILE, one a line (- for stdin; # and ; start comments)" },
  "include-from": { type: "string", valueHint: "FILE", description: "--include each pattern in FILE, one a line" },
  filter: { type: "string", valueHint: "RULE", description: "An rsync filter rule: '- PATTERN', '+ PATTERN' (or 'exclude PATTERN', 'include PATTERN'), '!' (clear), or ':- FILE', ':+ FILE', ': FILE' (rules read from FILE in each directory, e.g. .gitignore; ': /.rsync-filter' also above SOURCE, as rsync -F)" },
  // Not a one-letter key: citty would take "F" for -f (--force) too.
  "rsync-filter": { type: "boolean", alias: ["F"], description: "rsync's -F: --filter=': /.rsync-filter' (each directory's .rsync-filter, and those above SOURCE); -FF also leaves those files out" },
  "dry-run": { type: "boolean", description: "Decide and report everything (-v, --stats), but write and remove nothing" },
  verify: { type: "boolean", description: "Read each file written back from the disk and compare it with SOURCE before it takes its name" },
  jobs: { type: "string", alias: ["j"], valueHint: "N", description: "Copy with N workers at most (default: number of CPUs, on Apple silicon of performance cores, and for a tree up to twice that while they wait on the disk)" },
  "queue-depth": { type: "string", valueHint: "N", description: "io_uring operations each worker keeps in flight (default 128)" },
  "max-in-flight": { type: "string", valueHint: "N", description: "Small files each worker reads at once (default 128)" },
  "buffer-size": { type: "string", valueHint: "SIZE", description: "Small-file data each worker holds at once, e.g. 8M (default)" },
  verbose: { type: "boolean", alias: ["v"], description: "Print each file copied: 'src' -> 'dest'" },
  debug: { type: "boolean", description: "Print how each file's data was copied (cp's format, and blit's method); implies -v" },
  context: { type: "string", alias: ["Z"], valueHint: "CTX", description: "SELinux: label each copy with CTX, or (-Z) as new files are labelled where they go, not as its source" },
  quiet: { type: "boolean", alias: ["q"], description: "Print errors only" },
  stats: { type: "boolean", description: "Print a summary when done: files, bytes, methods used" },
  progress: { type: "boolean", description: "Show a progress bar and a summary line on stderr (default on a terminal, outside CI)" },
  "no-progress": { type: "boolean", description: "Show no progress bar" },
  json: { type: "boolean", description: "Print NDJSON events on stdout (schema: schema/events.v1.json); -v adds one per entry" },
  "json-interval": { type: "string", valueHint: "MS", description: "Least milliseconds between two --json progress events (default 1000)" },
  itemize: { type: "boolean", description: "Print rsync's change codes for each entry made, replaced or skipped (>f+++++++++ name)" },
  version: { type: "boolean", description: "Print the version and exit" },
  help: { type: "boolean", alias: ["h"], description: "Show this help and exit" },
} as const satisfies ArgsDef;

export class UsageError extends Error {
  /** tryHelp false: cp says it without pointing to --help (its die(), not its usage()). */
  constructor(message: string, readonly tryHelp = true) {
    super(message);
  }
}

type OptionName = keyof typeof copyArgs;

interface OptionSpec {
  name: OptionName;
  takesValue: boolean;
  /** A value may be left out: --reflink alone means always, --preserve alone mode,ownership,timestamps, --update (-u) alone older, --backup (-b) alone $VERSION_CONTROL's, --context (-Z) alone the default label. */
  optionalValue?: boolean;
}

/** Options whose value may be left out (--reflink, or --reflink=WHEN); their one-letter forms take none. */
export const OPTIONAL_VALUES: ReadonlySet<string> = new Set(["reflink", "preserve", "update", "backup", "context"]);

const longOptions = new Map<string, OptionSpec>();
const shortOptions = new Map<string, OptionSpec>();
for (const [name, def] of Object.entries(copyArgs)) {
  const spec: OptionSpec = {
    name: name as OptionName,
    takesValue: def.type === "string",
    optionalValue: OPTIONAL_VALUES.has(name),
  };
  if (name.length === 1) shortOptions.set(name, spec);
  else longOptions.set(name, spec);
  for (const alias of "alias" in def ? def.alias : []) shortOptions.set(alias, spec);
}
// cp's old name for --parents, which cp 9.x still takes without listing it.
longOptions.set("path", longOptions.get("parents")!);

/** One option as it appeared, in order: some of cp's options override earlier ones. */
interface Seen {
  name: OptionName;
  value: string | undefined;
}

/**
 * How a boolean option is handed to citty: by its one-letter form where it
 * has one, since citty reads any "--no-x" as "x is false".
 */
function flagFor(spec: OptionSpec): string {
  const def = copyArgs[spec.name];
  const letter = spec.name.length === 1 ? spec.name : "alias" in def ? def.alias[0] : undefined;
  return letter ? `-${letter}` : `--${spec.name}`;
}

/** blit's options that cp does not have: a prefix cp takes for one of its own means that one here too. */
const BLIT_ONLY = new Set([
  "inplace", "fail-fast", "jobs", "queue-depth", "max-in-flight", "buffer-size", "quiet", "stats", "dereference-command-line",
  "skip-unchanged", "modify-window", "checksum", "delete", "max-delete", "exclude", "include", "exclude-from", "include-from", "filter", "rsync-filter", "dry-run", "verify",
  "progress", "no-progress", "json", "json-interval", "itemize",
]);

/** cp's long options in the order of its table (coreutils' cp.c long_opts), which getopt_long names them in when a prefix is ambiguous. */
const CP_ORDER = [
  "archive", "attributes-only", "backup", "copy-contents", "debug", "dereference", "force", "interactive", "link", "no-clobber",
  "no-dereference", "no-preserve", "no-target-directory", "one-file-system", "parents", "path", "preserve", "recursive",
  "remove-destination", "sparse", "reflink", "strip-trailing-slashes", "suffix", "symbolic-link", "target-directory", "update",
  "verbose", "keep-directory-symlink", "context", "help", "version",
];

/** cp's options first, in cp's order; blit's own after them, by name. */
function cpOrder(a: string, b: string): number {
  const [i, j] = [CP_ORDER.indexOf(a), CP_ORDER.indexOf(b)];
  if (i >= 0 && j >= 0) return i - j;
  if (i >= 0 || j >= 0) return i >= 0 ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A long option by its name or, as getopt_long allows, by a prefix that
 * only one option has (`--recur`), or only one of cp's (`--b` is --backup,
 * not --buffer-size, as in a script written for cp); `arg` is the whole
 * argument, for messages. `spelled`: the name getopt_long would give it
 * in a message (`--path`, not `--parents`).
 */
function longOption(name: string, arg: string): { spec: OptionSpec; spelled: string } {
  const exact = longOptions.get(name);
  if (exact) return { spec: exact, spelled: name };
  // Two names of one option (--parents, --path) are one candidate, as getopt_long counts them.
  const matching = name === "" ? [] : [...longOptions].filter(([option]) => option.startsWith(name)).map(([, spec]) => spec.name as string);
  const candidates = [...new Set(matching)].sort(cpOrder);
  const cps = candidates.filter((option) => !BLIT_ONLY.has(option));
  const only = candidates.length === 1 ? candidates[0] : cps.length === 1 ? cps[0] : undefined;
  if (only !== undefined) {
    const spec = longOptions.get(only)!;
    // The first name in the table that the prefix reaches and that is this option.
    const spelled = [...longOptions].find(([option, s]) => s === spec && option.startsWith(name))![0];
    return { spec, spelled };
  }
  if (candidates.length > 1) {
    // A prefix several of cp's options share is refused in cp's words, naming those.
    const named = cps.length > 1 ? cps : candidates;
    throw new UsageError(`option ${quoteArgument(arg)} is ambiguous; possibilities: ${named.map((c) => `'--${c}'`).join(" ")}`);
  }
  throw new UsageError(`unrecognized option ${quoteArgument(arg)}`);
}

/**
 * One of `allowed`, named whole or, as cp's argmatch allows, by a prefix
 * that only one of them has (`--sparse=al`). `allowed` is in cp's order,
 * the order its message lists them in.
 */
function argument<T extends string>(value: string, option: string, allowed: readonly T[]): T {
  const exact = allowed.find((a) => a === value);
  if (exact !== undefined) return exact;
  const candidates = allowed.filter((a) => a.startsWith(value));
  if (candidates.length === 1) return candidates[0]!;
  const problem = candidates.length > 1 ? "ambiguous" : "invalid";
  const listed = allowed.map((a) => `\n  - '${a}'`).join("");
  throw new UsageError(`${problem} argument ${quoteValue(value)} for '--${option}'\nValid arguments are:${listed}`);
}

/** cp's backup types, as argmatch lists them: synonyms on one line. */
const BACKUP_TYPES: readonly (readonly [string, Backup])[] = [
  ["none", "none"], ["off", "none"],
  ["simple", "simple"], ["never", "simple"],
  ["existing", "existing"], ["nil", "existing"],
  ["numbered", "numbered"], ["t", "numbered"],
];

/**
 * gnulib's xget_version: CONTROL named whole or by a prefix whose matches
 * all mean one type; empty (or unset) is existing. `context` is what cp
 * names in its message: 'backup type', or '$VERSION_CONTROL' when it came from there.
 */
function backupType(value: string | undefined, context: string): Backup {
  if (value === undefined || value === "") return "existing";
  const exact = BACKUP_TYPES.find(([name]) => name === value);
  if (exact) return exact[1];
  const matches = new Set(BACKUP_TYPES.filter(([name]) => name.startsWith(value)).map(([, type]) => type));
  if (matches.size === 1) return [...matches][0]!;
  const problem = matches.size > 1 ? "ambiguous" : "invalid";
  const listed: string[] = [];
  for (let i = 0; i < BACKUP_TYPES.length; i += 2) listed.push(`\n  - '${BACKUP_TYPES[i]![0]}', '${BACKUP_TYPES[i + 1]![0]}'`);
  throw new UsageError(`${problem} argument ${quoteValue(value)} for '${context}'\nValid arguments are:${listed.join("")}`);
}

/**
 * gnulib's set_simple_backup_suffix: -S, else $SIMPLE_BACKUP_SUFFIX, used
 * when it is not empty and a name's last component (no slash before a name); else "~".
 */
function backupSuffix(given: string | undefined): string {
  const s = given ?? process.env.SIMPLE_BACKUP_SUFFIX;
  return s !== undefined && s !== "" && !s.startsWith("/") && !/\/[^/]/.test(s) ? s : "~";
}

/**
 * The options one at a time, checked against the table as getopt meets them
 * (an unknown one throws UsageError when it is reached, not before), each
 * also added to `rewritten` for citty, with the operands.
 */
function* scan(argv: string[], rewritten: string[]): Generator<Seen> {
  const take = (spec: OptionSpec, value: string | undefined): Seen => {
    // citty gets values in one form it cannot misread: --name=value.
    rewritten.push(spec.takesValue ? `--${spec.name}=${value ?? ""}` : flagFor(spec));
    return { name: spec.name, value };
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      rewritten.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const { spec, spelled } = longOption(arg.slice(2, eq < 0 ? undefined : eq), arg);
      const name = spec.name;
      if (!spec.takesValue && eq >= 0) throw new UsageError(`option '--${spelled}' doesn't allow an argument`);
      let value = eq >= 0 ? arg.slice(eq + 1) : undefined;
      if (spec.takesValue && value === undefined && !spec.optionalValue) {
        if (i + 1 >= argv.length) throw new UsageError(`option '--${spelled}' requires an argument`);
        value = argv[++i]!;
      }
      yield take(spec, value);
      continue;
    }
    if (arg.length > 1 && arg.startsWith("-")) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = shortOptions.get(letter);
        if (!spec) throw new UsageError(`invalid option -- ${quoteArgument(letter)}`);
        // -u, -b: a value only in their long forms (--update=none, --backup=t), as cp.
        if (spec.takesValue && !spec.optionalValue) {
          const inline = arg.slice(j + 1);
          if (inline === "" && i + 1 >= argv.length) throw new UsageError(`option requires an argument -- ${quoteArgument(letter)}`);
          yield take(spec, inline !== "" ? inline : argv[++i]!);
          break;
        }
        yield take(spec, undefined);
      }
      continue;
    }
    // getopt under POSIXLY_CORRECT, as cp: options end at the first operand.
    if (process.env.POSIXLY_CORRECT !== undefined) {
      rewritten.push("--", ...argv.slice(i));
      break;
    }
    rewritten.push(arg);
  }
}

export type ParsedCommandLine =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "copy"; options: CopyOptions; operands: string[] };

const PRESERVE_DEFAULT = "mode,ownership,timestamps";

const ATTRIBUTES = ["mode", "timestamps", "ownership", "links", "context", "xattr", "all"] as const;

/** The attributes a LIST names; `all`: it said "all", `named`: those it names one by one. */
function attributeList(value: string, option: string): (keyof Preserve)[] & { all: boolean; named: Set<keyof Preserve> } {
  const out = Object.assign([] as (keyof Preserve)[], { all: false, named: new Set<keyof Preserve>() });
  for (const item of value.split(",")) {
    const attribute = argument(item, option, ATTRIBUTES);
    if (attribute === "all") {
      out.all = true;
      out.push(...(Object.keys(PRESERVE_ALL) as (keyof Preserve)[]));
    } else {
      out.named.add(attribute);
      out.push(attribute);
    }
  }
  return out;
}

const INT_MAX = 2 ** 31 - 1;

/** A whole number from min to max; with `negativeToo`, -max - 1 to -1 as well, as rsync's C ints (the caller says what they mean). */
function count(text: string, option: string, min: number, max: number, negativeToo = false): number {
  const n = /^\d+$/.test(text) || (negativeToo && /^-\d+$/.test(text)) ? Number(text) : Number.NaN;
  const lowest = negativeToo ? -max - 1 : min;
  if (!Number.isInteger(n) || n < lowest || n > max || (n >= 0 && n < min)) {
    throw new UsageError(`invalid value ${quoteValue(text)} for '--${option}' (expected ${negativeToo ? `${-max - 1} to ${max}` : `${min} to ${max}`})`);
  }
  return n;
}

/** 4096, 64K, 8M, 1G (binary units). */
function size(text: string, option: string): number {
  const match = /^(\d+)([KMG]?)i?B?$/i.exec(text);
  const units: Record<string, number> = { "": 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 };
  const n = match ? Number(match[1]) * units[match[2]!.toUpperCase()]! : Number.NaN;
  if (!Number.isFinite(n) || n < 4096 || n > 2 ** 31) throw new UsageError(`invalid size ${quoteValue(text)} for '--${option}' (expected 4K to 2G)`);
  return n;
}

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  const rewritten: string[] = [];
  // Options whose last occurrence wins, or that add up, in command-line order.
  let dereference: Dereference | undefined;
  let recursive = false;
  let reflink: Reflink = "auto";
  let sparse: Sparse = "auto";
  let update: Update = "all";
  // -b, --backup[=CONTROL], -S: as cp, -S alone makes backups too.
  // -i and -n: the last one wins, as cp.
  let noClobber = false;
  let interactive = false;
  let makeBackups = false;
  let backupControl: string | undefined;
  let suffix: string | undefined;
  let label: Label | undefined;
  let contextArguments = 0;
  const filters: (FilterRule | FilterFile)[] = [];
  let rsyncFilterFlags = 0;
  let progress: CopyOptions["progress"] = "auto";
  const preserve: Preserve = { ...PRESERVE_NONE };
  const require: Preserve = { ...PRESERVE_NONE };
  let defaultModes = false;
  let targetDirectories = 0;
  let jobs: number | undefined;
  const tuning = { ...DEFAULT_TUNING };
  let modifyWindow = 0;
  let maxDelete: number | undefined;
  let jsonInterval = 1000;
  const keep = (attrs: (keyof Preserve)[], on: boolean, required: boolean) => {
    for (const attr of attrs) {
      preserve[attr] = on;
      require[attr] = on && required;
    }
  };
  // As cp's getopt loop: each option is taken in turn, its value checked as
  // it is met, and the first of --help and --version says its piece with what
  // follows it unread.
  for (const { name, value } of scan(argv, rewritten)) {
    switch (name) {
      case "help":
      case "version":
        return { kind: name };
      case "target-directory":
        if (++targetDirectories > 1) throw new UsageError("multiple target directories specified", false);
        break;
      case "jobs": {
        const text = value ?? "";
        jobs = /^\d+$/.test(text) ? Number(text) : Number.NaN;
        if (!Number.isInteger(jobs) || jobs < 1 || jobs > 1024) throw new UsageError(`invalid number of jobs: ${quoteValue(text)} (expected 1 to 1024)`);
        break;
      }
      case "queue-depth":
        tuning.queueDepth = count(value ?? "", name, 2, 4096);
        break;
      case "max-in-flight":
        tuning.maxInFlight = count(value ?? "", name, 1, 65536);
        break;
      case "buffer-size":
        tuning.bufferSize = size(value ?? "", name);
        break;
      // rsync takes a negative window for "to the nanosecond exactly" (-1, as
      // the options hold it), and a negative --max-delete (its old clients'
      // spelling of 0) for "delete nothing": scripts written for rsync work
      // unchanged. Both are C ints there.
      case "modify-window":
        modifyWindow = Math.max(-1, count(value ?? "", name, 0, INT_MAX, true));
        break;
      case "max-delete":
        maxDelete = Math.max(0, count(value ?? "", name, 0, INT_MAX, true));
        break;
      case "json-interval":
        jsonInterval = count(value ?? "", name, 10, 3_600_000);
        break;
      case "archive":
        recursive = true;
        dereference = "never";
        keep(Object.keys(PRESERVE_ALL) as (keyof Preserve)[], true, false);
        break;
      case "recursive":
        recursive = true;
        break;
      case "no-dereference":
        dereference = "never";
        break;
      case "d":
        dereference = "never";
        keep(["links"], true, false);
        break;
      case "dereference":
        dereference = "always";
        break;
      case "dereference-command-line":
        dereference = "command-line";
        break;
      case "p":
        keep(attributeList(PRESERVE_DEFAULT, "preserve"), true, true);
        break;
      case "preserve": {
        const attrs = attributeList(value ?? PRESERVE_DEFAULT, "preserve");
        keep(attrs, true, true);
        // As cp: "all" keeps xattrs and the SELinux label where it can, quietly; named, they are required.
        if (attrs.all) for (const attr of ["xattr", "context"] as const) require[attr] = attrs.named.has(attr);
        if (attrs.includes("mode")) defaultModes = false;
        break;
      }
      case "no-preserve": {
        const attrs = attributeList(value ?? "", "no-preserve");
        keep(attrs, false, false);
        if (attrs.includes("mode")) defaultModes = true;
        break;
      }
      case "reflink":
        reflink = value === undefined ? "always" : argument(value, "reflink", ["auto", "always", "never"] as const);
        break;
      case "sparse":
        sparse = argument(value ?? "", "sparse", ["never", "auto", "always"] as const);
        break;
      case "update":
        update = value === undefined ? "older" : argument(value, "update", ["all", "none", "none-fail", "older"] as const);
        break;
      case "no-clobber":
        noClobber = true;
        interactive = false;
        break;
      case "interactive":
        interactive = true;
        noClobber = false;
        break;
      case "backup":
        makeBackups = true;
        if (value !== undefined) backupControl = value;
        break;
      case "suffix":
        makeBackups = true;
        suffix = value;
        break;
      case "context":
        label = value === undefined ? "default" : { context: value };
        if (value !== undefined) contextArguments++;
        break;
      case "exclude":
      case "include":
      {
        // Empty, it adds no rule, as rsync ignores it (a script's empty variable); '- ' alone is refused, as rsync refuses it.
        if (!value) break;
        const rule = ruleFrom(toBytes(value), name === "include");
        if (!rule.clear && rule.pattern.length === 0) throw new UsageError(noPattern(toBytes(value)));
        filters.push(rule);
        break;
      }
      case "rsync-filter":
        // As rsync's: the first -F reads the files, the second leaves them out; more add nothing.
        rsyncFilterFlags++;
        if (rsyncFilterFlags <= 2) filters.push(filterRule(toBytes(rsyncFilterFlags === 1 ? ": /.rsync-filter" : "- .rsync-filter")) as FilterRule);
        break;
      case "filter": {
        if (!value) break;
        const rule = filterRule(toBytes(value));
        if (typeof rule === "string") throw new UsageError(rule);
        filters.push(rule);
        break;
      }
      case "exclude-from":
      case "include-from":
      {
        // No name reads no file, as rsync reads none.
        if (value) filters.push({ file: value, include: name === "include-from" });
        break;
      }
      case "progress":
        progress = "always";
        break;
      case "no-progress":
        progress = "never";
        break;
    }
  }

  // citty adds camelCase aliases to the definitions it is given: give it a copy.
  const args = parseArgs(rewritten, structuredClone(copyArgs) as typeof copyArgs);
  const operands = args._ as string[];
  const targetDirectory = args["target-directory"] === undefined ? undefined : String(args["target-directory"]);
  const noTargetDirectory = Boolean(args["no-target-directory"]);
  const dryRun = Boolean(args["dry-run"]);

  // What cp checks after its getopt loop, in cp's order.
  const link = Boolean(args.link);
  const symbolicLink = Boolean(args["symbolic-link"]);
  if (link && symbolicLink) throw new UsageError("cannot make both hard and symbolic links");
  // As cp: -b with -n is refused before CONTROL is looked at.
  if (makeBackups && noClobber) throw new UsageError("options --backup and --no-clobber are mutually exclusive");
  // As cp 9.5: -n makes any --update none, and a backup of what is never replaced is refused.
  if (noClobber && update === "none-fail") update = "none";
  if (makeBackups && (update === "none-fail" || update === "none")) throw new UsageError("--backup is mutually exclusive with -n or --update=none-fail");
  // As cp: a clone shares SOURCE's blocks as they are, holes and all.
  if (reflink === "always" && sparse !== "auto") throw new UsageError("--reflink can be used only with --sparse=auto");
  const backup: Backup = !makeBackups ? "none"
    : backupControl ? backupType(backupControl, "backup type")
    // As gnulib's xget_version: --backup= empty means what --backup alone does.
    : backupType(process.env.VERSION_CONTROL, "$VERSION_CONTROL");
  // As cp's do_copy: no operand is said before -t with -T.
  if (targetDirectory !== undefined && noTargetDirectory) {
    if (operands.length === 0) throw new UsageError("missing file operand");
    throw new UsageError("cannot combine --target-directory (-t) and --no-target-directory (-T)", false);
  }
  // --parents makes its directories before the copy starts, outside the engine that a dry run stops.
  if (dryRun && args.parents) throw new UsageError("cannot combine --dry-run and --parents");
  const options: CopyOptions = {
    recursive,
    // As cp: -r alone copies symlinks as they are, -r with -l links what they name.
    dereference: dereference ?? (recursive && !link ? "never" : "always"),
    preserve,
    require,
    defaultModes,
    noClobber,
    interactive,
    update,
    force: Boolean(args.force),
    reflink,
    sparse,
    inplace: Boolean(args.inplace),
    failFast: Boolean(args["fail-fast"]),
    // As cp: --debug implies -v. -q wins over -v, --itemize, --stats and
    // the bar, whatever their order, as rsync's -q silences them all.
    verbose: (Boolean(args.verbose) && !args.quiet) || Boolean(args.debug),
    quiet: Boolean(args.quiet),
    stats: Boolean(args.stats) && !args.quiet,
    // -i: one copier, so that questions and their answers come one at a time.
    jobs: interactive ? 1 : (jobs ?? availableParallelism()),
    jobsByDefault: !interactive && jobs === undefined,
    tuning,
    targetDirectory,
    noTargetDirectory,
    link,
    symbolicLink,
    removeDestination: Boolean(args["remove-destination"]),
    oneFileSystem: Boolean(args["one-file-system"]),
    stripTrailingSlashes: Boolean(args["strip-trailing-slashes"]),
    parents: Boolean(args.parents),
    attributesOnly: Boolean(args["attributes-only"]),
    copyContents: Boolean(args["copy-contents"]),
    backup,
    backupSuffix: backupSuffix(suffix),
    keepDirectorySymlink: Boolean(args["keep-directory-symlink"]),
    debug: Boolean(args.debug),
    label,
    contextArguments,
    posixlyCorrect: process.env.POSIXLY_CORRECT !== undefined,
    skipUnchanged: Boolean(args["skip-unchanged"]),
    modifyWindow,
    checksum: Boolean(args.checksum),
    delete: Boolean(args.delete),
    maxDelete,
    filters,
    dryRun,
    verify: Boolean(args.verify),
    progress: args.quiet ? "never" : progress,
    json: Boolean(args.json),
    jsonInterval,
    itemize: Boolean(args.itemize) && !args.quiet,
  };
  return { kind: "copy", options, operands };
}
