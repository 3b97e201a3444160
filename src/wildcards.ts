// Operands with `*` or `?`, expanded by blit itself where the OS's shells
// leave that to the program (PathRules.expandsWildcards: Windows, where
// `blit *.tar D:\archive\` is typed as `copy *.tar` is). As the C runtime's
// setargv expands them: in the last name only (Windows matches nothing
// else), `*` any characters and `?` one, letters in either case, hidden
// names too, in name order; one that matches nothing stays as it was, and
// the copy then says it cannot find it.

import type { Backend } from "../ffi/index.ts";
import { fromBytes, pathSyntax, toBytes } from "./engine/paths.ts";

const WILDCARD = /[*?]/;

/** The operands, each with a wildcard in its last name replaced by the names it matches. */
export function expandWildcards(b: Backend, operands: string[]): string[] {
  if (!b.pathRules.expandsWildcards) return operands;
  const paths = pathSyntax(b.pathRules);
  return operands.flatMap((operand) => {
    // "*.tar\" would be directories only: left as it is.
    if (paths.endsWithSeparator(operand)) return [operand];
    const { dir, base } = paths.split(operand);
    if (!WILDCARD.test(base)) return [operand];
    const prefix = operand.slice(0, operand.length - base.length);
    if (WILDCARD.test(prefix)) return [operand];
    const names = matching(b, dir, base);
    return names.length > 0 ? names.map((name) => prefix + name) : [operand];
  });
}

/** The names in `dir` that `pattern` matches, in the order Windows sorts names (uppercased). */
function matching(b: Backend, dir: string, pattern: string): string[] {
  const fd = b.openDir(b.cwd, toBytes(dir), true);
  if (fd < 0) return [];
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  const re = new RegExp(`^${source}$`, "isu");
  const names: string[] = [];
  try {
    for (;;) {
      const entries = b.readDir(fd);
      if (typeof entries === "number" || entries.length === 0) break;
      for (const { name } of entries) {
        const text = fromBytes(name);
        if (re.test(text)) names.push(text);
      }
    }
  } finally {
    b.close(fd);
  }
  const key = (name: string) => name.toUpperCase();
  return names.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}
