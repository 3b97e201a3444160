// --skip-unchanged and --checksum: whether what is at a destination already
// holds SOURCE's data, so only its attributes may need setting. rsync's
// quick check (size and mtime), or the contents compared; and which of the
// attributes the options keep differ.

import { type Identity, type Name, S_IFDIR, S_IFMT, type Stat } from "../../ffi/index.ts";
import type { EngineOptions } from "../options.ts";
import type { Xattrs } from "./metadata.ts";

/**
 * How far apart two mtimes may be and still be one: what a backend that sets
 * times in microseconds, or as a floating-point number of seconds (the
 * portable one, through node:fs), makes of a time kept to the nanosecond.
 */
const MICROSECOND_NS = 1_000;

/**
 * The setuid and setgid bits a directory keeps when SOURCE's mode is set on
 * it, as cp -a keeps them (GNU chmod's rule for directories; rsync -a clears
 * them): those it has, unless SOURCE's mode has a setuid, setgid or sticky
 * bit of its own, which cp then sets exactly.
 */
export function dirKeptBits(srcMode: number): number {
  return srcMode & 0o7000 ? 0 : 0o6000;
}

/**
 * Whether a file left unchanged may be counted from its stats alone
 * (Copier.unchangedAsStatted), without building its entry: --skip-unchanged
 * by size and mtime, where leaving a file does no more than count it: not
 * listed (--itemize, --json; -v lists none), not kept by --no-clobber, no --context
 * label, and not where nothing is compared (-l, -s, --attributes-only).
 */
export function countsUnchangedFromStats(o: EngineOptions): boolean {
  return o.skipUnchanged && !o.checksum && !o.link && !o.symbolicLink && !o.attributesOnly && !o.listItems && !o.noClobber && o.label === undefined;
}

/**
 * rsync's quick check: the same size and the same mtime as sameTimes
 * judges it (by default to the nanosecond or to what DEST could hold;
 * --modify-window=N whole seconds at most N apart; -1 the nanosecond exactly).
 */
export function quickCheck(src: Stat, dst: Stat, modifyWindow: number): boolean {
  return src.size === dst.size && sameTimes(src, dst, modifyWindow);
}

/**
 * The mtimes are the same, so setting them would change nothing (rsync
 * leaves those within the window too). Without a window, to the nanosecond
 * or to what the destination could hold: less than a microsecond apart
 * (a time set in microseconds), SOURCE's second with no fraction (a
 * filesystem that keeps seconds: ext3, HFS+, many network filesystems), or
 * closer than the step its backend says the destination keeps times in
 * (FAT's 2 s, as robocopy's /FFT: setting SOURCE's there would land on the
 * same time again). A negative window (rsync's -1) asks for the nanosecond
 * itself, whatever the destination could hold.
 */
export function sameTimes(src: Stat, dst: Stat, modifyWindow: number): boolean {
  if (modifyWindow > 0) return Math.abs(src.mtimeSec - dst.mtimeSec) <= modifyWindow;
  if (modifyWindow < 0) return src.mtimeSec === dst.mtimeSec && src.mtimeNsec === dst.mtimeNsec;
  const apartNs = Math.abs((dst.mtimeSec - src.mtimeSec) * 1e9 + (dst.mtimeNsec - src.mtimeNsec));
  return apartNs < Math.max(MICROSECOND_NS, dst.timeStepNs ?? 0) || (dst.mtimeSec === src.mtimeSec && dst.mtimeNsec === 0);
}

/**
 * -u: DEST is kept where its mtime is not older than SOURCE's. With
 * --modify-window=N SOURCE must be newer by more than N seconds, as with
 * rsync -u; with -p (-a) SOURCE's time counts as the destination could hold
 * it, as cp's utimecmp truncates it there, with sameTimes' allowances: its
 * second where DEST's time has no fraction (a filesystem that keeps
 * seconds), less than a microsecond (a time set in microseconds, or 100 ns
 * steps), and less than the step a FAT or exFAT volume keeps; else -au
 * would copy again, every run, each file whose time has a fraction. -1
 * compares to the nanosecond.
 */
export function updateKeeps(src: Stat, dst: Stat, modifyWindow: number, asDestHolds: boolean): boolean {
  if (dst.mtimeSec > src.mtimeSec || (dst.mtimeSec === src.mtimeSec && dst.mtimeNsec >= src.mtimeNsec)) return true;
  if (modifyWindow > 0) return src.mtimeSec - dst.mtimeSec <= modifyWindow;
  if (!asDestHolds || modifyWindow < 0) return false;
  if (dst.mtimeSec === src.mtimeSec && dst.mtimeNsec === 0) return true;
  const newerNs = (src.mtimeSec - dst.mtimeSec) * 1e9 + (src.mtimeNsec - dst.mtimeNsec);
  return newerNs < Math.max(MICROSECOND_NS, dst.timeStepNs ?? 0);
}

/**
 * What makes DEST's attributes SOURCE's: those SOURCE has that DEST lacks or
 * holds with another value, and the names DEST has that SOURCE lacks.
 */
export function xattrChanges(src: Xattrs, dst: Xattrs): { set: Xattrs; remove: Name[] } {
  const key = (name: Uint8Array) => Buffer.from(name).toString("latin1");
  const there = new Map(dst.map(([name, value]) => [key(name), value]));
  const set = src.filter(([name, value]) => {
    const k = key(name);
    const other = there.get(k);
    there.delete(k);
    return other === undefined || Buffer.compare(value, other) !== 0;
  });
  const remove = dst.filter(([name]) => there.has(key(name))).map(([name]) => name);
  return { set, remove };
}

/**
 * The owners this process can give what it writes: any as root or with
 * CAP_CHOWN (and where the OS has no owners: every Stat then says uid 0);
 * as another user, no uid of another, and only the groups it is in, which
 * is what rsync -og keeps for a user. cp tries the rest and says nothing;
 * counted as a difference, what cannot be set would be listed and tried
 * again on every run.
 */
export interface OwnerRights {
  anyOwner: boolean;
  /** This user, where it is not anyOwner's. */
  uid?: number;
  groups: ReadonlySet<number>;
}

export function ownerRights(identity: Identity | undefined): OwnerRights {
  if (!identity || identity.uid === 0 || identity.chownsAny) return { anyOwner: true, groups: new Set() };
  return { anyOwner: false, uid: identity.uid, groups: new Set([identity.gid, ...(identity.groups ?? [])]) };
}

/** Whether a copy gets SOURCE's owner and group (`st`'s) as this user writes it: else MetadataWriter.apply drops its set-id bits. */
export function ownerGiven(rights: OwnerRights, st: Stat): boolean {
  return rights.anyOwner || (st.uid === rights.uid && rights.groups.has(st.gid));
}

/**
 * What of SOURCE's attributes the options keep differs at the destination
 * (ignoring xattrs, compared apart). The OS's attribute word (Windows'
 * hidden, system, read-only...; macOS's st_flags) is kept with the mode,
 * compared in the bits its backend sets (`kept`; none without the capability).
 */
export function attributesDiffer(o: EngineOptions, src: Stat, dst: Stat, kept: number, rights: OwnerRights): { owner: boolean; uid: boolean; gid: boolean; mode: boolean; times: boolean; word: boolean } {
  // What a directory keeps of its own (Copier.finishDirectory) is no difference.
  const dstMode = (dst.mode & S_IFMT) === S_IFDIR ? dst.mode & ~dirKeptBits(src.mode) : dst.mode;
  const uid = o.preserve.ownership && src.uid !== dst.uid && rights.anyOwner;
  const gid = o.preserve.ownership && src.gid !== dst.gid && (rights.anyOwner || rights.groups.has(src.gid));
  // A copy whose owner could not be kept has no setuid or setgid (MetadataWriter.apply).
  const ownerKept = !o.preserve.ownership || rights.anyOwner || (src.uid === dst.uid && src.gid === dst.gid);
  const srcMode = ownerKept ? src.mode : src.mode & ~0o6000;
  return {
    owner: uid || gid,
    uid,
    gid,
    mode: o.preserve.mode && (srcMode & 0o7777) !== (dstMode & 0o7777),
    times: o.preserve.timestamps && !sameTimes(src, dst, o.modifyWindow),
    word: o.preserve.mode && src.attributes !== undefined && ((src.attributes ^ (dst.attributes ?? 0)) & kept) !== 0,
  };
}
