// Exit statuses, documented in the README and in --help.
export const ExitCode = {
  /** Everything asked for was copied. */
  ok: 0,
  /** At least one file could not be copied (each failure was reported). */
  partial: 1,
  /** The command line itself was wrong; nothing was copied. */
  usage: 2,
  /** Everything else was copied, but source files vanished while the copy ran (as rsync's 24). */
  vanished: 24,
  /** --max-delete: more entries would have been deleted than it allows, so none was (rsync's 25); the rest was copied. */
  maxDelete: 25,
  /** Stopped by SIGHUP (128 + 1), SIGINT (128 + 2), SIGQUIT (128 + 3) or SIGTERM (128 + 15), temporary files removed. */
  hangup: 129,
  interrupted: 130,
  quit: 131,
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The status of a run whose stdout or stderr could not be written (`failed`):
 * 1 where the run was otherwise whole, or short only of what 24 and 25 tell,
 * which 1 outweighs; a usage error's or a signal's stays.
 */
export function withOutputFailure(status: number, failed: boolean): number {
  return failed && (status === ExitCode.ok || status === ExitCode.vanished || status === ExitCode.maxDelete) ? ExitCode.partial : status;
}
