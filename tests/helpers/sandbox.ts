// Fresh directories on the test machine's real filesystem, removed after.

import { mkdtempSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./blit.ts";

const made: string[] = [];

export function sandbox(label = "t"): string {
  const dir = mkdtempSync(join(process.env.BLIT_TEST_TMP ?? tmpdir(), `blit-${label}-`));
  made.push(dir);
  return dir;
}

export function removeTree(dir: string): void {
  // Trees under test may hold 0555 directories.
  run(["chmod", "-R", "u+rwX", dir]);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Why a test about copying bytes cannot run in the sandboxes' filesystem:
 * where files clone (btrfs, XFS with reflink), blit clones instead.
 */
export const sandboxClones: string | undefined = (() => {
  const dir = mkdtempSync(join(process.env.BLIT_TEST_TMP ?? tmpdir(), "blit-clone-probe-"));
  try {
    const probe = run(["sh", "-c", "printf x > a && cp --reflink=always a b"], { cwd: dir });
    return probe.exitCode === 0 ? `files clone in ${process.env.BLIT_TEST_TMP ?? tmpdir()}, so blit clones them instead of copying` : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** Run after every test by tests/setup.ts (a hook here would bind to one file only). */
export function removeSandboxes(): void {
  while (made.length) removeTree(made.pop()!);
}

export { chmodSync };
