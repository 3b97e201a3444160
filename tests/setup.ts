// Preloaded once for the whole `bun test` process (bunfig.toml), so its hooks
// apply to every test in every file.

import { afterAll, afterEach } from "bun:test";
import { undoMounts } from "./helpers/mounts.ts";
import { removeSandboxes } from "./helpers/sandbox.ts";

// Sandboxes first: some sit on the mounts.
afterEach(() => {
  removeSandboxes();
  undoMounts();
});
afterAll(() => {
  removeSandboxes();
  undoMounts();
});
