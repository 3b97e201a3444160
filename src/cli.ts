// blit's entry point: picks the command and sets the exit status.

import { runCopy } from "./commands/copy.ts";
import { runDoctor } from "./commands/doctor.ts";

const argv = process.argv.slice(2);
const status = argv[0] === "doctor" ? await runDoctor(argv.slice(1)) : await runCopy(argv);
// Workers may still be winding down; the status is final.
process.exit(status);
