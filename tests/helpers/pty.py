#!/usr/bin/env python3
"""Runs a command with its stderr (and, with --stdout-too, its stdout) on a
pseudo-terminal of 100 columns (or $PTY_COLUMNS), the way a person's terminal runs it.

    pty.py [--stdout-too] TRANSCRIPT COMMAND...

Writes every byte the command wrote to the terminal into TRANSCRIPT and
exits with the command's status. Its stdin is /dev/null; stdout, unless
--stdout-too, is inherited (a pipe in the tests).
"""
import fcntl
import os
import struct
import subprocess
import sys
import termios


def main() -> int:
    args = sys.argv[1:]
    stdout_too = args[0] == "--stdout-too"
    if stdout_too:
        args = args[1:]
    transcript, command = args[0], args[1:]
    leader, follower = os.openpty()
    columns = int(os.environ.get("PTY_COLUMNS", "100"))
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=follower if stdout_too else None, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    with open(transcript, "wb") as out:
        out.write(b"".join(chunks))
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
