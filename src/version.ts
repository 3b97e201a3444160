import { version } from "../package.json";

export const VERSION: string = version;

// Set by build.ts (bun build --define): the commit built and the release
// target. Run from source, neither is known.
declare const BLIT_BUILD: { commit: string; target: string } | undefined;

export const BUILD: { commit: string; target: string } =
  typeof BLIT_BUILD === "undefined" ? { commit: "unknown", target: "unknown (run from source)" } : BLIT_BUILD;

/** What `blit --version` prints: `blit 0.1.0 (commit 0123456789ab, linux-x64)`. */
export const VERSION_LINE = `blit ${VERSION} (commit ${BUILD.commit}, ${BUILD.target})`;
