// Paths as bytes: names from the kernel are never decoded on their way
// through the engine, only when a message shows them.

const encoder = new TextEncoder();
const SLASH = 0x2f;

export function toBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** parent + "/" + name, without doubling a slash the user typed. */
export function joinPath(parent: Uint8Array, name: Uint8Array): Uint8Array {
  const needsSlash = parent.length > 0 && parent[parent.length - 1] !== SLASH;
  const out = new Uint8Array(parent.length + (needsSlash ? 1 : 0) + name.length);
  out.set(parent);
  if (needsSlash) out[parent.length] = SLASH;
  out.set(name, out.length - name.length);
  return out;
}

/** Splits a path into its directory and last component, as dirname/basename. */
export function splitPath(path: string): { dir: string; base: string } {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return { dir: "/", base: "." };
  const slash = trimmed.lastIndexOf("/");
  if (slash < 0) return { dir: ".", base: trimmed };
  return { dir: trimmed.slice(0, slash) || "/", base: trimmed.slice(slash + 1) };
}
