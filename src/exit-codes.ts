// Exit statuses, documented in the README and in --help.
export const ExitCode = {
  /** Everything asked for was copied. */
  ok: 0,
  /** At least one file could not be copied (each failure was reported). */
  partial: 1,
  /** The command line itself was wrong; nothing was copied. */
  usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
