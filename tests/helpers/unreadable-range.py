# A FUSE filesystem of one read-only file, `f`: the bytes of BACKING, except
# that a read overlapping [FROM, TO) fails with EIO, as a disk's bad sectors
# do. Run in the foreground until unmounted:
#   python3 unreadable-range.py BACKING MOUNTPOINT FROM TO
import errno
import os
import stat
import sys

from fusepy import FUSE, FuseOSError, Operations


class UnreadableRange(Operations):
    def __init__(self, backing, start, end):
        self.fd = os.open(backing, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        self.start, self.end = start, end

    def getattr(self, path, fh=None):
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2}
        if path == "/f":
            return {"st_mode": stat.S_IFREG | 0o644, "st_nlink": 1, "st_size": self.size, "st_mtime": 1e9}
        raise FuseOSError(errno.ENOENT)

    def readdir(self, path, fh):
        return [".", "..", "f"]

    def open(self, path, flags):
        if path != "/f":
            raise FuseOSError(errno.ENOENT)
        return 0

    def read(self, path, size, offset, fh):
        if offset < self.end and offset + size > self.start:
            raise FuseOSError(errno.EIO)
        return os.pread(self.fd, size, offset)


if __name__ == "__main__":
    backing, mountpoint, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    FUSE(UnreadableRange(backing, start, end), mountpoint, foreground=True, ro=True)
