// The contract every backend (one per OS shim, plus the portable fallback)
// implements with the same signatures. The engine in src/ talks only to this.
//
// Conventions, as in the C shims: results that can fail are numbers, where a
// negative value is a negated errno (compare with `backend.errno`), or a
// value-or-number union. Names are raw bytes without a terminating NUL.
// A "dir" argument is a directory handle returned by openDir, or `cwd`. The
// calls on an open file (fstat, chownFd, chmodFd, setTimesFd, the xattr calls
// without At) take a directory handle as well.

export type Name = Uint8Array;

/** st_mode type bits, POSIX values; backends on other systems map to these. */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** A mounted filesystem, or part of one (a bind mount). */
export interface Mount {
  /** The OS's id for it, as mountOf gives it. */
  id: number;
  /** Where it is mounted: an absolute path, as realPath gives one. */
  point: Name;
  /** The directory of its filesystem that shows there ("/" for the whole of it; a bind mount's own directory). */
  root: Name;
  /** Its filesystem, as Stat.dev gives it. */
  dev: number;
}

export interface Stat {
  /** Type and permission bits (st_mode). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Allocated 512-byte blocks. */
  blocks: number;
  nlink: number;
  ino: bigint;
  dev: number;
  rdevMajor: number;
  rdevMinor: number;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  /** Creation time, where the OS keeps one (macOS, Windows; Linux statx's btime is not settable, so not given). */
  birthtimeSec?: number;
  birthtimeNsec?: number;
  /**
   * The OS's own attribute word, copied as it is where the backend has the
   * `attributes` capability: Windows FILE_ATTRIBUTE_* (read-only, hidden,
   * system, archive), macOS st_flags.
   */
  attributes?: number;
  /** A symlink the OS marks as naming a directory (Windows): its copy must be made so too. */
  linkToDir?: boolean;
  /**
   * How finely the entry's filesystem keeps a modification time, in ns,
   * where the backend knows (Windows: 100 ns on NTFS, 10 ms on exFAT, 2 s
   * on FAT; Linux and macOS: FAT's and exFAT's only): a time set there
   * lands within this of the one asked for, so times closer than it are
   * one (robocopy's /FFT). Absent: as the time is set.
   */
  timeStepNs?: number;
}

export interface Times {
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  /** Set as well where the OS can (Windows, macOS); ignored elsewhere. */
  birthtimeSec?: number;
  birthtimeNsec?: number;
}

export interface DirEntry {
  name: Name;
  /**
   * The entry's stat (not following a symlink), where the OS lists names with
   * their metadata in one call (getattrlistbulk, NtQueryDirectoryFile): the
   * engine then does not stat it again.
   */
  stat?: Stat;
}

/** A small regular file read whole: its open descriptor and its bytes. */
export interface ReadFile {
  fd: number;
  data: Uint8Array;
  /** How it was read: in a batch (io_uring), or with plain reads. */
  method: "batched" | "read_write";
}

/** errno values the engine tests for, with this OS's numbers. */
export interface ErrnoTable {
  EPERM: number;
  ENOENT: number;
  EIO: number;
  ENXIO: number;
  EBADF: number;
  EAGAIN: number;
  ENOMEM: number;
  EACCES: number;
  EEXIST: number;
  EXDEV: number;
  ENOTDIR: number;
  EISDIR: number;
  EINVAL: number;
  ETXTBSY: number;
  ENOSPC: number;
  EMLINK: number;
  ERANGE: number;
  ENOSYS: number;
  ELOOP: number;
  ENOTEMPTY: number;
  ENODATA: number;
  EOPNOTSUPP: number;
  ENOTSUP: number;
  ENOTTY: number;
  EDQUOT: number;
  ECANCELED: number;
  EROFS: number;
  ENAMETOOLONG: number;
  /** Out of descriptors: the process's limit (EMFILE) or the system's (ENFILE). */
  EMFILE: number;
  ENFILE: number;
  /** A mount point, which rename cannot replace or move (a file bind-mounted onto another: a container's /etc/hosts). */
  EBUSY: number;
}

/**
 * How one file's bytes were copied, in the engine's words: a clone (blocks
 * shared), the kernel's own copy, batched reads and writes, or plain ones.
 * A backend names each for people (`methodLabels`: FICLONE, copy_file_range, io_uring).
 */
export type CopyMethod = "clone" | "kernel" | "batched" | "read_write";
export const COPY_METHODS: readonly CopyMethod[] = ["clone", "kernel", "batched", "read_write"];

/** A byte range copied: bytes copied (eof: the source ended first), or a failure. */
export type RangeResult =
  | { ok: true; bytes: number; eof: boolean }
  | { ok: false; stage: "read" | "write" | "copy" | "cancelled"; errno: number };

/** Cloning: the destination shares the source's blocks (Linux FICLONE; Windows ReFS block cloning). */
export interface CloneMechanism {
  /** All of src into the open, empty dst: 0, or -errno. */
  into(src: number, dst: number): number;
}

/**
 * Cloning into a new name: the filesystem makes a file sharing the source's
 * blocks where none was (macOS fclonefileat, which cannot clone into an open
 * file). The engine tries it for the temporary name before creating one.
 */
export interface CloneAtMechanism {
  /**
   * A new file dstName in dstDir, a clone of src: a descriptor of it (for
   * its metadata; it may be open for reading only), or -errno with nothing
   * left under the name.
   */
  file(src: number, dstDir: number, dstName: Name): number;
}

/** The kernel copies without the bytes passing through this process (copy_file_range). */
export interface KernelCopyMechanism {
  /** Up to length bytes from srcPos to dstPos: bytes copied, 0 at EOF, or -errno. */
  range(src: number, srcPos: number, dst: number, dstPos: number, length: number): number;
}

/** The filesystem says where a file's data and holes are (SEEK_DATA, SEEK_HOLE). */
export interface HolesMechanism {
  /** The first offset of data at or after pos; -ENXIO when only a hole (or nothing) follows. */
  nextData(fd: number, pos: number): number;
  /** The first offset of a hole at or after pos (the end counts as one). */
  nextHole(fd: number, pos: number): number;
  /** Where the file ends now. */
  end(fd: number): number;
  /**
   * Make dst keep the holes it is not written in, as src does (Windows:
   * FSCTL_SET_SPARSE). Absent where every file may have holes. -EOPNOTSUPP
   * where dst's volume has no sparse files: its gaps still read as zeros.
   */
  sparseLike?(src: number, dst: number): number;
  /**
   * Frees [offset, offset + length) of fd, keeping its size: 0 or -errno.
   * Absent where a range not written holds nothing the filesystem
   * allocated on its own.
   */
  punch?(fd: number, offset: number, length: number): number;
}

/** Waiting for a fifo or a device opened without blocking. */
export interface StreamsMechanism {
  /** 1 once fd can be read (or written, `write`), 0 after ms without, or -errno. */
  wait(fd: number, write: boolean, ms: number): number;
}

/**
 * What a backend counts for --stats (native calls, io_uring submissions...),
 * named by the backend: the engine adds them up across workers and prints
 * them, never reads one by name.
 */
export type BackendCounters = Record<string, number>;

// Capabilities: what not every OS has. A backend without one leaves it out
// (undefined), and the engine asks for it once and does without.

/** POSIX owners: uid and gid (not Windows). */
export interface OwnersCapability {
  chownFd(fd: number, uid: number, gid: number): number;
  chownAt(dir: number, name: Name, uid: number, gid: number): number;
}

/** POSIX permission bits (not Windows, whose read-only bit is an attribute). */
export interface ModesCapability {
  chmodFd(fd: number, mode: number): number;
  /** For entries without a descriptor (fifos, devices); never used on symlinks. */
  chmodAt(dir: number, name: Name, mode: number): number;
  /**
   * The permission bits an entry made in the open directory dir may get,
   * where the directory decides them rather than the umask (Linux: its
   * default ACL, which a new entry also inherits as its own ACL), or
   * undefined where the umask decides.
   */
  inheritedPermissions?(dir: number): number | undefined;
}

/** Fifos, sockets and device nodes. */
export interface SpecialFilesCapability {
  makeNode(dir: number, name: Name, mode: number, rdevMajor: number, rdevMinor: number): number;
}

/**
 * The parts of a security descriptor (Windows: owner and group; the DACL,
 * and the SACL where the process may read it), which a backend whose OS
 * keeps them apart lists among the xattrs under these names, as Linux
 * keeps its ACLs in system.posix_acl_*: kept with ownership and with mode,
 * compared and set as any xattr. No stream or xattr can be named so (':'
 * separates a Windows stream's name; Linux xattrs start with a namespace).
 */
export const SECURITY_OWNER_XATTR = "security:owner";
export const SECURITY_ACLS_XATTR = "security:acls";

/** Extended attributes (and the ACLs and labels kept in them: system.posix_acl_*, security.selinux). */
export interface XattrsCapability {
  /** Names (bytes, without NUL) of an open file or directory. */
  list(fd: number): Name[] | number;
  /** ...of an entry that has no descriptor (symlink, device), not following it. */
  listAt(dir: number, name: Name): Name[] | number;
  /**
   * An attribute's value; -EOPNOTSUPP (or -ENOTSUP) when the entry's
   * filesystem cannot hold one of that name at all (Windows' security
   * descriptor on FAT): SOURCE's is then no difference to set again.
   */
  get(fd: number, attr: Name): Uint8Array | number;
  getAt(dir: number, name: Name, attr: Name): Uint8Array | number;
  set(fd: number, attr: Name, value: Uint8Array): number;
  setAt(dir: number, name: Name, attr: Name, value: Uint8Array): number;
  /**
   * For many entries of one directory, not following symlinks: the size of
   * each one's list of names (0: it has none), or -errno. Optional: it saves
   * --skip-unchanged a call per file and side where most files have none.
   */
  listSizesAt?(dir: number, names: Name[]): number[];
  /**
   * Removes one: what an entry left in place (--skip-unchanged) has and
   * SOURCE lacks. Without them such attributes stay.
   */
  remove?(fd: number, attr: Name): number;
  removeAt?(dir: number, name: Name, attr: Name): number;
}

/** A per-process limit on open descriptors that can be raised (RLIMIT_NOFILE). */
export interface FileLimitCapability {
  /** Raises the limit as far as allowed; returns the limit then in force, undefined where it cannot be read. */
  raise(): number | undefined;
  /** The files this process has open now; the limit itself where none can be opened to count them, undefined where it cannot be told. */
  open?(): number | undefined;
}

/**
 * The OS's attribute word (Stat.attributes), set as the engine read it:
 * applied last, after the times, since a read-only or immutable entry
 * refuses further changes.
 */
export interface AttributesCapability {
  /**
   * The bits of the word it sets. The others say how the destination keeps
   * the entry (a directory, compressed, a placeholder): its own, never the
   * source's, so they are no difference between the two.
   */
  readonly kept: number;
  /**
   * The bits of a file's word that a file replacing it gets, where SOURCE's
   * word is not kept: what cp, writing into the file there, leaves of it
   * (Windows' hidden and system, macOS's UF_HIDDEN), not those that forbid
   * the write or stand for the permissions (read-only, immutable,
   * append-only), nor what the new file has of its own (archive).
   */
  readonly keptOnReplace: number;
  setFd(fd: number, value: number): number;
  setAt(dir: number, name: Name, value: number): number;
  /**
   * The word of an open file, or of dir/name (a regular file, opened for
   * it), where Stat does not hold it (Linux's inode flags, which statx does
   * not report): >= 0, or a negated errno.
   */
  readFd?(fd: number): number;
  readAt?(dir: number, name: Name): number;
}

/**
 * Directories that take names differing only by case as one name (Windows'
 * default; macOS's default volume): two names of one source directory may
 * then land on one entry of its copy.
 */
export interface CaseFoldingCapability {
  /**
   * Whether the open directory dir looks names up ignoring case; dir -1: a
   * directory a dry run would make there (what a new one is by default).
   */
  ignoresCase(dir: number): boolean;
  /** The name as such a directory compares it: two names with one key are one entry there. */
  key(name: Name): string;
}

/**
 * Names that hold another entry's metadata, not entries of their own:
 * macOS keeps the xattrs (resource fork, Finder info, quarantine) of a file
 * on a volume without native ones (FAT, exFAT, many SMB shares) in an
 * AppleDouble file `._NAME` beside it, which listings show. Such a name is
 * neither copied as a file (its entry's xattrs are read and written through
 * the entry) nor removed by --delete (that would drop them).
 */
export interface SidecarsCapability {
  /** Whether `name` in the open directory dir is such a file. */
  holds(dir: number, name: Name): boolean;
}

/**
 * What of a tree's regular files is read ahead besides its metadata: their
 * data too ("all": every file will be read), their data unless the tree's
 * filesystem can clone ("unless-cloned": the copy stays on that filesystem,
 * where a clone reads nothing), or none (they will not all be read).
 */
export type ReadAheadData = "none" | "all" | "unless-cloned";

/**
 * Reading a tree ahead of the workers: threads of the backend's own that
 * list its directories and stat its entries, and may start reading its
 * files' data, so that with the caches cold the directory blocks, inodes
 * and data are in memory, or on their way, by the time a worker gets to
 * them, instead of being waited for one directory at a time.
 */
export interface ReadAheadCapability {
  /**
   * Walks the tree at path (from the current directory) in the background:
   * 0, or a negated errno when it will not (EAGAIN: as many walks as the
   * backend runs at once are running). A filesystem where it would not
   * help (tmpfs, a network one) is left alone by the walk itself, and a
   * walk that finds its tree in memory stops there.
   */
  walk(path: Name, data: ReadAheadData, keep?: WalkKept, pair?: WalkPair): number;
  /**
   * What a walk started with `keep` found of `names` in the directory open
   * at dir, each found name's stat (as statMany's, not following a
   * symlink) and, where kept, the size of its xattr list; undefined where
   * it holds none of them, or (maxAgeMs) its listing of the directory began
   * longer ago than that. A directory's are given once, to the first to
   * ask. Each is as old as the walk's visit.
   */
  walked?(dir: number, names: Name[], xattrSizes: boolean, maxAgeMs?: number): (WalkedEntry | undefined)[] | undefined;
  /**
   * Whether a name beginning with `prefix` was in the directory open at
   * dir when a walk started with `keep` listed it, whole; undefined where
   * none did. What walked() gives is left for it.
   */
  walkedHolds?(dir: number, prefix: Name): boolean | undefined;
  /**
   * The next chunk of a second run's listing of SOURCE's directory open at
   * srcDir (listed now, as readDir lists it), decided against both walks'
   * listings of the pair, DEST's open at dstDir: the regular files of one
   * name each whose type, mode, owner, size and mtime (to the nanosecond)
   * are the same on both sides, two inodes, and (`xattrSizes`) without
   * xattrs on either, counted; the other names, in the listing's order.
   * `listed` 0 is the listing's end. A side no walk kept a listing of (or
   * DEST's, begun longer ago than maxAgeMs) may be statted by the backend
   * as each name is listed, where its stats do not wait for the disk;
   * otherwise undefined, nothing listed: readDir lists it. A negated errno
   * where the listing failed. What walked() would give of either directory
   * is left for it, until the listing's end. A walk's stat is as old as
   * its visit.
   */
  listUnchanged?(srcDir: number, dstDir: number, xattrSizes: boolean, maxAgeMs: number): ListedUnchanged | number | undefined;
  /**
   * Whether a walk is still going: one that found its tree in memory (and
   * stopped there), reached its end, or left its tree alone is not.
   */
  walking(): boolean;
  /** Open files a walk may hold at once (its directories and files being read). */
  readonly filesPerWalk: number;
  /**
   * Entries looked at, bytes of data read ahead, stats taken from the
   * walks (walked) and files found the same by listUnchanged so far, from
   * both walks' listings (same) and with either side statted as listed
   * (sameStatted), for --stats; and the directories listed, and of them
   * those whose listing waited for the disk.
   */
  counts(): { entries: number; bytes: number; taken: number; directories: number; waited: number; same?: number; sameStatted?: number };
}

/**
 * A second run's two trees, walked as a pair: SOURCE's walk (started first,
 * with data other than "none") reads only the files that DEST's walk,
 * started next, finds missing or with another size or mtime: the files a
 * quick check will copy.
 */
export type WalkPair = "source" | "destination";

/** What a walk keeps of each directory for walked(): nothing, the entries' stats, or those and their xattr list sizes. */
export type WalkKept = "none" | "stats" | "stats and xattr sizes";

/** A chunk of a second run's listing (ReadAheadCapability.listUnchanged). */
export interface ListedUnchanged {
  /** Entries the chunk held; 0 at the listing's end. */
  listed: number;
  /** The files found the same, and their bytes. */
  same: number;
  sameBytes: number;
  /** The chunk's other names, in its order. */
  rest: Name[];
  /** Every one of `rest` was a directory when SOURCE's walk went by, or as listed. */
  restDirectoriesOnly: boolean;
}

/** One entry as a walk found it (ReadAheadCapability.walked). */
export interface WalkedEntry {
  stat: Stat;
  /** The size of its list of xattr names (0: none), or -errno; -ENODATA where not kept. */
  xattrListSize: number;
}

/** The page cache: --verify reads a copy back from the disk, not from memory. */
export interface PageCacheCapability {
  /**
   * Writes fd's dirty data to the disk and drops its cached pages where the
   * OS can (fdatasync, POSIX_FADV_DONTNEED; Windows: the flush alone): 0,
   * or -errno.
   */
  evict(fd: number): number;
  /**
   * Opens a file for reading from the disk, past the cache, where the OS
   * cannot drop a file's cached pages but can read around them (Windows
   * FILE_FLAG_NO_BUFFERING, macOS F_NOCACHE): readAt on it reads what the
   * disk holds. Otherwise as openRead.
   */
  openUncached?(dir: number, name: Name, follow: boolean): number;
}

/** What `blit doctor` prints about the backend itself. */
export interface BackendReport {
  backend: string;
  details: [label: string, value: string][];
}

/** What one filesystem supports, probed with scratch files in a directory. */
export interface FilesystemReport {
  fsType: string;
  /** Each mechanism tried; `method`: the copy method it makes possible. */
  checks: { name: string; supported: boolean; detail: string; method?: CopyMethod }[];
  /** Batched reads and writes are available to this process. */
  batched: boolean;
  /** false when the scratch files could not be made: the checks say why. */
  probed?: false;
}

export interface Backend {
  /** Short identifier, e.g. "linux" or "portable". */
  readonly id: string;
  readonly errno: ErrnoTable;
  /** Directory handle meaning "the current working directory". */
  readonly cwd: number;
  /**
   * Whether a handle opened in one thread is valid in the others (real
   * descriptors). If not, the engine keeps a run to one worker.
   */
  readonly sharedHandles: boolean;
  /** The kernel enforces SELinux labels (security.selinux): what cp's -Z and --context=CTX need. */
  readonly securityLabels: boolean;

  strerror(errno: number): string;

  /**
   * Opens a directory: a handle to list it and to name entries relative to
   * it. Without `follow`, a symlink under the name is not followed and fails
   * with ENOTDIR, as any other non-directory (Linux's O_DIRECTORY|O_NOFOLLOW).
   */
  openDir(dir: number, name: Name, follow: boolean): number;
  /**
   * Opens a directory this user may search and write but not read (a drop
   * box, mode 0733, which cp copies into): a handle to name entries
   * relative to it (Linux's O_PATH), and to read and set its own
   * attributes as through any other; it cannot be listed (readDir fails).
   * Undefined where no such handle exists.
   */
  openUnreadableDir?(dir: number, name: Name, follow: boolean): number;
  /**
   * Opens an entry this user may not read (its own file of mode 0200 or
   * 0000), not following a symlink: a handle to read and set its
   * attributes alone (Linux's O_PATH), which it cannot be read or written
   * through. Undefined where no such handle exists.
   */
  openForAttributes?(dir: number, name: Name): number;
  /**
   * openDir, for a directory whose listing must leave its access time as it
   * was (Linux's O_NOATIME: EPERM where this user neither owns it nor has
   * CAP_FOWNER). Undefined where listing cannot be kept from setting it.
   */
  openDirNoAtime?(dir: number, name: Name, follow: boolean): number;
  /**
   * The next entries of an open directory, without "." and "..": a chunk at
   * a time so a huge directory is never held whole; an empty array at the end
   * (and at every call after it). A backend that can only list a directory
   * whole (the portable one) returns all of it in the first chunk.
   */
  readDir(dir: number): DirEntry[] | number;
  makeDir(dir: number, name: Name, mode: number): number;

  stat(dir: number, name: Name, follow: boolean): Stat | number;
  fstat(fd: number): Stat | number;
  /** stat for many entries of one directory, as many at a time as the OS allows. */
  statMany(dir: number, names: Name[], follow: boolean): (Stat | number)[];

  /**
   * Opens a file for reading without following a final symlink and without
   * blocking. `stream`: a fifo or a device to be read to its end (the data copier's
   * `stream`); a backend that cannot wait for its data in steps opens it
   * blocking, as cp does, so that a fifo's open waits for a writer.
   */
  openRead(dir: number, name: Name, follow: boolean, stream?: boolean): number;
  /**
   * openRead, for a regular file read only to compare it (--checksum), whose
   * access time must stay as it was (Linux's O_NOATIME: EPERM where this user
   * neither owns it nor has CAP_FOWNER). Undefined where a read cannot be kept
   * from setting it.
   */
  openReadNoAtime?(dir: number, name: Name, follow: boolean): number;
  /**
   * Creates a new file for writing; fails with EEXIST if the name is taken
   * (by anything, a symlink too), unless truncate is set, which reuses (and
   * empties) a file of that name. With truncate, a symlink under the name is
   * an error (ELOOP), unless `follow` (cp's writing through a symlink DEST);
   * a directory is EISDIR.
   */
  createFile(dir: number, name: Name, mode: number, truncate?: boolean, follow?: boolean): number;
  /**
   * Opens an existing device or fifo for writing, following symlinks (unless
   * `follow` is false: a symlink then fails, ELOOP), without creating or
   * truncating anything, and without blocking where the backend can wait in
   * steps (a fifo with no reader then fails with ENXIO).
   */
  openWrite(dir: number, name: Name, follow?: boolean): number;
  /**
   * 0, or a negated errno: the descriptor is released either way, but a
   * write the OS reports only now (NFS's and SMB's write-back) failed.
   */
  close(fd: number): number;
  /**
   * Opens and reads small regular files of one directory, as many at a time
   * as the OS allows. Each read asks for one byte more than expected, so a
   * file that grew shows as longer. Each file's result goes to `each` as
   * soon as it is ready, in any order (the caller writes one file while the
   * others are still being read): the open file and its bytes (valid until
   * the next readMany: the buffer is reused), or a negated errno (nothing
   * left open). `each` must not call readMany, statMany or batchedRange:
   * the batch they would share is still in flight. If `each` throws, the
   * files it was not given are closed, and readMany throws that error once
   * nothing of the batch is in flight.
   */
  readMany(dir: number, files: { name: Name; size: number }[], follow: boolean, each: (index: number, result: ReadFile | number) => void): void;

  // The mechanisms a file's bytes are copied with; src/engine/copy-data.ts
  // picks among them. Reading and writing at a position every OS has; the
  // rest are capabilities an OS may lack (absent), and one that fails with
  // an errno meaning "not here" sends the engine to the next.
  /** Up to length bytes at pos (pos < 0: where a fifo or device is): bytes read, 0 at EOF, or -errno. */
  readAt(fd: number, buf: Uint8Array, length: number, pos: number): number;
  /** Up to length bytes at pos (pos < 0: where a fifo or device is): bytes written, or -errno. */
  writeAt(fd: number, buf: Uint8Array, length: number, pos: number): number;
  truncate(fd: number, size: number): number;
  readonly clone?: CloneMechanism;
  readonly cloneAt?: CloneAtMechanism;
  readonly kernelCopy?: KernelCopyMechanism;
  readonly holes?: HolesMechanism;
  readonly streams?: StreamsMechanism;
  /** A hint that fd will be read front to back (a larger read-ahead). */
  adviseSequential?(fd: number): void;
  /**
   * The file open on fd opened again for reading, with read-ahead of its own
   * (a helper's share of a large file), or -errno. `noAtime`: read to be
   * compared, its access time left as it was where the OS allows (as
   * openReadNoAtime), else opened as without it.
   */
  reopenRead?(fd: number, noAtime?: boolean): number;
  /**
   * [start, start + length) of src to dst through batched reads and writes
   * (io_uring), or undefined when the backend cannot batch (now). A read
   * that comes back short (the source ended, or a filesystem's short read)
   * ends the range there with `eof` false: the caller reads on with plain
   * reads to the file's real end.
   */
  batchedRange?(src: number, dst: number, start: number, length: number, cancel: Int32Array | undefined): RangeResult | undefined;
  /** What each copy method is called here, for --stats, --debug and doctor. */
  readonly methodLabels: Record<CopyMethod, string>;

  readLink(dir: number, name: Name): Uint8Array | number;
  /** toDir: the link names a directory (Windows makes such links differently; POSIX ignores it). */
  makeSymlink(target: Uint8Array, dir: number, name: Name, toDir?: boolean): number;
  /** A hard link to fromName; with `follow`, to what fromName names if it is a symlink (-l through symlinks). */
  makeLink(fromDir: number, fromName: Name, toDir: number, toName: Name, follow?: boolean): number;
  /** Renames; with replace false, fails with EEXIST rather than replace, on every filesystem (where it has no such rename, by a link or a look first). */
  rename(fromDir: number, fromName: Name, toDir: number, toName: Name, replace: boolean): number;
  remove(dir: number, name: Name, isDir: boolean): number;
  /** 0 when the caller may write the existing file, else -errno. */
  canWrite(dir: number, name: Name): number;
  /**
   * What creating an entry of this name answers before anything is asked
   * of the file system (Windows: a device's name, ERROR_INVALID_NAME), so
   * that a dry run says it too: -errno, or 0. Undefined: no such names.
   */
  refusesName?(name: Name): number;

  /**
   * Whether a file is held open by the process writing it, as files this
   * backend creates new (createFile without truncate: the temporary names)
   * on a local filesystem are held while open, so that another run can tell
   * where the pid in the name says nothing (another PID namespace).
   * Undefined where it cannot be told (no such locks, not a regular file, no
   * permission to read it).
   */
  inUse?(dir: number, name: Name): boolean | undefined;
  /** Holds a directory the run fills under a temporary name (open as fd) as files made new are held: inUse tells it too. */
  holdDirectory?(fd: number): void;
  /**
   * Whether the directory open as `dir` takes new names but lets none be
   * removed or renamed (Linux's append-only flag, chattr +a; macOS's
   * uappnd and sappnd): a temporary file made there could neither take its
   * name nor go. Undefined: no such flag.
   */
  appendOnly?(dir: number): boolean;
  /**
   * Whether a directory held open, files open inside it, can be renamed
   * (POSIX's rename; not Windows', which a handle without delete sharing
   * refuses). The engine then fills a new directory of small files under a
   * temporary name and renames it into place once filled, rather than
   * renaming each file (a sixth of a tree of small files' copy time here).
   */
  readonly renamesOpenDirectories?: boolean;

  setTimesFd(fd: number, times: Times): number;
  /** Sets times of the entry itself, not of a symlink's target. */
  setTimesAt(dir: number, name: Name, times: Times): number;

  // Capabilities (see above): undefined where the OS has no such thing.
  readonly owners?: OwnersCapability;
  readonly modes?: ModesCapability;
  readonly specialFiles?: SpecialFilesCapability;
  readonly xattrs?: XattrsCapability;
  readonly fileLimit?: FileLimitCapability;
  readonly attributes?: AttributesCapability;
  readonly caseFolding?: CaseFoldingCapability;
  readonly sidecars?: SidecarsCapability;
  readonly pageCache?: PageCacheCapability;
  readonly readAhead?: ReadAheadCapability;

  /**
   * How many workers suit this machine when -j is not given, where the OS
   * knows better than the count of CPUs (Apple silicon: its performance
   * cores; efficiency cores would hold back the depth-first queue), or
   * undefined to take that count.
   */
  workers?(): number | undefined;

  /** What this thread has done so far, in the backend's own counters, for --stats. */
  counters(): BackendCounters;
  /** Operations in flight at once, where the backend batches them (the io_uring depth). */
  tune?(options: { queueDepth: number }): void;

  report(): BackendReport;
  probeFilesystem(dir: number): FilesystemReport | number;

  // ------------------------------------------- the process and its operands
  // What src/ used to ask the runtime, node:fs or /proc for itself (issue 13,
  // point 4): src/ never asks which OS it runs on.

  /** The OS and architecture as doctor prints them ("linux-x64"). */
  readonly platform: string;
  /** How this OS writes a path as text; src/engine/paths.ts splits and joins operands by these rules only. */
  readonly pathRules: PathRules;
  /**
   * The effective user and group that own what this process creates, or
   * undefined where the OS has no such numbers (the engine then takes 0).
   */
  identity(): Identity | undefined;
  /**
   * The command line exactly as the OS passed it, one byte string per
   * argument (the runtime's own and the script's first), or undefined where
   * it cannot be had (the runtime's decoded arguments are then all there is).
   */
  commandLine(): Uint8Array[] | undefined;
  /**
   * realpath(3) of a path relative to the current directory: absolute, with
   * no symlink, "." or ".." left; a negated errno if a component is missing.
   */
  realPath(path: Name): Name | number;
  /**
   * The mounts there are, in the order they were made (a later one on the
   * same place hides an earlier), for --delete to see a bind mount in DEST
   * of part of SOURCE, or of a directory DEST is in. Undefined where the OS
   * has no such mounts or they cannot be listed.
   */
  mounts?(): Mount[] | undefined;
  /**
   * The id of the mount an absolute path is on (Mount.id), its last name
   * not followed: the one seen there, over any it hides. Undefined where it
   * cannot be told.
   */
  mountOf?(path: Name): number | undefined;
  /**
   * Whether an open descriptor came from the process that started this one:
   * not close-on-exec, as every descriptor the runtime opens for itself is
   * and none that survived exec can be. Undefined where fd is not open or
   * it cannot be told.
   */
  inheritedDescriptor?(fd: number): boolean | undefined;
  /**
   * -i: writes `question` to the error stream and reads one line of standard
   * input, byte by byte so that the next question gets the next line; the
   * line without its newline (empty at end of input). Undefined if
   * `stopped` said yes before an answer came (where the backend can wait
   * for one: else it waits in the read).
   */
  askLine(question: Uint8Array, stopped?: () => boolean): Uint8Array | undefined;
  /**
   * The whole of a file named by a path from the current directory, or of
   * standard input (undefined): --exclude-from's patterns. A negated errno
   * if it cannot be read.
   */
  readWholeFile(path: Name | undefined): Uint8Array | number;
  /** Appends to a file named by a path, creating it (GitHub's step summary): 0 or a negated errno. */
  appendToFile(path: Name, data: Uint8Array): number;
}

/** Owners of new files, where the OS has them (POSIX's effective uid and gid). */
export interface Identity {
  uid: number;
  gid: number;
  /** The supplementary groups, where known: with gid, those a file of this user's may be given. */
  groups?: number[];
  /** Whether any owner may be given, not being root (Linux's CAP_CHOWN, a backup service's). */
  chownsAny?: boolean;
  /** Whether file capabilities may be set and removed (Linux's CAP_SETFCAP, which root may lack in a container); unset: as root may. */
  setsFileCapabilities?: boolean;
}

/**
 * How paths are written on the running OS: the separators, and on an OS
 * whose roots are more than a separator (drive letters, UNC and \\?\
 * prefixes) what a root looks like.
 */
export interface PathRules {
  /** Every character that separates two components ("/"; on Windows also "\\"). */
  readonly separators: string;
  /** The one written when joining a directory and a name. */
  readonly separator: string;
  /**
   * Matches the root at the start of a path, separator included ("C:\\",
   * "C:", "\\\\server\\share\\"; the empty string for a relative path).
   * Absent: the root is a leading separator (POSIX).
   */
  readonly root?: RegExp;
  /** How an absolute path starts in examples (--help), where that is not the separator ("D:\\"). */
  readonly sampleRoot?: string;
  /** The OS drops dots and spaces at the end of a name in a path (Windows: "x." and "x " name x); operands are split so too. */
  readonly dropsTrailingDots?: boolean;
  /** Matches the start of a path the OS takes as written, trailing dots and all (Windows' "\\?\"). */
  readonly verbatim?: RegExp;
  /** The OS's own tools match names ignoring case (Windows' robocopy /XF, dir *.TXT): --exclude and --include match so too. */
  readonly patternsIgnoreCase?: boolean;
  /**
   * The shells hand `*` and `?` in a command's arguments to the program, which
   * expands them itself (Windows: cmd and PowerShell do not, the C runtime's
   * setargv does, and a name cannot hold either), so blit expands them in its operands.
   */
  readonly expandsWildcards?: boolean;
}

export const POSIX_PATH_RULES: PathRules = { separators: "/", separator: "/" };
