// --itemize: rsync's `-i` lines (`%i %n%L`): YXcstpoguax, the name, and
// ` -> target` after a symlink made.
// Y: `>` a file's data written, `c` another entry made, `h` a hard link,
// `.` nothing written, `*deleting` removed. X: f d L S. Then, for an entry
// made where nothing was, `+++++++++`; for one that replaced another, the
// letter of each attribute that differed (c s t p o g u a x; T for t when
// times are not kept) or `.`; for one skipped, spaces, as rsync's -ii shows
// an entry left as it was.

import type { Item } from "../engine/report.ts";
import { fromBytes } from "../engine/paths.ts";

const TYPE = { file: "f", directory: "d", symlink: "L", hardlink: "f", special: "S" } as const;
const ATTRIBUTES = "cstpoguax";

export function itemizeLine(item: Item): string {
  const name = fromBytes(item.dst) + (item.kind === "directory" ? "/" : "");
  if (item.action === "deleted") return `*deleting   ${name}`;
  const x = TYPE[item.kind];
  if (item.action === "skipped") return `.${x}          ${name}`;
  const y = item.action === "attributes" ? "." : item.kind === "hardlink" ? "h" : item.kind === "file" ? ">" : "c";
  const target = item.target ? ` -> ${fromBytes(item.target)}` : "";
  if (item.action === "created") return `${y}${x}+++++++++ ${name}${target}`;
  const changed = item.changed ?? "";
  // `T` in t's place: the time set to when the copy was made (rsync's, without --times).
  const letters = [...ATTRIBUTES].map((letter) => (changed.includes(letter) ? letter : letter === "t" && changed.includes("T") ? "T" : ".")).join("");
  return `${y}${x}${letters} ${name}${target}`;
}
