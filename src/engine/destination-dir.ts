// A directory that entries are made in, outside the copy (DEST's parent).
// One this user may search and write but not read (a drop box, mode 0733,
// which cp copies into) is opened without read access where the backend
// can: it is then only made into, never listed.

import type { Backend, Name } from "../../ffi/index.ts";

export function openDestinationDir(b: Backend, dir: number, name: Name, follow: boolean): number {
  const fd = b.openDir(dir, name, follow);
  return fd === -b.errno.EACCES && b.openUnreadableDir ? b.openUnreadableDir(dir, name, follow) : fd;
}
