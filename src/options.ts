// What a copy was asked to do, independent of how it was spelled.

/** cp's --reflink: clone where the filesystem can (auto), clone or fail (always), or make real copies (never). */
export type Reflink = "auto" | "always" | "never";
/** cp's --sparse: keep holes the source reports (auto), also make holes of zero blocks (always), or write every byte (never). */
export type Sparse = "auto" | "always" | "never";

/** When to follow symlinks found in SOURCE (cp's -P, -L, -H). */
export type Dereference = "never" | "always" | "command-line";

/** The attributes of cp's --preserve=LIST. */
export interface Preserve {
  /** Permission bits, and POSIX ACLs with them. */
  mode: boolean;
  ownership: boolean;
  timestamps: boolean;
  /** Hard links within the copy stay hard links. */
  links: boolean;
  /** Extended attributes other than ACLs and the SELinux label. */
  xattr: boolean;
  /** The SELinux label (security.selinux). */
  context: boolean;
}

export const PRESERVE_NONE: Preserve = { mode: false, ownership: false, timestamps: false, links: false, xattr: false, context: false };
export const PRESERVE_ALL: Preserve = { mode: true, ownership: true, timestamps: true, links: true, xattr: true, context: true };

/** cp's --update=WHEN: which existing destination files are replaced (-u: older); none-fail keeps them as none, each an error. */
export type Update = "all" | "none" | "none-fail" | "older";

/** -Z: new files get the label the kernel gives files made where they go; --context=CTX: CTX. */
export type Label = "default" | { context: string };

/** cp's --backup=CONTROL: how a replaced file is kept; existing is numbered where numbered backups exist, else simple. */
export type Backup = "none" | "simple" | "numbered" | "existing";

/** One --include or --exclude rule, in command-line order (first match wins), its pattern as bytes. */
export interface FilterRule {
  include: boolean;
  pattern: Uint8Array;
  /**
   * --filter=':- NAME' (rsync's dir-merge): not a pattern but the name of a
   * file read in each directory, whose lines are rules for that directory
   * and those below, checked here in the list: "-" makes every line an
   * exclude, "+" an include, "" each line's own `- `/`+ ` (an exclude without).
   */
  perDirectory?: "-" | "+" | "";
  /** `: DIR/NAME`: the directory above SOURCE where reading NAME starts, as rsync's parent scan (`: /.rsync-filter`, rsync's -F). */
  scanFrom?: Uint8Array;
  /** A rule read from a file above SOURCE (or DEST): the path from its directory down to there. */
  above?: Uint8Array;
  /** A rule read from a per-directory file: the directory (below SOURCE) it was read in, and the index of its --filter. */
  base?: Uint8Array;
  from?: number;
  /** Read from DEST's copy of the directory: it keeps what --delete would remove, as rsync's receiver reads its own files. */
  inDest?: boolean;
  /** rsync's "!": the rules before it are dropped. */
  clear?: boolean;
}

/** --exclude-from=FILE, --include-from=FILE as given: read, in its place among the rules, once the backend is loaded. */
export interface FilterFile {
  file: string;
  include: boolean;
}

export interface CopyOptions {
  recursive: boolean;
  dereference: Dereference;
  preserve: Preserve;
  /** Asked for by name (-p, --preserve=): failing to keep them is an error. With -a alone, as with cp, it is not. */
  require: Preserve;
  /** --no-preserve=mode: new files get the default 0666, directories 0777, less the umask. */
  defaultModes: boolean;
  noClobber: boolean;
  /** -u, --update=WHEN: older replaces only a destination older than SOURCE, none none (quietly), none-fail none (each an error); directories are always entered. */
  update: Update;
  force: boolean;
  reflink: Reflink;
  sparse: Sparse;
  inplace: boolean;
  failFast: boolean;
  verbose: boolean;
  quiet: boolean;
  stats: boolean;
  jobs: number;
  /** No -j (nor -i): `jobs` is the CPU count, and the backend may know a better default (workers()). */
  jobsByDefault: boolean;
  tuning: Tuning;
  targetDirectory: string | undefined;
  noTargetDirectory: boolean;
  /** -l: hard link each non-directory instead of copying it. */
  link: boolean;
  /** -s: make a symbolic link to each non-directory instead of copying it. */
  symbolicLink: boolean;
  /** --remove-destination: an existing DEST is removed and made anew, never written into; what stays of it (mode) does not. */
  removeDestination: boolean;
  /** -x: directories on another file system than their parent's are made, not entered. */
  oneFileSystem: boolean;
  /** --strip-trailing-slashes: each SOURCE copied into a directory loses its trailing slashes ("/" stays "/"). */
  stripTrailingSlashes: boolean;
  /** --attributes-only: files get the attributes kept, not the data (a new one is empty, an existing one keeps its own). */
  attributesOnly: boolean;
  /** --copy-contents: with -r too, fifos and devices are read like files, as without -r. */
  copyContents: boolean;
  /** --parents: each SOURCE goes to DIRECTORY/SOURCE, the directories between made with its directories' attributes. */
  parents: boolean;
  /** -i: ask before replacing each existing destination (the last of -i and -n wins). */
  interactive: boolean;
  /** -b, --backup: an existing destination file is renamed to its backup name as the copy replaces it. */
  backup: Backup;
  /** -S: what a simple backup's name ends in. */
  backupSuffix: string;
  /** --keep-directory-symlink: a symlink where a directory's copy goes is followed to a directory inside DEST. */
  keepDirectorySymlink: boolean;
  /** --debug: each file's copy method is printed after its -v line (which it implies). */
  debug: boolean;
  /** -Z, --context[=CTX]: the SELinux label copies get instead of their source's. */
  label: Label | undefined;
  /** How many --context=CTX were given: without SELinux, cp warns about each. */
  contextArguments: number;
  /** POSIXLY_CORRECT is set: --inplace then writes through a dangling symlink DEST, as cp does. */
  posixlyCorrect: boolean;
  /** --skip-unchanged: a destination file whose size and mtime match SOURCE's (rsync's quick check) is not copied again. */
  skipUnchanged: boolean;
  /**
   * --modify-window=SECONDS: mtimes this far apart count as equal for
   * --skip-unchanged (0: to the nanosecond, or to what the destination could
   * hold; -1, rsync's negative window: to the nanosecond exactly).
   */
  modifyWindow: number;
  /** --checksum: a destination file of SOURCE's size whose bytes are SOURCE's is not copied again, whatever its mtime. */
  checksum: boolean;
  /** --delete: entries of a copied directory's destination that SOURCE lacks are removed. */
  delete: boolean;
  /** --max-delete=N: with --delete, more than N removals are refused (none is made). */
  maxDelete: number | undefined;
  /** --include, --exclude and their -from files: entries below each SOURCE directory, rsync's rules. */
  filters: (FilterRule | FilterFile)[];
  /** --dry-run: everything is decided and reported, nothing written or removed. */
  dryRun: boolean;
  /** --verify: each file written is read back from the disk, before its rename, and compared with SOURCE. */
  verify: boolean;
  /** The progress bar on stderr: on a terminal outside CI (auto), always (--progress), never (--no-progress, -q). */
  progress: "auto" | "always" | "never";
  /** --json: NDJSON events on stdout instead of text. */
  json: boolean;
  /** --json-interval: least milliseconds between two progress events. */
  jsonInterval: number;
  /** --itemize: rsync-style change codes on stdout for each entry made, replaced or skipped. */
  itemize: boolean;
}

/** How much each worker keeps in flight. */
export interface Tuning {
  /** io_uring depth: operations submitted at once. */
  queueDepth: number;
  /** Small files read at once. */
  maxInFlight: number;
  /** Bytes of small-file data held at once. */
  bufferSize: number;
}

export const DEFAULT_TUNING: Tuning = { queueDepth: 128, maxInFlight: 128, bufferSize: 8 << 20 };

/**
 * What the workers need to know, fixed for a whole run: the options as
 * parsed, with what the run adds to them. Only these differ: noClobber also
 * holds for --update=none; label is the bytes to set.
 */
export interface EngineOptions extends Omit<CopyOptions, "label" | "tuning" | "filters">, Tuning {
  /** The rules, those of --exclude-from and --include-from files read into their places. */
  filters: FilterRule[];
  /** Without -r (or with --copy-contents) a fifo or a device is read like a file, as cp does; with -r it is made anew. */
  readSpecialFiles: boolean;
  /** --context=CTX: the security.selinux value every entry made gets (its source's is not kept). */
  label: Uint8Array | undefined;
  /** Process umask, for modes of new files when modes are not preserved. */
  umask: number;
  /** Distinguishes this run's temporary files from any other's. */
  runId: string;
  /** Workers besides each one: how many a large file's ranges are offered to. */
  helpers: number;
  /** Operands copied into one directory in turn (`a/. b/. D`): a dry run then remembers the directories it would have made. */
  mergesOperands?: boolean;
  /**
   * The operands' own names in DEST that look like blit's temporary files
   * (latin1 of their bytes): those are copies, not leftovers to remove,
   * whichever operand's cleanup of the target directory comes first.
   */
  tempNamedOperands?: string[];
  /**
   * SOURCEs of the operands copied as the target directory itself (`s/.`,
   * `link/`; latin1 of their bytes): a name like a temporary file's that
   * one of them holds is its copy there, not a leftover, for every
   * operand's cleanup of that directory.
   */
  sourcesCopiedAsTarget?: string[];
  /** Each entry made, replaced or skipped is handed over as an item (--itemize, --json with -v). */
  listItems: boolean;
}
