#!/usr/bin/env python3
"""Describes a directory tree as JSON, for comparing copies with their source.

Usage: treecheck.py ROOT [--times] [--atimes] [--blocks] [--no-xattrs]

Walks with directory descriptors (openat/fstatat/readlinkat relative to an
open directory), so trees deeper than PATH_MAX work, and never follows a
symlink. Names are bytes; in the output, printable ASCII stays as is and any
other byte is written \\xNN. For every entry: type, mode, uid, gid, and as
they apply size, sha256, symlink target, rdev, xattrs (hex values, ACLs are
the system.posix_acl_* ones), mtime in ns, allocated 512-byte blocks.
Hard links are listed as groups of paths that share an inode.
"""
import hashlib
import json
import os
import stat
import sys


def show(name: bytes) -> str:
    return "".join(
        chr(b) if 0x21 <= b < 0x7F and b != 0x5C else "\\x%02x" % b for b in name
    )


def xattrs_of(dir_fd: int, name: bytes, fd: int | None) -> dict:
    # Symlinks and special files have no descriptor: go through /proc/self/fd,
    # which resolves the directory by descriptor and leaves the last component
    # unfollowed.
    target = fd if fd is not None else b"/proc/self/fd/%d/" % dir_fd + name
    try:
        names = os.listxattr(target, follow_symlinks=False) if fd is None else os.listxattr(fd)
    except OSError:
        return {}
    out = {}
    for attr in sorted(names):
        try:
            value = os.getxattr(target, attr, follow_symlinks=False) if fd is None else os.getxattr(fd, attr)
        except OSError as err:
            value = ("error: " + err.strerror).encode()
        out[attr] = value.hex()
    return out


def walk(root: str, opts: set) -> dict:
    entries = {}
    inodes = {}

    def visit(dir_fd: int, name: bytes, rel: str) -> None:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        mode = st.st_mode
        entry = {
            "type": kind(mode),
            "mode": "link" if stat.S_ISLNK(mode) else "%o" % stat.S_IMODE(mode),
            "uid": st.st_uid,
            "gid": st.st_gid,
        }
        fd = None
        try:
            if stat.S_ISREG(mode):
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
                digest = hashlib.sha256()
                while True:
                    chunk = os.read(fd, 1 << 20)
                    if not chunk:
                        break
                    digest.update(chunk)
                entry["size"] = st.st_size
                entry["sha256"] = digest.hexdigest()
                if "--blocks" in opts:
                    entry["blocks"] = st.st_blocks
            elif stat.S_ISDIR(mode):
                fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            elif stat.S_ISLNK(mode):
                entry["target"] = show(os.readlink(name, dir_fd=dir_fd))
            elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                entry["rdev"] = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            if "--no-xattrs" not in opts:
                xattrs = xattrs_of(dir_fd, name, fd)
                if xattrs:
                    entry["xattrs"] = xattrs
            if rel and "--times" in opts:
                entry["mtime_ns"] = str(st.st_mtime_ns)
            if rel and "--atimes" in opts:
                entry["atime_ns"] = str(st.st_atime_ns)
            if not stat.S_ISDIR(mode) and st.st_nlink > 1:
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel or ".")
            entries[rel or "."] = entry
            if stat.S_ISDIR(mode):
                # listdir(fd) gives str names (surrogate-escaped): back to bytes.
                for child in sorted(os.fsencode(c) for c in os.listdir(fd)):
                    visit(fd, child, (rel + "/" if rel else "") + show(child))
        finally:
            if fd is not None:
                os.close(fd)

    top = os.open(os.path.dirname(os.path.abspath(root)) or "/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        visit(top, os.fsencode(os.path.basename(os.path.abspath(root))), "")
    finally:
        os.close(top)
    groups = sorted(sorted(paths) for paths in inodes.values() if len(paths) > 1)
    return {"entries": entries, "hardlinks": groups}


def kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "dir"),
        (stat.S_ISLNK, "symlink"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISCHR, "char"),
        (stat.S_ISBLK, "block"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "unknown"


if __name__ == "__main__":
    sys.setrecursionlimit(100000)
    json.dump(walk(sys.argv[1], set(sys.argv[2:])), sys.stdout, indent=1, sort_keys=True)
