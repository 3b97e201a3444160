// How Windows writes a path as text: what the native backend and the
// portable fallback running on Windows (ffi/index.ts) split operands by.

import type { PathRules } from "../backend.ts";

/**
 * Windows paths: "\" or "/" between components, and roots that are not a
 * separator alone: "C:\", "C:" (that drive's current directory), "\\server\share\",
 * "\\?\C:\", "\\?\UNC\server\share\", "\\.\device\".
 */
export const WINDOWS_PATH_RULES: PathRules = {
  separators: "\\/",
  separator: "\\",
  sampleRoot: "D:\\",
  root: /^(?:[\\/]{2}[?.][\\/](?:UNC[\\/][^\\/]+[\\/][^\\/]+|[^\\/]+)|[\\/]{2}[^\\/?.][^\\/]*[\\/][^\\/]+|[A-Za-z]:)?[\\/]?/,
  dropsTrailingDots: true,
  verbatim: /^\\\\\?\\/,
};
