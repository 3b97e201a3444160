// Preloaded once for the whole `bun test` process (bunfig.toml), so its hooks
// apply to every test in every file.

import { afterAll, afterEach } from "bun:test";
import { undoMounts } from "./helpers/mounts.ts";

afterEach(undoMounts);
afterAll(undoMounts);
