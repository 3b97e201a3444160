/*
 * blit_darwin.c - blit's native shim for macOS, over libSystem: clones into
 * a new name (fclonefileat), directory listings with metadata in one call
 * (getattrlistbulk), no-replace renames (renameatx_np), birth times and BSD
 * flags (setattrlist), ACLs, and fixed-arity wrappers for the rest.
 *
 * Built here with zig (build.ts does this), one dylib per architecture,
 * linked against libSystem only:
 *
 *   zig cc -target aarch64-macos.13.0 -shared -O2 -fvisibility=hidden \
 *       -I c -o build/shim/darwin-arm64/libblit.dylib c/darwin/blit_darwin.c
 *
 * The same file also builds for Linux (gcc, without __APPLE__): everything
 * POSIX here - the descriptor-relative calls, reads and writes, holes, the
 * stat record - is then the very code that runs on a Mac, and the tests drive
 * it through ffi/darwin/ on Linux. Where macOS has a call of its own, the
 * Linux build stands in with its nearest equivalent (getdents64 and fstatat
 * for getattrlistbulk, renameat2 for renameatx_np, /proc/self/fd for
 * F_GETPATH, create + FICLONE for fclonefileat) or says -EOPNOTSUPP (birth
 * times, BSD flags, ACLs), and blit_features() tells TypeScript which.
 *
 * Every exported function returns >= 0 on success or a negated errno value.
 * None is variadic: bun:ffi passes variadic arguments wrongly on Apple arm64
 * (they go on the stack there), which is why open(2) and fcntl(2) only appear
 * behind wrappers.
 */
#ifndef __APPLE__
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef __APPLE__
#include <crt_externs.h>
#include <sys/acl.h>
#include <sys/attr.h>
#include <sys/clonefile.h>
#include <sys/mount.h>
#include <sys/select.h>
#include <sys/sysctl.h>
/*
 * zig's macOS headers have no <sys/xattr.h>: these are libSystem's own
 * six-argument prototypes (position and options), not Linux's.
 */
#define XATTR_NOFOLLOW 0x0001
/* No symlink followed anywhere in the path (macOS 11): the path-based calls below. */
#define XATTR_NOFOLLOW_ANY 0x0040
#define PATH_XATTR_OPTIONS (XATTR_NOFOLLOW | XATTR_NOFOLLOW_ANY)
ssize_t flistxattr(int fd, char *namebuf, size_t size, int options);
ssize_t fgetxattr(int fd, const char *name, void *value, size_t size, uint32_t position, int options);
int fsetxattr(int fd, const char *name, const void *value, size_t size, uint32_t position, int options);
ssize_t listxattr(const char *path, char *namebuf, size_t size, int options);
ssize_t getxattr(const char *path, const char *name, void *value, size_t size, uint32_t position, int options);
int setxattr(const char *path, const char *name, const void *value, size_t size, uint32_t position, int options);
int fremovexattr(int fd, const char *name, int options);
int removexattr(const char *path, const char *name, int options);
/* Nor <sys/vnode.h>: ATTR_CMN_OBJTYPE's values, xnu's enum vtype. */
enum { VNON, VREG, VDIR, VBLK, VCHR, VLNK, VSOCK, VFIFO };
#else
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#endif

#include "../blit_abi.h"
#include "blit_darwin.h"

#define BLIT_EXPORT __attribute__((visibility("default")))

/* Calls into the shim by this thread: the FFI crossings --stats reports. */
static __thread uint64_t native_calls;

static inline int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

static inline int int_result(int ret)
{
	return ret < 0 ? neg_errno() : ret;
}

static inline int64_t ssize_result(ssize_t ret)
{
	return ret < 0 ? neg_errno() : (int64_t)ret;
}

/* ------------------------------------------------------------------ */
/* Identity                                                             */
/* ------------------------------------------------------------------ */

BLIT_EXPORT int blit_abi_version(void)
{
	return BLIT_ABI_VERSION;
}

/* Calls into the shim made so far by the calling thread (this one not counted). */
BLIT_EXPORT uint64_t blit_native_calls(void)
{
	return native_calls;
}

/* What this build can do beyond POSIX: BLIT_FEATURE_* bits. */
BLIT_EXPORT uint32_t blit_features(void)
{
#ifdef __APPLE__
	return BLIT_FEATURE_CLONE | BLIT_FEATURE_BULK_LIST | BLIT_FEATURE_BIRTHTIME | BLIT_FEATURE_FLAGS |
	       BLIT_FEATURE_ACL | BLIT_FEATURE_NOCACHE | BLIT_FEATURE_VOLUME_CAPS;
#else
	/* The stand-in for fclonefileat (FICLONE) clones where Linux can: the engine's path is the same. */
	return BLIT_FEATURE_CLONE;
#endif
}

/* Writes strerror(err) into buf, always NUL-terminated; returns its length. */
BLIT_EXPORT int blit_strerror(int err, char *buf, uint32_t len)
{
	native_calls++;
	if (len == 0)
		return 0;
#if defined(__APPLE__) || !defined(__GLIBC__)
	if (strerror_r(err, buf, len) != 0)
		snprintf(buf, len, "Unknown error: %d", err);
#else
	/* GNU strerror_r may return a static string instead of filling buf. */
	const char *msg = strerror_r(err, buf, len);
	if (msg != buf)
		snprintf(buf, len, "%s", msg);
#endif
	return (int)strlen(buf);
}

/* The errno "no such attribute": macOS's xattr calls say ENOATTR (its ENODATA is a STREAMS error). */
#ifdef __APPLE__
#define NO_ATTRIBUTE ENOATTR
#else
#define NO_ATTRIBUTE ENODATA
#endif

/*
 * Flag and errno values differ between macOS and Linux, so TypeScript asks
 * for them. The order is CONSTANT_NAMES then ERRNO_NAMES in ffi/darwin/shim.ts.
 */
BLIT_EXPORT int blit_darwin_constants(int64_t *out, uint32_t count)
{
	native_calls++;
	const int64_t values[] = {
		O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_NONBLOCK,
		O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC,
		AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EACCESS,
		SEEK_DATA, SEEK_HOLE, SEEK_END, W_OK, POLLIN, POLLOUT,
		/* errno values, in the order of ffi/backend.ts's ErrnoTable */
		EPERM, ENOENT, EIO, ENXIO, EBADF, EAGAIN, ENOMEM, EACCES, EEXIST, EXDEV,
		ENOTDIR, EISDIR, EINVAL, ETXTBSY, ENOSPC, EMLINK, ERANGE, ENOSYS, ELOOP,
		ENOTEMPTY, NO_ATTRIBUTE, EOPNOTSUPP, ENOTSUP, ENOTTY, EDQUOT, ECANCELED, EROFS, ENAMETOOLONG,
		EMFILE, ENFILE, EBUSY,
	};
	uint32_t n = sizeof(values) / sizeof(values[0]);

	for (uint32_t i = 0; i < count && i < n; i++)
		out[i] = values[i];
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* The stat record                                                      */
/* ------------------------------------------------------------------ */

#ifdef __APPLE__
/*
 * The blocks the engine judges holes by. A compressed file (UF_COMPRESSED)
 * is allocated far less than its size with no hole in it, and an iCloud
 * placeholder (SF_DATALESS) not at all: each is counted as full, so that
 * its bytes are read (a placeholder's fetched, as cp's read fetches them),
 * never mapped with SEEK_DATA, which knows nothing of either.
 */
static int64_t blocks_for_holes(const struct blit_stat *st)
{
	if ((st->valid & BLIT_STAT_FLAGS) && (st->flags & (UF_COMPRESSED | SF_DATALESS)))
		return (st->size + 511) / 512;
	return st->blocks;
}
#endif

static void fill_stat(struct blit_stat *out, const struct stat *st)
{
	memset(out, 0, sizeof(*out));
	out->mode = st->st_mode;
	out->uid = st->st_uid;
	out->gid = st->st_gid;
	out->nlink = (uint32_t)st->st_nlink;
	out->rdev_major = major(st->st_rdev);
	out->rdev_minor = minor(st->st_rdev);
	out->ino = (uint64_t)st->st_ino;
	out->size = st->st_size;
	out->blocks = st->st_blocks;
#ifdef __APPLE__
	/* dev_t is 32 bits here: not sign-extended, as getattrlistbulk's is not. */
	out->dev = (uint64_t)(uint32_t)st->st_dev;
	out->atime_sec = st->st_atimespec.tv_sec;
	out->atime_nsec = st->st_atimespec.tv_nsec;
	out->mtime_sec = st->st_mtimespec.tv_sec;
	out->mtime_nsec = st->st_mtimespec.tv_nsec;
	out->ctime_sec = st->st_ctimespec.tv_sec;
	out->ctime_nsec = st->st_ctimespec.tv_nsec;
	out->birth_sec = st->st_birthtimespec.tv_sec;
	out->birth_nsec = st->st_birthtimespec.tv_nsec;
	out->flags = st->st_flags;
	out->valid = BLIT_STAT_BIRTHTIME | BLIT_STAT_FLAGS;
	out->blocks = blocks_for_holes(out);
#else
	out->dev = (uint64_t)st->st_dev;
	out->atime_sec = st->st_atim.tv_sec;
	out->atime_nsec = st->st_atim.tv_nsec;
	out->mtime_sec = st->st_mtim.tv_sec;
	out->mtime_nsec = st->st_mtim.tv_nsec;
	out->ctime_sec = st->st_ctim.tv_sec;
	out->ctime_nsec = st->st_ctim.tv_nsec;
#endif
}

BLIT_EXPORT int blit_fstatat(int dirfd, const char *path, int flags, struct blit_stat *out)
{
	native_calls++;
	struct stat st;

	if (fstatat(dirfd, path, &st, flags) < 0)
		return neg_errno();
	fill_stat(out, &st);
	return 0;
}

BLIT_EXPORT int blit_fstat(int fd, struct blit_stat *out)
{
	native_calls++;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return neg_errno();
	fill_stat(out, &st);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Listing a directory with each entry's metadata                       */
/* ------------------------------------------------------------------ */

/*
 * Appends one entry (struct blit_dirent, then the name and a NUL, padded to
 * 8 bytes) at buf + at; returns the new end. The callers read from the
 * kernel only as much as always fits; an entry that did not would be left
 * out rather than written past the end.
 */
static size_t put_entry(uint8_t *buf, size_t len, size_t at, const char *name, size_t name_len,
			const struct blit_stat *st)
{
	size_t reclen = (sizeof(struct blit_dirent) + name_len + 1 + 7) & ~(size_t)7;
	struct blit_dirent *ent = (struct blit_dirent *)(buf + at);

	if (at + reclen > len)
		return at;
	memset(ent, 0, sizeof(*ent));
	ent->reclen = (uint32_t)reclen;
	ent->name_len = (uint32_t)name_len;
	if (st) {
		ent->has_stat = 1;
		ent->stat = *st;
	}
	memcpy(buf + at + sizeof(*ent), name, name_len);
	buf[at + sizeof(*ent) + name_len] = 0;
	return at + reclen;
}

static int is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

#ifdef __APPLE__

/* What getattrlistbulk returns for each entry, in the order the kernel packs it. */
#define BULK_COMMON (ATTR_CMN_RETURNED_ATTRS | ATTR_CMN_NAME | ATTR_CMN_DEVID | ATTR_CMN_OBJTYPE | \
		     ATTR_CMN_CRTIME | ATTR_CMN_MODTIME | ATTR_CMN_CHGTIME | ATTR_CMN_ACCTIME | \
		     ATTR_CMN_OWNERID | ATTR_CMN_GRPID | ATTR_CMN_ACCESSMASK | ATTR_CMN_FLAGS | \
		     ATTR_CMN_FILEID | ATTR_CMN_ERROR)
#define BULK_DIR (ATTR_DIR_LINKCOUNT)
#define BULK_FILE (ATTR_FILE_LINKCOUNT | ATTR_FILE_DEVTYPE | ATTR_FILE_DATALENGTH | ATTR_FILE_DATAALLOCSIZE)

/* A reader over one packed entry: values are 4-byte aligned, so copied out, never cast. */
struct packed {
	const uint8_t *at;
};

static uint32_t take_u32(struct packed *p)
{
	uint32_t v;

	memcpy(&v, p->at, 4);
	p->at += 4;
	return v;
}

static uint64_t take_u64(struct packed *p)
{
	uint64_t v;

	memcpy(&v, p->at, 8);
	p->at += 8;
	return v;
}

static void take_time(struct packed *p, int64_t *sec, int64_t *nsec)
{
	struct timespec ts;

	memcpy(&ts, p->at, sizeof(ts));
	p->at += sizeof(ts);
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
}

static const uint32_t vtype_mode[] = {
	[VREG] = S_IFREG, [VDIR] = S_IFDIR, [VBLK] = S_IFBLK, [VCHR] = S_IFCHR,
	[VLNK] = S_IFLNK, [VSOCK] = S_IFSOCK, [VFIFO] = S_IFIFO,
};

/*
 * One getattrlistbulk entry as a blit_stat (lstat's view: the kernel never
 * follows a listed symlink). Only the attributes the kernel returned for the
 * entry are packed, in the order of their bits (but ATTR_CMN_ERROR, first);
 * each is taken only if its bit is set in the entry's own returned set. Returns 1 for a directory, 0 for
 * another entry, -1 when it must be stat'ed on its own (an error for it, a
 * type blit has no st_mode for, or an attribute missing).
 */
static int bulk_stat(const uint8_t *entry, struct blit_stat *st, const char **name, size_t *name_len)
{
	struct packed p = { entry + 4 };
	attribute_set_t got;
	attrreference_t name_ref;
	uint32_t type = VNON, error = 0, links = 0, devtype = 0;
	const attrgroup_t needed = ATTR_CMN_NAME | ATTR_CMN_DEVID | ATTR_CMN_OBJTYPE | ATTR_CMN_MODTIME |
				   ATTR_CMN_ACCTIME | ATTR_CMN_OWNERID | ATTR_CMN_GRPID | ATTR_CMN_ACCESSMASK |
				   ATTR_CMN_FILEID;

	memcpy(&got, p.at, sizeof(got));
	p.at += sizeof(got);
	memset(st, 0, sizeof(*st));
	*name = "";
	*name_len = 0;
	/* Out of bit order: the kernel puts the error right after the returned set (getattrlistbulk(2)). */
	if (got.commonattr & ATTR_CMN_ERROR)
		error = take_u32(&p);
	if (got.commonattr & ATTR_CMN_NAME) {
		/* The offset counts from the reference itself. */
		memcpy(&name_ref, p.at, sizeof(name_ref));
		*name = (const char *)p.at + name_ref.attr_dataoffset;
		*name_len = name_ref.attr_length ? strnlen(*name, name_ref.attr_length) : 0;
		p.at += sizeof(name_ref);
	}
	if (got.commonattr & ATTR_CMN_DEVID)
		st->dev = take_u32(&p);
	if (got.commonattr & ATTR_CMN_OBJTYPE)
		type = take_u32(&p);
	if (got.commonattr & ATTR_CMN_CRTIME) {
		take_time(&p, &st->birth_sec, &st->birth_nsec);
		st->valid |= BLIT_STAT_BIRTHTIME;
	}
	if (got.commonattr & ATTR_CMN_MODTIME)
		take_time(&p, &st->mtime_sec, &st->mtime_nsec);
	if (got.commonattr & ATTR_CMN_CHGTIME)
		take_time(&p, &st->ctime_sec, &st->ctime_nsec);
	if (got.commonattr & ATTR_CMN_ACCTIME)
		take_time(&p, &st->atime_sec, &st->atime_nsec);
	if (got.commonattr & ATTR_CMN_OWNERID)
		st->uid = take_u32(&p);
	if (got.commonattr & ATTR_CMN_GRPID)
		st->gid = take_u32(&p);
	if (got.commonattr & ATTR_CMN_ACCESSMASK)
		st->mode = take_u32(&p) & 07777;
	if (got.commonattr & ATTR_CMN_FLAGS) {
		st->flags = take_u32(&p);
		st->valid |= BLIT_STAT_FLAGS;
	}
	if (got.commonattr & ATTR_CMN_FILEID)
		st->ino = take_u64(&p);
	if (got.dirattr & ATTR_DIR_LINKCOUNT)
		links = take_u32(&p);
	if (got.fileattr & ATTR_FILE_LINKCOUNT)
		links = take_u32(&p);
	if (got.fileattr & ATTR_FILE_DEVTYPE)
		devtype = take_u32(&p);
	if (got.fileattr & ATTR_FILE_DATALENGTH)
		st->size = (int64_t)take_u64(&p);
	if (got.fileattr & ATTR_FILE_DATAALLOCSIZE)
		st->blocks = (int64_t)((take_u64(&p) + 511) / 512);
	if (error || (got.commonattr & needed) != needed || !links ||
	    type >= sizeof(vtype_mode) / sizeof(vtype_mode[0]) || !vtype_mode[type])
		return -1;
	st->mode |= vtype_mode[type];
	st->nlink = links;
	st->blocks = blocks_for_holes(st);
	if (type == VBLK || type == VCHR) {
		st->rdev_major = major(devtype);
		st->rdev_minor = minor(devtype);
	}
	return type == VDIR ? 1 : 0;
}

/*
 * Our records for `count` packed entries of raw, appended to buf: the bytes
 * used. Sized by the caller so that they always fit.
 */
static size_t read_bulk(int dirfd, const uint8_t *raw, int count, uint8_t *buf, size_t len)
{
	const uint8_t *entry = raw;
	size_t used = 0;

	for (int i = 0; i < count; i++) {
		uint32_t length;
		struct blit_stat st;
		const char *name;
		size_t name_len;
		int kind;

		memcpy(&length, entry, 4);
		kind = bulk_stat(entry, &st, &name, &name_len);
		if (kind == 1) {
			/*
			 * A directory is asked again, as stat answers: getattrlistbulk
			 * gives it no size, and for a mount point or a firmlink the
			 * identity of what is under it, not of what the open finds.
			 */
			struct stat dst;
			if (fstatat(dirfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0)
				fill_stat(&st, &dst);
		}
		if (!is_dot(name, name_len))
			used = put_entry(buf, len, used, name, name_len, kind < 0 ? NULL : &st);
		entry += length;
	}
	return used;
}

/*
 * The next entries of an open directory, each with its metadata, as
 * blit_dirent records in buf: the bytes used, 0 at the end. One
 * getattrlistbulk call fills a kernel buffer half the size of the caller's.
 */
BLIT_EXPORT int64_t blit_read_dir(int dirfd, uint8_t *buf, uint64_t len)
{
	native_calls++;
	struct attrlist attrs = {
		.bitmapcount = ATTR_BIT_MAP_COUNT,
		.commonattr = BULK_COMMON,
		.dirattr = BULK_DIR,
		.fileattr = BULK_FILE,
	};
	/*
	 * A packed entry is never less than a quarter of ours: an entry with an
	 * error and a one-byte name packs into 40 bytes and becomes 160 here.
	 * Reading a quarter as much, every entry the kernel gives fits.
	 */
	size_t raw_len = len / 4;
	uint8_t *raw = malloc(raw_len);
	size_t used = 0;
	int count;

	if (!raw)
		return -ENOMEM;
	/* A call that yields only "." and ".." (some file systems list them) is not the end: read on. */
	do {
		do {
			count = getattrlistbulk(dirfd, &attrs, raw, raw_len, 0);
		} while (count < 0 && errno == EINTR);
		if (count < 0) {
			int err = neg_errno();
			free(raw);
			return err;
		}
		used = read_bulk(dirfd, raw, count, buf, len);
	} while (used == 0 && count > 0);
	free(raw);
	return (int64_t)used;
}

#else

/* struct linux_dirent64, as getdents64 writes it. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * The Linux stand-in for getattrlistbulk: a getdents64 call an eighth the
 * caller's size (its records are at least 24 bytes, ours at most 152 for
 * the same name), then fstatat for each name, into the same records.
 */
BLIT_EXPORT int64_t blit_read_dir(int dirfd, uint8_t *buf, uint64_t len)
{
	native_calls++;
	size_t raw_len = len / 8;
	uint8_t *raw = malloc(raw_len);
	size_t used = 0;
	long n;

	if (!raw)
		return -ENOMEM;
	/* A call that yields only "." and ".." is not the end: read on. */
	do {
		n = syscall(SYS_getdents64, dirfd, raw, raw_len);
		if (n < 0) {
			int err = neg_errno();
			free(raw);
			return err;
		}
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(raw + off);
			size_t name_len = strlen(d->d_name);
			struct stat st;
			struct blit_stat bst;
			int have = 0;

			off += d->d_reclen;
			if (is_dot(d->d_name, name_len))
				continue;
			if (fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
				fill_stat(&bst, &st);
				have = 1;
			}
			used = put_entry(buf, len, used, d->d_name, name_len, have ? &bst : NULL);
		}
	} while (used == 0 && n > 0);
	free(raw);
	return (int64_t)used;
}

#endif

/* ------------------------------------------------------------------ */
/* Files and directories                                               */
/* ------------------------------------------------------------------ */

BLIT_EXPORT int blit_openat(int dirfd, const char *path, int flags, uint32_t mode)
{
	native_calls++;
	int ret;

	do {
		ret = openat(dirfd, path, flags, (mode_t)mode);
	} while (ret < 0 && errno == EINTR);
	return int_result(ret);
}

BLIT_EXPORT int blit_close(int fd)
{
	native_calls++;
	/* Both systems release the descriptor even when close reports EINTR. */
	int ret = close(fd);

	return ret < 0 && errno != EINTR ? neg_errno() : 0;
}

BLIT_EXPORT int64_t blit_pread(int fd, void *buf, uint64_t len, int64_t offset)
{
	native_calls++;
	ssize_t ret;

	do {
		ret = offset < 0 ? read(fd, buf, len) : pread(fd, buf, len, offset);
	} while (ret < 0 && errno == EINTR);
	return ssize_result(ret);
}

BLIT_EXPORT int64_t blit_pwrite(int fd, const void *buf, uint64_t len, int64_t offset)
{
	native_calls++;
	ssize_t ret;

	do {
		ret = offset < 0 ? write(fd, buf, len) : pwrite(fd, buf, len, offset);
	} while (ret < 0 && errno == EINTR);
	return ssize_result(ret);
}

BLIT_EXPORT int64_t blit_lseek(int fd, int64_t offset, int whence)
{
	native_calls++;
	off_t ret = lseek(fd, offset, whence);

	return ret < 0 ? neg_errno() : (int64_t)ret;
}

BLIT_EXPORT int blit_ftruncate(int fd, int64_t len)
{
	native_calls++;
	return int_result(ftruncate(fd, len));
}

#ifdef __APPLE__
/*
 * macOS's poll does not support devices (poll(2), BUGS), a terminal among
 * them: select does, and a device it cannot wait on either is ready. Taken
 * as ready at once, /dev/tty read without blocking spun the CPU until
 * something was typed.
 */
static int select_wait(int fd, int events, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	fd_set readable, writable;
	int ret;

	if (fd >= FD_SETSIZE)
		return events;
	FD_ZERO(&readable);
	FD_ZERO(&writable);
	if (events & POLLIN)
		FD_SET(fd, &readable);
	if (events & POLLOUT)
		FD_SET(fd, &writable);
	ret = select(fd + 1, &readable, &writable, NULL, &tv);
	if (ret < 0)
		return errno == EINTR ? 0 : events;
	return (FD_ISSET(fd, &readable) ? POLLIN : 0) | (FD_ISSET(fd, &writable) ? POLLOUT : 0);
}
#endif

/* Waits up to timeout_ms for events on fd: those that came, or 0 (none in time, or a signal). */
BLIT_EXPORT int blit_poll(int fd, int events, int timeout_ms)
{
	native_calls++;
	struct pollfd pfd = { .fd = fd, .events = (short)events };
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret < 0)
		return errno == EINTR ? 0 : neg_errno();
	if (ret > 0 && (pfd.revents & POLLNVAL)) {
#ifdef __APPLE__
		if (fcntl(fd, F_GETFD) >= 0)
			return select_wait(fd, events, timeout_ms);
#endif
		return -EBADF;
	}
	return ret ? pfd.revents : 0;
}

/*
 * fd will be read front to back: a larger read-ahead (F_RDAHEAD), and for a
 * file of at least nocache_from bytes, no caching of its pages (F_NOCACHE),
 * so that copying 50 GB does not push everything else out of memory.
 */
BLIT_EXPORT int blit_advise_sequential(int fd, int64_t nocache_from)
{
	native_calls++;
#ifdef __APPLE__
	struct stat st;

	if (fcntl(fd, F_RDAHEAD, 1) < 0)
		return neg_errno();
	if (nocache_from > 0 && fstat(fd, &st) == 0 && st.st_size >= nocache_from)
		return int_result(fcntl(fd, F_NOCACHE, 1));
	return 0;
#else
	(void)nocache_from;
	int ret = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	return ret ? -ret : 0;
#endif
}

/*
 * --verify's read-back: what was written through fd goes to the disk
 * (fsync), and reads through fd stop using the cache (F_NOCACHE), so the
 * copy is read back from the disk where macOS does not hold its pages
 * already; macOS has no call to drop one file's pages. The Linux build
 * drops them (fdatasync, POSIX_FADV_DONTNEED), as the Linux backend does.
 * A descriptor with nothing to write back (read-only, a pipe) is fine.
 */
BLIT_EXPORT int blit_read_past_cache(int fd)
{
	native_calls++;
#ifdef __APPLE__
	if (fsync(fd) < 0 && errno != EINVAL)
		return neg_errno();
	return int_result(fcntl(fd, F_NOCACHE, 1));
#else
	if (fdatasync(fd) < 0 && errno != EINVAL)
		return neg_errno();
	int ret = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);

	return ret ? -ret : 0;
#endif
}

/*
 * Clones src into a new file `name` of dirfd (the engine's temporary name)
 * and opens it: the descriptor, or -errno with nothing left under the name.
 * The clone keeps src's mode but not its owner (CLONE_NOOWNERCOPY); the
 * engine then sets what the options keep, through the descriptor. It is
 * opened for reading: a clone needs no writes, and the clone of a read-only
 * file could not be opened for writing by its owner.
 */
BLIT_EXPORT int blit_clone_at(int src_fd, int dirfd, const char *name)
{
	native_calls++;
	int fd;

#ifdef __APPLE__
	struct stat st;

	/*
	 * A clone carries the source's flags: one that is immutable or
	 * append-only could be neither finished nor removed. Such a file is
	 * copied instead (EPERM: this file only; the engine sets its flags last).
	 */
	if (fstat(src_fd, &st) < 0)
		return neg_errno();
	if (st.st_flags & (UF_IMMUTABLE | UF_APPEND | SF_IMMUTABLE | SF_APPEND))
		return -EPERM;
	if (fclonefileat(src_fd, dirfd, name, CLONE_NOFOLLOW | CLONE_NOOWNERCOPY) < 0)
		return neg_errno();
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int err = neg_errno();
		unlinkat(dirfd, name, 0);
		return err;
	}
	return fd;
#else
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return neg_errno();
	if (ioctl(fd, FICLONE, src_fd) < 0) {
		int err = neg_errno();
		close(fd);
		unlinkat(dirfd, name, 0);
		return err;
	}
	return fd;
#endif
}

BLIT_EXPORT int blit_mkdirat(int dirfd, const char *path, uint32_t mode)
{
	native_calls++;
	return int_result(mkdirat(dirfd, path, (mode_t)mode));
}

BLIT_EXPORT int blit_mknodat(int dirfd, const char *path, uint32_t mode, uint32_t rdev_major, uint32_t rdev_minor)
{
	native_calls++;
	if ((mode & S_IFMT) == S_IFIFO)
		return int_result(mkfifoat(dirfd, path, (mode_t)(mode & 07777)));
#ifdef __APPLE__
	/* macOS's mknod makes devices only (EINVAL, or EPERM for a user); a socket is made by bind(2) alone. */
	if ((mode & S_IFMT) == S_IFSOCK)
		return -EOPNOTSUPP;
#endif
	return int_result(mknodat(dirfd, path, (mode_t)mode, makedev(rdev_major, rdev_minor)));
}

BLIT_EXPORT int blit_symlinkat(const char *target, int dirfd, const char *path)
{
	native_calls++;
	return int_result(symlinkat(target, dirfd, path));
}

/* Returns the target's length; the target is not NUL-terminated. */
BLIT_EXPORT int64_t blit_readlinkat(int dirfd, const char *path, char *buf, uint64_t len)
{
	native_calls++;
	return ssize_result(readlinkat(dirfd, path, buf, len));
}

BLIT_EXPORT int blit_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	native_calls++;
	return int_result(linkat(olddirfd, oldpath, newdirfd, newpath, flags));
}

#ifdef __APPLE__
/*
 * RENAME_EXCL where the volume lacks it (FAT, exFAT, SMB): a hard link
 * fails with EEXIST as the rename would; where links are not supported
 * either, a look first, then a plain rename (the race cp -n has too).
 */
static int rename_exclusive_fallback(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	struct stat st;

	if (linkat(olddirfd, oldpath, newdirfd, newpath, 0) == 0) {
		if (unlinkat(olddirfd, oldpath, 0) == 0)
			return 0;
		/* Undone, as a rename that fails changes nothing: the new name was free. */
		int err = neg_errno();
		unlinkat(newdirfd, newpath, 0);
		return err;
	}
	if (errno == EEXIST)
		return -EEXIST;
	if (fstatat(newdirfd, newpath, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	if (errno != ENOENT)
		return neg_errno();
	return int_result(renameat(olddirfd, oldpath, newdirfd, newpath));
}
#endif

/* exclusive: fail with EEXIST rather than replace what is at newpath. */
BLIT_EXPORT int blit_rename(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int exclusive)
{
	native_calls++;
#ifdef __APPLE__
	if (renameatx_np(olddirfd, oldpath, newdirfd, newpath, exclusive ? RENAME_EXCL : 0) == 0)
		return 0;
	if (!exclusive || (errno != ENOTSUP && errno != EINVAL))
		return neg_errno();
	return rename_exclusive_fallback(olddirfd, oldpath, newdirfd, newpath);
#else
	return int_result((int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath,
				       exclusive ? RENAME_NOREPLACE : 0));
#endif
}

BLIT_EXPORT int blit_unlinkat(int dirfd, const char *path, int flags)
{
	native_calls++;
	return int_result(unlinkat(dirfd, path, flags));
}

BLIT_EXPORT int blit_faccessat(int dirfd, const char *path, int mode, int flags)
{
	native_calls++;
	return int_result(faccessat(dirfd, path, mode, flags));
}

/* ------------------------------------------------------------------ */
/* Metadata                                                             */
/* ------------------------------------------------------------------ */

BLIT_EXPORT int blit_fchmod(int fd, uint32_t mode)
{
	native_calls++;
	return int_result(fchmod(fd, (mode_t)mode));
}

BLIT_EXPORT int blit_fchmodat(int dirfd, const char *path, uint32_t mode, int flags)
{
	native_calls++;
	return int_result(fchmodat(dirfd, path, (mode_t)mode, flags));
}

BLIT_EXPORT int blit_fchown(int fd, uint32_t uid, uint32_t gid)
{
	native_calls++;
	return int_result(fchown(fd, uid, gid));
}

BLIT_EXPORT int blit_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)
{
	native_calls++;
	return int_result(fchownat(dirfd, path, uid, gid, flags));
}

static void fill_times(struct timespec ts[2], int64_t atime_sec, int64_t atime_nsec,
		       int64_t mtime_sec, int64_t mtime_nsec)
{
	ts[0].tv_sec = atime_sec;
	ts[0].tv_nsec = atime_nsec;
	ts[1].tv_sec = mtime_sec;
	ts[1].tv_nsec = mtime_nsec;
}

BLIT_EXPORT int blit_futimens(int fd, int64_t atime_sec, int64_t atime_nsec, int64_t mtime_sec, int64_t mtime_nsec)
{
	native_calls++;
	struct timespec ts[2];

	fill_times(ts, atime_sec, atime_nsec, mtime_sec, mtime_nsec);
	return int_result(futimens(fd, ts));
}

BLIT_EXPORT int blit_utimensat(int dirfd, const char *path, int64_t atime_sec, int64_t atime_nsec,
			       int64_t mtime_sec, int64_t mtime_nsec, int flags)
{
	native_calls++;
	struct timespec ts[2];

	fill_times(ts, atime_sec, atime_nsec, mtime_sec, mtime_nsec);
	return int_result(utimensat(dirfd, path, ts, flags));
}

/*
 * A name the *at calls would not resolve from dirfd: an absolute one, or any
 * with AT_FDCWD (a command-line operand), which has no directory to ask
 * F_GETPATH of (EBADF) or to name under /proc/self/fd.
 */
static int is_own_path(int dirfd, const char *name)
{
	return dirfd == AT_FDCWD || name[0] == '/';
}

/*
 * The path of dirfd/name, for the calls that take only a path: macOS asks
 * the kernel for the directory's path (F_GETPATH), Linux names it through
 * /proc/self/fd. The last component is never followed by the callers.
 */
static int entry_path(char *out, size_t len, int dirfd, const char *name)
{
	int n;

	if (is_own_path(dirfd, name)) {
		n = snprintf(out, len, "%s", name);
	} else {
#ifdef __APPLE__
		char dir[PATH_MAX];

		if (fcntl(dirfd, F_GETPATH, dir) < 0)
			return neg_errno();
		n = snprintf(out, len, "%s/%s", dir, name);
#else
		n = snprintf(out, len, "/proc/self/fd/%d/%s", dirfd, name);
#endif
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

#ifdef __APPLE__
/*
 * No symlink anywhere in a directory's path from F_GETPATH, unless one was
 * swapped in since. An operand's path is the user's: its directories are
 * followed, as lstat follows them (/tmp is a symlink on macOS).
 */
static int path_xattr_options(int dirfd, const char *name)
{
	return is_own_path(dirfd, name) ? XATTR_NOFOLLOW : PATH_XATTR_OPTIONS;
}
#endif

/*
 * Birth time and BSD flags (st_flags): setattrlist's ATTR_CMN_CRTIME and
 * ATTR_CMN_FLAGS, on an open file or on dirfd/name itself (a symlink too).
 */
#ifdef __APPLE__
static int set_attr(int fd, int dirfd, const char *name, attrgroup_t common, const void *value, size_t size)
{
	struct attrlist attrs = { .bitmapcount = ATTR_BIT_MAP_COUNT, .commonattr = common };

	if (name)
		return int_result(setattrlistat(dirfd, name, &attrs, (void *)value, size, FSOPT_NOFOLLOW));
	return int_result(fsetattrlist(fd, &attrs, (void *)value, size, 0));
}
#endif

BLIT_EXPORT int blit_set_birthtime(int fd, int dirfd, const char *name, int64_t sec, int64_t nsec)
{
	native_calls++;
#ifdef __APPLE__
	struct timespec ts = { .tv_sec = sec, .tv_nsec = nsec };

	return set_attr(fd, dirfd, name, ATTR_CMN_CRTIME, &ts, sizeof(ts));
#else
	(void)fd, (void)dirfd, (void)name, (void)sec, (void)nsec;
	return -EOPNOTSUPP;
#endif
}

#ifdef __APPLE__
/*
 * Flags that say how a file is stored, not what it is: the destination's own
 * are kept, the source's never claimed. A copy's data was read decompressed
 * (UF_COMPRESSED) and whole (SF_DATALESS: an iCloud placeholder), while a
 * clone is stored as its source was and keeps these as the clone made them;
 * the rest are the kernel's, or only the system may set them.
 */
#define FLAGS_OF_STORAGE (UF_COMPRESSED | UF_TRACKED | UF_DATAVAULT | SF_RESTRICTED | SF_NOUNLINK | SF_FIRMLINK | SF_DATALESS)
#endif

/*
 * Sets the BSD flags (st_flags) of fd, or (fd < 0) of dirfd/name itself, not
 * following a symlink; the flags of storage stay the destination's own. No
 * call is made when nothing would change (a new file, a source without flags).
 */
#ifdef __APPLE__
static int put_flags(int fd, int dirfd, const char *name, uint32_t flags)
{
	if (fd >= 0)
		return int_result(fchflags(fd, flags));
	return set_attr(-1, dirfd, name, ATTR_CMN_FLAGS, &flags, sizeof(flags));
}
#endif

BLIT_EXPORT int blit_set_flags(int fd, int dirfd, const char *name, uint32_t flags)
{
	native_calls++;
#ifdef __APPLE__
	struct stat st;

	if ((fd >= 0 ? fstat(fd, &st) : fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) < 0)
		return neg_errno();
	flags = (flags & ~(uint32_t)FLAGS_OF_STORAGE) | (st.st_flags & FLAGS_OF_STORAGE);
	if (flags == st.st_flags)
		return 0;
	int r = put_flags(fd, dirfd, name, flags);
	/*
	 * Not root: a change to a system flag (SF_*) refuses the whole word.
	 * The user's flags are set alone; the refusal is still returned, so
	 * that a required --preserve=mode says what was not kept.
	 */
	uint32_t users = (flags & UF_SETTABLE) | (st.st_flags & ~(uint32_t)UF_SETTABLE);
	if (r == -EPERM && users != flags && users != st.st_flags)
		put_flags(fd, dirfd, name, users);
	return r;
#else
	(void)fd, (void)dirfd, (void)name, (void)flags;
	return -EOPNOTSUPP;
#endif
}

/* ------------------------------------------------------------------ */
/* Extended attributes and ACLs                                         */
/* ------------------------------------------------------------------ */

/*
 * fd >= 0: of that file; else of dirfd/name itself (not following it).
 * Names come back NUL-separated. A size of 0 asks for the size needed.
 */
BLIT_EXPORT int64_t blit_listxattr(int fd, int dirfd, const char *name, char *buf, uint64_t len)
{
	native_calls++;
	char path[PATH_MAX];
	int ret;

#ifdef __APPLE__
	if (fd >= 0)
		return ssize_result(flistxattr(fd, buf, len, 0));
	ret = entry_path(path, sizeof(path), dirfd, name);
	return ret < 0 ? ret : ssize_result(listxattr(path, buf, len, path_xattr_options(dirfd, name)));
#else
	if (fd >= 0)
		return ssize_result(flistxattr(fd, buf, len));
	ret = entry_path(path, sizeof(path), dirfd, name);
	return ret < 0 ? ret : ssize_result(llistxattr(path, buf, len));
#endif
}

BLIT_EXPORT int64_t blit_getxattr(int fd, int dirfd, const char *name, const char *attr, void *buf, uint64_t len)
{
	native_calls++;
	char path[PATH_MAX];
	int ret;

#ifdef __APPLE__
	if (fd >= 0)
		return ssize_result(fgetxattr(fd, attr, buf, len, 0, 0));
	ret = entry_path(path, sizeof(path), dirfd, name);
	return ret < 0 ? ret : ssize_result(getxattr(path, attr, buf, len, 0, path_xattr_options(dirfd, name)));
#else
	if (fd >= 0)
		return ssize_result(fgetxattr(fd, attr, buf, len));
	ret = entry_path(path, sizeof(path), dirfd, name);
	return ret < 0 ? ret : ssize_result(lgetxattr(path, attr, buf, len));
#endif
}

BLIT_EXPORT int blit_setxattr(int fd, int dirfd, const char *name, const char *attr, const void *value, uint64_t len)
{
	native_calls++;
	char path[PATH_MAX];
	int ret;

#ifdef __APPLE__
	if (fd >= 0)
		return int_result(fsetxattr(fd, attr, value, len, 0, 0));
	ret = entry_path(path, sizeof(path), dirfd, name);
	return ret < 0 ? ret : int_result(setxattr(path, attr, value, len, 0, path_xattr_options(dirfd, name)));
#else
	if (fd >= 0)
		return int_result(fsetxattr(fd, attr, value, len, 0));
	ret = entry_path(path, sizeof(path), dirfd, name);
	return ret < 0 ? ret : int_result(lsetxattr(path, attr, value, len, 0));
#endif
}

BLIT_EXPORT int blit_removexattr(int fd, int dirfd, const char *name, const char *attr)
{
	native_calls++;
	char path[PATH_MAX];
	int ret;

#ifdef __APPLE__
	if (fd >= 0)
		return int_result(fremovexattr(fd, attr, 0));
	ret = entry_path(path, sizeof(path), dirfd, name);
	return ret < 0 ? ret : int_result(removexattr(path, attr, path_xattr_options(dirfd, name)));
#else
	if (fd >= 0)
		return int_result(fremovexattr(fd, attr));
	ret = entry_path(path, sizeof(path), dirfd, name);
	return ret < 0 ? ret : int_result(lremovexattr(path, attr));
#endif
}

#ifdef __APPLE__
/*
 * dirfd/name itself opened, to read or set its ACL through the descriptor:
 * the path-taking calls (acl_set_link_np ends in chmodx_np) follow a symlink
 * swapped into any directory above the name. Only a file or a directory is
 * opened: a symlink has no ACL set here, and opening a device or a fifo can
 * act (a tape rewinds; a fifo's blocked writer is let through), so those say
 * -EOPNOTSUPP, as a filesystem without ACLs does. Returns the descriptor.
 */
static int open_for_acl(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return -EOPNOTSUPP;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	/* One its owner may not read is still theirs to change: a file opened to write, a directory to search. */
	if (fd < 0 && errno == EACCES && S_ISREG(st.st_mode))
		fd = openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
#ifdef O_SEARCH
	if (fd < 0 && errno == EACCES && S_ISDIR(st.st_mode))
		fd = openat(dirfd, name, O_SEARCH | O_NOFOLLOW | O_CLOEXEC);
#endif
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
		close(fd);
		return -EAGAIN;
	}
	return fd;
}

/* Whether acl holds an entry: one with none is no ACL (coreutils' fd_has_acl agrees). */
static int has_entries(acl_t acl)
{
	acl_entry_t entry;

	return acl_get_entry(acl, ACL_FIRST_ENTRY, &entry) == 0;
}
#endif

/*
 * An ACL (ACL_TYPE_EXTENDED, macOS's only kind) as text, acl_to_text's form:
 * its length (0: no ACL), or -ERANGE when buf is too small. fd >= 0: of that
 * file; else of dirfd/name itself.
 */
BLIT_EXPORT int64_t blit_acl_get(int fd, int dirfd, const char *name, char *buf, uint64_t len)
{
	native_calls++;
#ifdef __APPLE__
	acl_t acl;
	ssize_t text_len;
	char *text;
	int ret, own = -1;

	if (fd < 0) {
		own = open_for_acl(dirfd, name);
		if (own < 0)
			return own == -EOPNOTSUPP ? 0 : own;
		fd = own;
	}
	acl = acl_get_fd_np(fd, ACL_TYPE_EXTENDED);
	ret = acl ? 0 : errno == ENOENT ? 0 : neg_errno();
	if (own >= 0)
		close(own);
	if (!acl)
		return ret;
	if (!has_entries(acl)) {
		acl_free(acl);
		return 0;
	}
	text = acl_to_text(acl, &text_len);
	/* Taken before acl_free, which may set errno. */
	ret = text ? 0 : neg_errno();
	acl_free(acl);
	if (!text)
		return ret;
	if ((uint64_t)text_len > len) {
		acl_free(text);
		return -ERANGE;
	}
	memcpy(buf, text, (size_t)text_len);
	acl_free(text);
	return text_len;
#else
	(void)fd, (void)dirfd, (void)name, (void)buf, (void)len;
	return -EOPNOTSUPP;
#endif
}

/*
 * Sets the ACL given as NUL-terminated text (acl_from_text); an empty text
 * removes it, as chmod -N does (_FILESEC_REMOVE_ACL: an ACL of no entries
 * would stay, and be listed).
 */
BLIT_EXPORT int blit_acl_set(int fd, int dirfd, const char *name, const char *text)
{
	native_calls++;
#ifdef __APPLE__
	int ret, own = -1;

	if (fd < 0) {
		own = open_for_acl(dirfd, name);
		if (own < 0)
			return own;
		fd = own;
	}
	if (*text) {
		acl_t acl = acl_from_text(text);

		ret = acl ? int_result(acl_set_fd_np(fd, acl, ACL_TYPE_EXTENDED)) : neg_errno();
		if (acl)
			acl_free(acl);
	} else {
		filesec_t sec = filesec_init();

		ret = sec ? 0 : neg_errno();
		if (sec && filesec_set_property(sec, FILESEC_ACL, _FILESEC_REMOVE_ACL) < 0)
			ret = neg_errno();
		if (sec && ret == 0)
			ret = int_result(fchmodx_np(fd, sec));
		if (sec)
			filesec_free(sec);
	}
	if (own >= 0)
		close(own);
	return ret;
#else
	(void)fd, (void)dirfd, (void)name, (void)text;
	return -EOPNOTSUPP;
#endif
}

/* ------------------------------------------------------------------ */
/* Process and filesystem facts                                         */
/* ------------------------------------------------------------------ */

/* A limit as a number JavaScript holds exactly (bun:ffi's i64_fast gives a BigInt past 2^53). */
static int64_t nofile_number(rlim_t limit)
{
	const int64_t most = ((int64_t)1 << 53) - 1;

	return limit == RLIM_INFINITY || limit > (rlim_t)most ? most : (int64_t)limit;
}

/* Lifts the soft open-file limit as far as the system allows; returns the soft limit in force. */
BLIT_EXPORT int64_t blit_raise_nofile(void)
{
	native_calls++;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return neg_errno();
	if (lim.rlim_cur < lim.rlim_max) {
		rlim_t want = lim.rlim_max;
#ifdef __APPLE__
		/* macOS refuses RLIM_INFINITY; kern.maxfilesperproc is the real ceiling. */
		int per_proc;
		size_t size = sizeof(per_proc);
		if (sysctlbyname("kern.maxfilesperproc", &per_proc, &size, NULL, 0) == 0 &&
		    (rlim_t)per_proc < want)
			want = (rlim_t)per_proc;
#endif
		struct rlimit raised = { want, lim.rlim_max };

		/* Refused (a sandbox): the soft limit read still holds. */
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			lim = raised;
	}
	return nofile_number(lim.rlim_cur);
}

/*
 * The volume under fd: its file system's name into name (NUL-terminated)
 * and BLIT_VOLUME_* bits for what it supports, where the OS says.
 */
BLIT_EXPORT int blit_volume(int fd, char *name, uint32_t name_len, uint32_t *caps)
{
	native_calls++;
	*caps = 0;
#ifdef __APPLE__
	struct statfs sfs;
	struct attrlist attrs = { .bitmapcount = ATTR_BIT_MAP_COUNT, .volattr = ATTR_VOL_INFO | ATTR_VOL_CAPABILITIES };
	struct {
		uint32_t length;
		vol_capabilities_attr_t caps;
	} __attribute__((packed)) vol;

	if (fstatfs(fd, &sfs) < 0)
		return neg_errno();
	snprintf(name, name_len, "%s", sfs.f_fstypename);
	/* Volume attributes are answered for the volume's root only. */
	if (getattrlist(sfs.f_mntonname, &attrs, &vol, sizeof(vol), 0) == 0) {
		vol_capabilities_attr_t c;
		uint32_t interfaces, format;

		memcpy(&c, &vol.caps, sizeof(c));
		interfaces = c.valid[VOL_CAPABILITIES_INTERFACES] & c.capabilities[VOL_CAPABILITIES_INTERFACES];
		format = c.valid[VOL_CAPABILITIES_FORMAT] & c.capabilities[VOL_CAPABILITIES_FORMAT];
		*caps = BLIT_VOLUME_KNOWN;
		if (interfaces & VOL_CAP_INT_CLONE)
			*caps |= BLIT_VOLUME_CLONE;
		if (interfaces & VOL_CAP_INT_EXTENDED_ATTR)
			*caps |= BLIT_VOLUME_NATIVE_XATTR;
		if (format & VOL_CAP_FMT_CASE_SENSITIVE)
			*caps |= BLIT_VOLUME_CASE_SENSITIVE;
		if (format & VOL_CAP_FMT_SPARSE_FILES)
			*caps |= BLIT_VOLUME_SPARSE;
		*caps |= BLIT_VOLUME_CASE_KNOWN;
	} else {
		/*
		 * The mount point cannot be asked (not readable, or another mount
		 * over it): the case rule is still asked of fd itself, as a volume
		 * wrongly taken to keep case would have one name copied over another.
		 */
		long sensitive = fpathconf(fd, _PC_CASE_SENSITIVE);
		if (sensitive >= 0)
			*caps |= BLIT_VOLUME_CASE_KNOWN | (sensitive ? BLIT_VOLUME_CASE_SENSITIVE : 0);
	}
	return 0;
#else
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return neg_errno();
	snprintf(name, name_len, "0x%lx", (unsigned long)sfs.f_type);
	return 0;
#endif
}

/*
 * The command line as the OS passed it, each argument NUL-terminated, into
 * buf: the bytes needed (more than len: call again with more room).
 */
BLIT_EXPORT int64_t blit_command_line(char *buf, uint64_t len)
{
	native_calls++;
#ifdef __APPLE__
	int argc = *_NSGetArgc();
	char **argv = *_NSGetArgv();
	uint64_t need = 0;

	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		if (need + n <= len)
			memcpy(buf + need, argv[i], n);
		need += n;
	}
	return (int64_t)need;
#else
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	uint64_t got = 0;
	char scratch[4096];

	if (fd < 0)
		return neg_errno();
	for (;;) {
		char *to = got < len ? buf + got : scratch;
		size_t room = got < len ? len - got : sizeof(scratch);
		ssize_t n = read(fd, to, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	close(fd);
	return (int64_t)got;
#endif
}

/* Logical CPUs of the fastest kind (hw.perflevel0 on Apple silicon), or -ENOENT where there is no such split. */
BLIT_EXPORT int blit_performance_cpus(void)
{
	native_calls++;
#ifdef __APPLE__
	int n;
	size_t size = sizeof(n);

	if (sysctlbyname("hw.perflevel0.logicalcpu", &n, &size, NULL, 0) < 0)
		return neg_errno();
	return n;
#else
	return -ENOENT;
#endif
}
