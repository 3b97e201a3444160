// Temporary names for files being written: recognisable, unique per process,
// run and worker, and carrying the writer's pid so that a later run can tell
// leftovers of a dead run (removed) from a live run's files (left alone);
// Copier.removeLeftovers decides.


const PATTERN = /^\.blit-(\d+)-[0-9a-f]{8}-\d+-[0-9a-z]+\.tmp$/;
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
// Not paths.toBytes: these names are ASCII, and one is made for every file.
const encoder = new TextEncoder();

export class TempNames {
  private serial = 0;

  constructor(
    private readonly runId: string,
    private readonly workerIndex: number,
  ) {}

  next(): Uint8Array {
    return encoder.encode(`.blit-${process.pid}-${this.runId}-${this.workerIndex}-${(this.serial++).toString(36)}.tmp`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True for any blit temporary file, a live run's too: --delete leaves them to their writers. */
export function isTempName(name: Uint8Array): boolean {
  return name.length <= 64 && name[0] === 0x2e && PATTERN.test(decoder.decode(name));
}

/** True for a temporary file of a blit process that no longer runs here (its pid says so). */
export function isLeftover(name: Uint8Array): boolean {
  if (name.length > 64 || name[0] !== 0x2e) return false;
  const match = PATTERN.exec(decoder.decode(name));
  if (!match) return false;
  const pid = Number(match[1]);
  return pid !== process.pid && !alive(pid);
}
