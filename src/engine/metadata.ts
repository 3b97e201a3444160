// Metadata of a copied entry, in the order that keeps each part: owner first
// (chown clears setuid/setgid and file capabilities), then extended
// attributes and ACLs, then the mode (which restores setuid/setgid), then the
// timestamps (and the birth time where the OS keeps one), since every other
// change touches ctime and may touch mtime. The OS's attribute word comes
// after all of them, once the entry has its final name (setAttributes): a
// read-only or immutable entry refuses the rest, and on macOS an immutable
// one refuses the rename that puts it in place.
// What the backend has no capability for (xattrs through node:fs) is not
// kept, quietly, as cp -a drops what a filesystem cannot hold. Windows'
// owner and ACLs come as xattrs (SECURITY_OWNER_XATTR, SECURITY_ACLS_XATTR),
// set with the others, before the times.

import { type Backend, type Name, SECURITY_ACLS_XATTR, SECURITY_OWNER_XATTR, type Stat, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from "../../ffi/index.ts";
import type { EngineOptions, Preserve } from "../options.ts";
import { quote } from "../quote.ts";
import type { Reporter } from "./report.ts";

/** An entry with a descriptor (file, directory) or without (symlink, device, fifo). */
export type Target = { fd: number } | { dir: number; name: Name };

export type Xattrs = [name: Name, value: Uint8Array][];

/** What an entry has already: a file this run created, our owner and its create mode; a directory that was there, its own. */
export interface Created {
  mode: number;
  uid: number;
  gid: number;
}

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const ACL_PREFIX = "system.posix_acl_";
/** The ACLs a new entry inherits from a directory's default ACL (Linux), by the names they are kept under. */
const ACL_ACCESS = new TextEncoder().encode(`${ACL_PREFIX}access`);
const ACL_DEFAULT = new TextEncoder().encode(`${ACL_PREFIX}default`);
const SECURITY_PREFIX = new TextEncoder().encode("security.");

/**
 * `dev` and an xattr's namespace: Linux's `user`, `trusted` or `security`;
 * any other name whole (each ACL kind apart, and macOS's names, whose
 * `com.apple.acl.text` refused says nothing of `com.apple.quarantine`).
 */
function namespaceKey(dev: number, name: Name): string {
  const text = Buffer.from(name).toString("latin1");
  const namespace = /^(user|trusted|security)\./.exec(text)?.[1];
  return `${dev}:${namespace ?? text}`;
}

const startsWith = (name: Name, prefix: Uint8Array) => name.length >= prefix.length && prefix.every((byte, i) => name[i] === byte);
/** macOS's ACL, which its backend lists as one more attribute (acl_to_text's form). */
const ACL_TEXT = "com.apple.acl.text";
const ACL_TEXT_NAME = new TextEncoder().encode(ACL_TEXT);
const SELINUX = "security.selinux";
const SELINUX_NAME = new TextEncoder().encode(SELINUX);
const CAPABILITY_NAME = new TextEncoder().encode("security.capability");

/**
 * xattrs no copy carries, as cp leaves them (the names Debian's
 * /etc/xattr.conf gives libattr to skip): XFS's own store of an inode's
 * ACLs and capabilities, which it lists to root beside system.posix_acl_*
 * (copied, an ACL would come along where --no-preserve=mode drops it, and
 * land on another filesystem as a meaningless xattr), its obsolete
 * xfsroot.*, EVM's security.evm (only the kernel writes it), AFS's afs.*,
 * and the Beagle indexer's user.Beagle.*. Linux's names: on macOS they are
 * any program's, on Windows streams' (MetadataWriter.neverCopied).
 */
const NEVER_COPIED = /^(trusted\.SGI_(ACL_DEFAULT|ACL_FILE|CAP_FILE|MAC_FILE)$|trusted\.SGI_DMI_|xfsroot\.|security\.evm$|afs\.|user\.Beagle\.)/;

/** Whether the options keep anything the backend holds in xattrs: ACLs with the mode, the xattrs themselves, a label, owners without POSIX owners. */
export function readsXattrs(b: Backend, o: EngineOptions): boolean {
  // Without POSIX owners, an owner is one of the xattrs (SECURITY_OWNER_XATTR).
  const ownersInXattrs = o.preserve.ownership && !b.owners;
  return Boolean(b.xattrs) && (o.preserve.mode || o.preserve.xattr || o.preserve.context || ownersInXattrs);
}

/** Which --preserve attribute an xattr belongs to. */
export function categoryOf(name: Name): keyof Preserve {
  const text = decoder.decode(name);
  if (text.startsWith(ACL_PREFIX) || text === ACL_TEXT || text === SECURITY_ACLS_XATTR) return "mode";
  if (text === SECURITY_OWNER_XATTR) return "ownership";
  if (text === SELINUX) return "context";
  return "xattr";
}

/** A POSIX access ACL: its owner, group and other entries are the mode's rwx bits, set with it. */
export function holdsModeBits(name: Name): boolean {
  return Buffer.compare(name, ACL_ACCESS) === 0;
}

export class MetadataWriter {
  /** Whether any xattrs are read: the options keep some, and the backend has them. */
  readonly readsXattrs: boolean;
  /** --context=CTX: set with the other xattrs, so before the mode and times. */
  private readonly label: Xattrs;
  /**
   * ACLs are system.posix_acl_* xattrs that a directory's default ACL hands
   * down (Linux; its backend says so by offering inheritedPermissions).
   * Elsewhere those names mean nothing: macOS answers a removal with
   * ENOATTR, which would be an error on every directory.
   */
  private readonly posixAcls: boolean;
  /** Running as root, whom a failed chown is said to (cp's chown_privileges). */
  private readonly privileged: boolean;
  /** A process with CAP_SETFCAP (root, as a rule): may set and remove a file capability. */
  private readonly setsCapabilities: boolean;
  /** This process's uid, where the OS has one. */
  private readonly uid: number | undefined;
  /** Its groups: a set-id bit of a file in another is not its to give back. */
  private readonly groups: ReadonlySet<number>;

  /**
   * Namespaces of xattrs (`user`, `trusted`, `security`; any other name
   * whole: see namespaceKey) that a destination's filesystem (by device) refused as
   * unsupported (EOPNOTSUPP: ramfs, vfat, a FUSE mount without xattrs),
   * dropped quietly under -a: an unchanged entry there lacks them on every
   * run, which is no difference to tell.
   */
  private readonly refused = new Set<string>();

  constructor(
    private readonly b: Backend,
    private readonly o: EngineOptions,
    private readonly report: Reporter,
  ) {
    this.readsXattrs = readsXattrs(b, o);
    const identity = b.identity();
    this.privileged = identity?.uid === 0;
    this.setsCapabilities = identity?.setsFileCapabilities ?? this.privileged;
    this.uid = identity?.uid;
    this.groups = new Set(identity ? [identity.gid, ...(identity.groups ?? [])] : []);
    this.label = o.label ? [[SELINUX_NAME, o.label]] : [];
    this.posixAcls = b.modes?.inheritedPermissions !== undefined;
  }

  /** Whether a copy never carries the xattr (NEVER_COPIED), where the backend's names are Linux's: the one whose ACLs are POSIX ACLs. */
  private neverCopied(name: Name): boolean {
    return this.posixAcls && NEVER_COPIED.test(Buffer.from(name).toString("latin1"));
  }

  /**
   * The permission bits a copy gets: the source's when modes are kept; else
   * those of the file it replaces; else, as cp makes new entries, the
   * source's (directories keep the sticky bit) or with --no-preserve=mode the
   * defaults, less the umask.
   */
  modeFor(kind: "file" | "dir" | "special", st: Stat, replaced?: Stat, inherited?: number): number {
    const { preserve, defaultModes, umask } = this.o;
    if (preserve.mode) return st.mode & 0o7777;
    if (replaced) return replaced.mode & 0o7777;
    // cp's defaults: directories and sockets 0777 (a directory keeps its
    // sticky bit), everything else 0666.
    const isSocket = (st.mode & S_IFMT) === S_IFSOCK;
    const base = !defaultModes ? st.mode & (kind === "dir" ? 0o1777 : 0o777) : kind === "dir" ? 0o777 | (st.mode & 0o1000) : isSocket ? 0o777 : 0o666;
    // --no-preserve=mode sets cp's default modes whatever a default ACL
    // says (the ACL it inherited goes: see dropAcls).
    if (inherited === undefined || defaultModes) return base & ~umask;
    // In a directory with a default ACL, what it allows takes the umask's
    // place, as the kernel gives an entry made there with this mode. cp
    // makes a directory without its group and other write bits, then adds
    // back those the umask allows; keeping owners (--preserve=ownership
    // without mode), it makes anything without group and other bits at all,
    // until its owner is set, and adds back those the umask allows.
    if (preserve.ownership) return (base & ~0o077 & (inherited | 0o7000)) | (base & 0o077 & ~umask);
    if (kind !== "dir") return base & (inherited | 0o7000);
    return (base & ~0o022 & (inherited | 0o7000)) | (base & 0o022 & ~umask);
  }

  /**
   * The source's xattrs this run keeps (none unless asked for), and the
   * label --context gives. `unheld` collects the names listed whose values
   * the entry's filesystem says it cannot hold (EOPNOTSUPP). `path`:
   * SOURCE's, named when xattrs asked for by name (--preserve=xattr) cannot
   * be read, an error as cp's; otherwise what cannot be read is left quietly.
   */
  readXattrs(src: Target, withLabel = true, listSize?: number, unheld?: Name[], path?: Uint8Array): Xattrs {
    if (!this.readsXattrs || listSize === 0) return withLabel ? this.label : [];
    const x = this.b.xattrs;
    if (!x) return withLabel ? this.label : [];
    const E = this.b.errno;
    const unsupported = (r: number) => r === -E.EOPNOTSUPP || r === -E.ENOTSUP;
    const names = "fd" in src ? x.list(src.fd) : x.listAt(src.dir, src.name);
    if (typeof names === "number") {
      if (path && this.o.require.xattr && !unsupported(names)) this.report.fail(`listing attributes of ${quote(path)}: ${this.b.strerror(-names)}`, { op: "listxattr", path, errno: -names });
      return withLabel ? this.label : [];
    }
    const out: Xattrs = [];
    for (const name of names) {
      const category = categoryOf(name);
      if (!this.o.preserve[category] || this.neverCopied(name)) continue;
      const value = "fd" in src ? x.get(src.fd, name) : x.getAt(src.dir, src.name, name);
      // Removed since it was listed: nothing to keep.
      if (typeof value !== "number") out.push([name, value]);
      else if (unsupported(value)) unheld?.push(name);
      else if (path && this.o.require[category] && value !== -E.ENODATA) {
        this.report.fail(`getting attribute ${quote(name)} of ${quote(path)}: ${this.b.strerror(-value)}`, { op: "getxattr", path, errno: -value });
      }
    }
    return withLabel && this.label.length ? [...out, ...this.label] : out;
  }

  /**
   * Applies what the options keep. mode is the final permission bits, or
   * undefined to leave them (symlinks); keepTimes false skips the times (a
   * directory whose copy was cut short); dropAcls: ACLs it may have that
   * SOURCE lacks are removed (a new entry's inherited ones, an existing
   * directory's own). What cannot be set is reported (an error) and the
   * rest still set: the entry is kept with what it could get, as cp and
   * rsync keep it. False after such an error.
   */
  apply(dst: Target, st: Stat, xattrs: Xattrs, path: Uint8Array, mode: number | undefined, keepTimes = true, created?: Created, dropAcls = false): boolean {
    const b = this.b;
    const { preserve } = this.o;
    // Calls that would change nothing are not made (cp skips such a chown
    // too): on a read-only DEST they would only fail.
    // Nor a chown to the owner an entry there has already (cp skips it too):
    // it would drop a file capability and the set-id bits the entry keeps.
    const ownerAsCreated = created !== undefined ? created.uid === st.uid && created.gid === st.gid : preserve.ownership && this.ownedBy(dst, st);
    // A copy that could not keep its owner must not keep setuid/setgid
    // either: that would make a set-id program of someone else's (cp agrees).
    // A regular file loses its sticky bit too, as cp's (copy_reg's chown failure); a directory or fifo keeps it.
    if (preserve.ownership && !ownerAsCreated && !this.chown(dst, st, path) && mode !== undefined) mode &= (st.mode & S_IFMT) === S_IFREG ? ~0o7000 : ~0o6000;
    let complete = true;
    const said = { acl: false };
    if (xattrs.length && !this.setXattrs(dst, xattrs, path, said)) complete = false;
    const uninherited = dropAcls && (preserve.mode || this.o.defaultModes) && this.dropAcls(dst, st, xattrs, path);
    if (uninherited === "failed") complete = false;
    // An ACL just set or dropped may have changed the mode bits: then chmod
    // regardless. A chown may have taken setuid and setgid off: what it left is asked.
    const modeAsCreated = created !== undefined && mode !== undefined && created.mode === mode && xattrs.length === 0 && !uninherited &&
      (ownerAsCreated || !preserve.ownership || this.modeIs(dst, mode));
    const modes = b.modes;
    if (mode !== undefined && !modeAsCreated && modes) {
      let r = "fd" in dst ? modes.chmodFd(dst.fd, mode) : modes.chmodAt(dst.dir, dst.name, mode);
      // A filesystem with no modes to set (FUSE's fusefat: ENOSYS) where no
      // mode was asked to be kept: cp, which makes a new file with its mode
      // and no chmod, says nothing there either.
      const E = b.errno;
      if (!preserve.mode && (r === -E.ENOSYS || r === -E.EOPNOTSUPP || r === -E.ENOTSUP)) r = 0;
      // Said once: where its ACL could not be set or dropped, "preserving permissions" told of the mode already.
      // In cp's words: its -p sets the mode through gnulib's copy_acl, which says "preserving".
      const verb = preserve.mode ? "preserving" : "setting";
      if (r < 0 && uninherited !== "failed" && !said.acl) this.report.fail(`${verb} permissions for ${quote(path)}: ${b.strerror(-r)}`, { op: "chmod", path, errno: -r });
      if (r < 0) complete = false;
    }
    if (preserve.timestamps && keepTimes) {
      const r = "fd" in dst ? b.setTimesFd(dst.fd, st) : b.setTimesAt(dst.dir, dst.name, st);
      // Some filesystems cannot time a symlink (macOS's say ENOTSUP, not EOPNOTSUPP); cp stays quiet about it too.
      const symlinkQuirk = !("fd" in dst) && (r === -b.errno.EOPNOTSUPP || r === -b.errno.ENOTSUP || r === -b.errno.EPERM);
      if (r < 0 && !symlinkQuirk) {
        this.report.fail(`preserving times for ${quote(path)}: ${b.strerror(-r)}`, { op: "utimens", path, errno: -r });
        complete = false;
      }
    }
    return complete;
  }

  /** Whether the entry's permission bits are `mode` now. */
  private modeIs(dst: Target, mode: number): boolean {
    const now = "fd" in dst ? this.b.fstat(dst.fd) : this.b.stat(dst.dir, dst.name, false);
    return typeof now !== "number" && (now.mode & 0o7777) === mode;
  }

  /**
   * -p: the ACLs an entry has (its own, and a directory's default) are
   * removed where SOURCE has none, as cp -p and rsync -A leave SOURCE's
   * permissions alone: one made in a directory with a default ACL inherits
   * them, and the copy would grant what SOURCE did not. --no-preserve=mode
   * (no ACL of SOURCE's kept): its access ACL goes, as cp sets its default
   * modes. True when one was removed, "failed" when one could not be.
   */
  private dropAcls(dst: Target, st: Stat, xattrs: Xattrs, path: Uint8Array): boolean | "failed" {
    const x = this.b.xattrs;
    const type = st.mode & S_IFMT;
    if (!this.posixAcls || !x?.remove || !x.removeAt || type === S_IFLNK) return false;
    // cp's default modes replace the access ACL only: a new directory keeps the default it inherited.
    const names = type === S_IFDIR && this.o.preserve.mode ? [ACL_ACCESS, ACL_DEFAULT] : [ACL_ACCESS];
    let removed = false;
    for (const name of names) {
      if (xattrs.some(([kept]) => Buffer.compare(kept, name) === 0)) continue;
      const r = "fd" in dst ? x.remove(dst.fd, name) : x.removeAt(dst.dir, dst.name, name);
      // None there, or none it could hold (ramfs, FAT: no xattrs at all): nothing to drop.
      if (r === -this.b.errno.ENODATA || r === -this.b.errno.EOPNOTSUPP || r === -this.b.errno.ENOTSUP) continue;
      // A read-only filesystem, or another user's entry, refuses even to remove what is not there.
      if (r < 0 && ("fd" in dst ? x.get(dst.fd, name) : x.getAt(dst.dir, dst.name, name)) === -this.b.errno.ENODATA) continue;
      if (r < 0) {
        this.report.fail(`preserving permissions for ${quote(path)}: ${this.b.strerror(-r)}`, { op: "setxattr", path, errno: -r });
        return "failed";
      }
      removed = true;
    }
    return removed;
  }

  /**
   * macOS asks DELETE of a file itself to rename it, which an entry of its
   * ACL (SOURCE's `everyone deny delete`, kept by -p, or one inherited from
   * DEST's directory) denies even its owner, and a copy made under a
   * temporary name then cannot be renamed into place, nor removed. The ACL
   * of an entry whose rename was refused, taken off it for another try; or
   * undefined where it has none (Linux's ACLs never forbid a rename).
   */
  takeOffAcl(dir: number, name: Name): Uint8Array | undefined {
    const x = this.b.xattrs;
    if (!x?.removeAt) return undefined;
    const acl = x.getAt(dir, name, ACL_TEXT_NAME);
    return typeof acl !== "number" && x.removeAt(dir, name, ACL_TEXT_NAME) === 0 ? acl : undefined;
  }

  /** What takeOffAcl took, set again once the entry has its final name; reported where it cannot be. */
  putBackAcl(dir: number, name: Name, acl: Uint8Array, path: Uint8Array): void {
    const r = this.b.xattrs!.setAt(dir, name, ACL_TEXT_NAME, acl);
    if (r < 0) this.report.fail(`preserving permissions for ${quote(path)}: ${this.b.strerror(-r)}`, { op: "setxattr", path, errno: -r });
  }

  /**
   * The source's attribute word (Stat.attributes), kept with the mode, on
   * an entry that has its final name: the last change made to it. Where the
   * destination cannot hold it (ENOTSUP, or EPERM for flags only root may
   * set), it is dropped quietly under -a, as xattrs are, and is an error
   * when --preserve=mode was asked for by name. False after reporting one.
   */
  setAttributes(dst: Target, st: Stat, path: Uint8Array): boolean {
    const b = this.b;
    const attributes = b.attributes;
    if (!this.o.preserve.mode || !attributes || st.attributes === undefined) return true;
    const r = "fd" in dst ? attributes.setFd(dst.fd, st.attributes) : attributes.setAt(dst.dir, dst.name, st.attributes);
    if (r >= 0) return true;
    const E = b.errno;
    const dropped = r === -E.ENOTSUP || r === -E.EOPNOTSUPP || r === -E.EPERM;
    if (dropped && !this.o.require.mode) return true;
    this.report.fail(`preserving attributes for ${quote(path)}: ${b.strerror(-r)}`, { op: "setattr", path, errno: -r });
    return false;
  }

  /**
   * A file written in place of one cp would have written into (a writable
   * file DEST, without --remove-destination or -b): the new file keeps what
   * cp's would have kept of it and the options do not set from SOURCE, as
   * the one it replaces had them: owner and group (as far as this user may
   * give them), ACLs, and other xattrs. Else `sudo blit new.conf
   * /etc/app.conf` would leave a service's file root's. inherited: the new
   * file got its directory's default ACL, which goes if the old one had none.
   * mirrored: a mirror's file (Copier.mirrorsXattrs) keeps none of the old
   * file's other xattrs, whose names SOURCE's lack.
   */
  keepReplaced(dst: Target, was: { dir: number; name: Name }, wasStat: Stat, path: Uint8Array, inherited: boolean, mirrored: boolean): { groupLost: boolean } {
    const { preserve } = this.o;
    const groupLost = !preserve.ownership && !this.chown(dst, wasStat, path, false) && this.groupIsNot(dst, wasStat.gid);
    this.keepWord(dst, was, wasStat);
    const aclsKept = !preserve.mode;
    const x = this.b.xattrs;
    if (!x) return { groupLost };
    const names = x.listAt(was.dir, was.name);
    if (typeof names === "number") return { groupLost };
    const kept: Xattrs = [];
    for (const name of names) {
      const category = categoryOf(name);
      // Other xattrs stay beside SOURCE's, which are set after them (cp
      // sets them on the file and removes none), but not on a mirror's file,
      // which would keep them until a run found it unchanged; ACLs and the label are
      // replaced by SOURCE's where those are kept. The kernel's own
      // security.* (file capabilities, IMA, EVM) go with a write, as they
      // go from cp's: new contents must not run with the old ones' rights.
      const keep = this.neverCopied(name) ? false : category === "mode" ? aclsKept : category === "xattr" ? !mirrored && !startsWith(name, SECURITY_PREFIX) : category === "context" ? !preserve.context && this.o.label === undefined : false;
      const value = keep ? x.getAt(was.dir, was.name, name) : -1;
      if (typeof value !== "number") kept.push([name, value]);
    }
    const access = kept.findIndex(([name]) => Buffer.compare(name, ACL_ACCESS) === 0);
    if (inherited && aclsKept && access < 0) this.dropAcls(dst, wasStat, kept, path);
    // With an access ACL the group bits are its mask, which its named entries
    // need too: the mode is left whole, and the owning group's own entry,
    // the user's group now, gets nothing.
    if (groupLost && access >= 0) kept[access] = [ACL_ACCESS, withoutOwningGroup(kept[access]![1])];
    if (kept.length > 0) this.setXattrs(dst, kept, path);
    return { groupLost: groupLost && access < 0 };
  }

  /** Whether dst's group is not gid (a chown to it failed: this user is not in it). */
  private groupIsNot(dst: Target, gid: number): boolean {
    const st = "fd" in dst ? this.b.fstat(dst.fd) : this.b.stat(dst.dir, dst.name, false);
    return typeof st !== "number" && st.gid !== gid;
  }

  /**
   * The bits of the replaced file's attribute word a write in place would
   * have left it (Windows' hidden and system, Linux's nodump), added to the
   * new file's: those -p/-a does not set from SOURCE (on Linux, none is).
   */
  private keepWord(dst: Target, was: { dir: number; name: Name }, wasStat: Stat): void {
    const attributes = this.b.attributes;
    if (!attributes || !("fd" in dst)) return;
    const carried = attributes.keptOnReplace & (this.o.preserve.mode ? ~attributes.kept : ~0);
    if (carried === 0) return;
    const word = wasStat.attributes ?? (attributes.readAt && (wasStat.mode & S_IFMT) === S_IFREG ? attributes.readAt(was.dir, was.name) : 0);
    const kept = word < 0 ? 0 : word & carried;
    if (kept === 0) return;
    const now = attributes.readFd ? attributes.readFd(dst.fd) : this.b.fstat(dst.fd);
    const nowWord = typeof now === "number" ? now : (now.attributes ?? 0);
    // Not reported: the copy is whole, as it is where SOURCE's word cannot be set.
    if (nowWord >= 0) attributes.setFd(dst.fd, nowWord | kept);
  }

  /**
   * chown as cp does it: a non-root user keeps at least the group if allowed,
   * silently; root is told (cp's chown_failure_ok: NFS's root squash, ids a
   * user namespace does not map). True when owner and group are both the
   * source's. Not `asked` (the owners of a file replaced, which cp, writing
   * into it, never sets): what cannot be given stays quiet for root too.
   */
  private chown(dst: Target, st: Stat, path: Uint8Array, asked = true): boolean {
    const b = this.b;
    const E = b.errno;
    const owners = b.owners;
    if (!owners) return false;
    const set = (uid: number, gid: number) =>
      "fd" in dst ? owners.chownFd(dst.fd, uid, gid) : owners.chownAt(dst.dir, dst.name, uid, gid);
    const r = set(st.uid, st.gid);
    if (r === 0) return true;
    if (r === -E.EPERM || r === -E.EINVAL) {
      set(-1 >>> 0, st.gid);
      if (!this.privileged || !asked) return false;
    }
    const notice = { op: "chown", path, errno: -r };
    if (asked) this.report.fail(`failed to preserve ownership for ${quote(path)}: ${b.strerror(-r)}`, notice);
    else this.report.warn(`failed to preserve ownership for ${quote(path)}: ${b.strerror(-r)}`, notice);
    return false;
  }

  /**
   * Removes attributes an entry left in place has and SOURCE lacks (only of
   * the kinds the options keep). Where the backend cannot remove one, or the
   * filesystem or user may not (a file capability, as a user who is not
   * root), it stays, quietly, also where the kind was asked for by name
   * (--preserve=xattr asks to keep SOURCE's, which this does not stop; rsync
   * as such a user leaves them too). False after any other failure.
   */
  removeXattrs(dst: Target, names: Name[], path: Uint8Array): boolean {
    const b = this.b;
    const E = b.errno;
    const x = b.xattrs;
    let removed = true;
    for (const name of names) {
      const remove = "fd" in dst ? x?.remove?.bind(x, dst.fd, name) : x?.removeAt?.bind(x, dst.dir, dst.name, name);
      const r = remove ? remove() : -E.ENOTSUP;
      // Gone since it was listed: as good as removed.
      if (r === 0 || r === -E.ENODATA) continue;
      if (r === -E.EPERM && Buffer.compare(name, CAPABILITY_NAME) === 0 && this.dropCapability(dst)) continue;
      const refused = r === -E.ENOTSUP || r === -E.EOPNOTSUPP || r === -E.EPERM || r === -E.EACCES;
      if (refused) continue;
      this.report.fail(`removing attribute ${quote(name)} from ${quote(path)}: ${b.strerror(-r)}`, { op: "removexattr", path, errno: -r });
      removed = false;
    }
    return removed;
  }

  /** Whether the entry there has st's owner and group already. */
  private ownedBy(dst: Target, st: Stat): boolean {
    const now = "fd" in dst ? this.b.fstat(dst.fd) : this.b.stat(dst.dir, dst.name, false);
    return typeof now !== "number" && now.uid === st.uid && now.gid === st.gid;
  }

  /**
   * Whether a file capability on the entry `st` may go though this process
   * may not remove it (no CAP_SETFCAP): only from a regular file of this
   * user's whose setgid bit, if any, it may set again (removeXattrs:
   * dropCapability). Elsewhere it is no difference
   * (Copier.xattrDifference), as rsync run by a user compares only user.*.
   */
  dropsCapability(st: Stat): boolean {
    const setgidKept = (st.mode & 0o2000) === 0 || this.groups.has(st.gid);
    return !this.setsCapabilities && (st.mode & S_IFMT) === S_IFREG && st.uid === this.uid && setgidKept;
  }

  /**
   * Drops a file capability this process may not remove, from a regular
   * file of its own (dropsCapability): a chown by the owner that changes
   * nothing drops it, as the kernel drops it on every chown, with the
   * set-id bits, which are then given back. Any chown may do so, of any
   * user's file: one not this user's is never asked.
   */
  private dropCapability(dst: Target): boolean {
    const b = this.b;
    const owners = b.owners;
    const modes = b.modes;
    const st = "fd" in dst ? b.fstat(dst.fd) : b.stat(dst.dir, dst.name, false);
    if (!owners || !modes || typeof st === "number" || !this.dropsCapability(st)) return false;
    const same = -1 >>> 0;
    const r = "fd" in dst ? owners.chownFd(dst.fd, same, same) : owners.chownAt(dst.dir, dst.name, same, same);
    if (r !== 0) return false;
    if ((st.mode & 0o6000) === 0) return true;
    if ("fd" in dst) modes.chmodFd(dst.fd, st.mode & 0o7777);
    else modes.chmodAt(dst.dir, dst.name, st.mode & 0o7777);
    return true;
  }

  /** Sets those of xattrs that are not asked for by name (whose failure would be an error): what the filesystem refuses is noted in `refused`. */
  setQuietly(dst: Target, xattrs: Xattrs, path: Uint8Array): void {
    const quiet = xattrs.filter(([name]) => !this.o.require[categoryOf(name)]);
    if (quiet.length) this.setXattrs(dst, quiet, path);
  }

  /**
   * Whether this process may set the xattr `name` where it may write: not a
   * file capability (security.capability) without root or CAP_SETFCAP.
   * Such a user's copy lacks SOURCE's capability on every run, as cp's
   * does; rsync as such a user compares only user.* xattrs.
   */
  maySet(name: Name): boolean {
    return this.setsCapabilities || Buffer.compare(name, CAPABILITY_NAME) !== 0;
  }

  /** Whether the filesystem of device `dev` has not refused `name`'s namespace as unsupported (see `refused`). */
  heldOn(dev: number, name: Name): boolean {
    return this.refused.size === 0 || !this.refused.has(namespaceKey(dev, name));
  }

  /**
   * Sets each of xattrs; one that fails is said and the rest are still set
   * (an ACL listed after a value too large for the destination, as cp and
   * rsync keep it). False after any failure that is an error.
   */
  /** `said.acl`: set when an access ACL's failure was said ("preserving permissions"), which tells of the mode too. */
  private setXattrs(dst: Target, xattrs: Xattrs, path: Uint8Array, said?: { acl: boolean }): boolean {
    const b = this.b;
    const E = b.errno;
    const x = b.xattrs;
    let complete = true;
    /** What was said already: one line per reason, not per xattr (a filesystem gone read-only refuses them all). */
    const told = new Set<number>();
    for (const [name, value] of xattrs) {
      const r = !x ? -E.ENOTSUP : "fd" in dst ? x.set(dst.fd, name, value) : x.setAt(dst.dir, dst.name, name, value);
      if (r === 0) continue;
      const unsupported = r === -E.ENOTSUP || r === -E.EOPNOTSUPP;
      const notAllowed = r === -E.EPERM || r === -E.EACCES;
      // With -a alone, attributes this filesystem or user cannot have are
      // dropped quietly, as cp -a does; asked for by name, they are errors.
      // Not a POSIX access ACL (Linux keeps one only where it says more than
      // the mode; lost, the mode's group bits are its mask, which may grant
      // more than SOURCE's group had): cp -a fails it too. A directory's
      // default ACL that cannot be held goes quietly, as cp drops it, -p or not.
      const category = categoryOf(name);
      const aclLost = holdsModeBits(name);
      const required = aclLost || (this.o.require[category] && !(unsupported && Buffer.compare(name, ACL_DEFAULT) === 0));
      if (unsupported && x && !required) {
        const st = "fd" in dst ? b.fstat(dst.fd) : b.stat(dst.dir, dst.name, false);
        if (typeof st !== "number") this.refused.add(namespaceKey(st.dev, name));
      }
      if ((unsupported || notAllowed) && !required) continue;
      complete = false;
      if (category === "ownership") {
        // An owner kept as an xattr (SECURITY_OWNER_XATTR): said as chown's failure is.
        this.report.fail(`failed to preserve ownership for ${quote(path)}: ${b.strerror(-r)}`, { op: "chown", path, errno: -r });
        continue;
      }
      if (told.has(r)) continue;
      told.add(r);
      if (aclLost) {
        this.report.fail(`preserving permissions for ${quote(path)}: ${b.strerror(-r)}`, { op: "setxattr", path, errno: -r });
        if (said) said.acl = true;
        continue;
      }
      const what = unsupported ? "attributes" : `attribute ${quote(name)}`;
      this.report.fail(`setting ${what} for ${quote(path)}: ${b.strerror(-r)}`, { op: "setxattr", path, errno: -r });
    }
    return complete;
  }
}

/** Linux's ACL xattr (a 4-byte version, then 8-byte entries: tag, permissions, id) with its ACL_GROUP_OBJ entry's permissions cleared. */
function withoutOwningGroup(acl: Uint8Array): Uint8Array {
  const ACL_GROUP_OBJ = 0x04;
  const out = acl.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let at = 4; at + 8 <= out.length; at += 8) if (view.getUint16(at, true) === ACL_GROUP_OBJ) view.setUint16(at + 2, 0, true);
  return out;
}
