// The release targets, their Bun runtimes and asset names: the one table the
// build, the channels (formula, manifest) and the release tests read.

import pkg from "../package.json";

export type TargetName = "linux-x64" | "linux-x64-musl" | "linux-arm64" | "darwin-x64" | "darwin-arm64" | "windows-x64";

export interface ReleaseTarget {
  /** Bun's --target. x64 targets use Bun's baseline runtime, which needs no AVX2. */
  bun: string;
  /** The file users download. */
  asset: string;
  os: "linux" | "darwin" | "windows";
  /** Linux builds: the C library the executable and its shim link. */
  libc?: "glibc" | "musl";
  arch: "x64" | "arm64";
}

export const TARGETS: Record<TargetName, ReleaseTarget> = {
  "linux-x64": { bun: "bun-linux-x64-baseline", asset: "blit-linux-x64.tar.gz", os: "linux", libc: "glibc", arch: "x64" },
  // For Alpine and other musl systems (Bun's musl runtime needs libstdc++: `apk add libstdc++`).
  "linux-x64-musl": { bun: "bun-linux-x64-musl-baseline", asset: "blit-linux-x64-musl.tar.gz", os: "linux", libc: "musl", arch: "x64" },
  "linux-arm64": { bun: "bun-linux-arm64", asset: "blit-linux-arm64.tar.gz", os: "linux", libc: "glibc", arch: "arm64" },
  "darwin-x64": { bun: "bun-darwin-x64-baseline", asset: "blit-darwin-x64.tar.gz", os: "darwin", arch: "x64" },
  "darwin-arm64": { bun: "bun-darwin-arm64", asset: "blit-darwin-arm64.tar.gz", os: "darwin", arch: "arm64" },
  "windows-x64": { bun: "bun-windows-x64-baseline", asset: "blit-windows-x64.zip", os: "windows", arch: "x64" },
};

export const VERSION: string = pkg.version;

/** owner/name on GitHub, from package.json's repository. */
export const REPO: string = (() => {
  const url = typeof pkg.repository === "string" ? pkg.repository : pkg.repository.url;
  const match = /github\.com[/:]([^/]+\/[^/.]+)/.exec(url) ?? /^github:([^/]+\/[^/.]+)/.exec(url);
  if (!match) throw new Error(`package.json's repository is not on GitHub: ${url}`);
  return match[1]!;
})();

/** Where a version's assets are published. */
export const downloadBase = (version: string) => `https://github.com/${REPO}/releases/download/v${version}`;
