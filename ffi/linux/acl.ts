// A directory's default ACL as Linux keeps it (system.posix_acl_default,
// the kernel's posix_acl_xattr format): a 4-byte version (2), then entries
// of a 2-byte tag, a 2-byte permission (rwx) and a 4-byte id, little-endian.

/** The xattr holding a directory's default ACL. */
export const DEFAULT_ACL = new TextEncoder().encode("system.posix_acl_default");

const VERSION = 2;
const HEADER_BYTES = 4;
const ENTRY_BYTES = 8;
const USER_OBJ = 0x01;
const GROUP_OBJ = 0x04;
const MASK = 0x10;
const OTHER = 0x20;

/**
 * The permission bits a default ACL lets an entry made under it have, as
 * the kernel gives them (posix_acl_create_masq): the mode asked for, less
 * what its owner, group class (the mask, else the owning group) and other
 * entries lack; the umask plays no part. undefined for what is not such an ACL.
 */
export function permissionsOfAcl(acl: Uint8Array): number | undefined {
  if (acl.length < HEADER_BYTES || (acl.length - HEADER_BYTES) % ENTRY_BYTES !== 0) return undefined;
  const view = new DataView(acl.buffer, acl.byteOffset, acl.byteLength);
  if (view.getUint32(0, true) !== VERSION) return undefined;
  let owner: number | undefined;
  let group: number | undefined;
  let mask: number | undefined;
  let other: number | undefined;
  for (let at = HEADER_BYTES; at < acl.length; at += ENTRY_BYTES) {
    const perm = view.getUint16(at + 2, true) & 0o7;
    switch (view.getUint16(at, true)) {
      case USER_OBJ: owner = perm; break;
      case GROUP_OBJ: group = perm; break;
      case MASK: mask = perm; break;
      case OTHER: other = perm; break;
    }
  }
  if (owner === undefined || group === undefined || other === undefined) return undefined;
  return (owner << 6) | ((mask ?? group) << 3) | other;
}
