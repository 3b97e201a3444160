// cp's -Z and --context=CTX: the SELinux label copies get instead of their
// source's, and cp's checks of them against --preserve=context.

import type { Backend } from "../ffi/index.ts";
import type { CopyOptions, Preserve } from "./options.ts";

export type Labelling =
  | { ok: true; preserve: Preserve; label: Uint8Array | undefined; warnings: string[] }
  | { ok: false; error: string };

/**
 * As cp: without SELinux, -Z is ignored silently and each --context=CTX
 * with a warning; with it, either drops --preserve=context (from -a) unless that
 * was asked for by name, which is refused. -Z leaves each new entry the label
 * the kernel gives it where it is made (cp asks the policy's file contexts).
 */
export function labelling(options: CopyOptions, backend: Backend): Labelling {
  const { label, preserve, require } = options;
  if (label === undefined) return { ok: true, preserve, label: undefined, warnings: [] };
  if (!backend.securityLabels) {
    const warnings = Array<string>(options.contextArguments).fill("ignoring --context; it requires an SELinux-enabled kernel");
    return { ok: true, preserve, label: undefined, warnings };
  }
  if (require.context) return { ok: false, error: "cannot set target context and preserve it" };
  // The kernel stores a context with its terminating NUL, as setfscreatecon writes it.
  const bytes = label === "default" ? undefined : new TextEncoder().encode(`${label.context}\0`);
  return { ok: true, preserve: { ...preserve, context: false }, label: bytes, warnings: [] };
}
