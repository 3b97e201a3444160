// Preloaded once for the whole `bun test` process (bunfig.toml), so its hooks
// apply to every test in every file.

import { afterAll, afterEach } from "bun:test";
import { undoMounts } from "./helpers/mounts.ts";
import { removeSandboxes } from "./helpers/sandbox.ts";

/**
 * Removing a test's trees (tens of thousands of entries in some) can take
 * longer than a hook's default 5 s on a loaded 2-CPU machine, and a hook that
 * runs out fails the test that passed.
 */
const CLEAN_UP_MS = 120_000;

// Sandboxes first: some sit on the mounts.
afterEach(() => {
  removeSandboxes();
  undoMounts();
}, CLEAN_UP_MS);
afterAll(() => {
  removeSandboxes();
  undoMounts();
}, CLEAN_UP_MS);
