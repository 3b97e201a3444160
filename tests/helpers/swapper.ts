// Names exchanged under a running copy: a directory and a symlink swapped
// back and forth, for the tests that nothing is read or written through one.

/**
 * Swaps two names in cwd back and forth with renameat2(RENAME_EXCHANGE)
 * until killed: one is a directory, the other a symlink to a directory elsewhere.
 */
const SWAPPER = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = (os.fsencode(p) for p in sys.argv[1:3])
while True:
    libc.renameat2(-100, a, -100, b, 2)
`;

export function startSwapper(cwd: string, a: string, b: string) {
  return Bun.spawn(["python3", "-c", SWAPPER, a, b], { cwd, stdout: "ignore", stderr: "ignore" });
}
