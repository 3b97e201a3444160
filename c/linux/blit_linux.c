/*
 * blit_linux.c - blit's native shim for Linux: an io_uring ring per caller,
 * and fixed-arity wrappers for the system calls the copy engine needs.
 *
 * Build (build.ts does this; liburing is linked statically so the extracted
 * shim needs nothing installed on the user's machine):
 *
 *   gcc -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -I c \
 *       -o build/shim/linux-x64/libblit.so c/linux/blit_linux.c \
 *       /usr/lib/x86_64-linux-gnu/liburing.a -Wl,--exclude-libs,ALL
 *
 * The newer system calls (statx, getdents64, copy_file_range, renameat2,
 * mknodat) go through syscall(2), so the shim loads on glibc releases older
 * than the build machine's (check: objdump -T shows nothing above GLIBC_2.6).
 *
 * Every exported function returns >= 0 on success or a negated errno value.
 * None is variadic: bun:ffi passes variadic arguments wrongly on some ABIs,
 * which is why open(2), fcntl(2) and ioctl(2) only appear behind wrappers.
 * No function calls back into JavaScript; the worker that owns a ring polls
 * it with blit_ring_reap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/* musl 1.2.3 declares no struct statx: the kernel's header has it. */
#ifndef STATX_BASIC_STATS
#include <linux/stat.h>
#endif

#include "../blit_abi.h"

#define BLIT_EXPORT __attribute__((visibility("default")))

/*
 * Calls into the shim by this thread: the FFI crossings --stats reports.
 * initial-exec is the cheap model, and glibc keeps static TLS room for a
 * dlopen'ed library; musl keeps none and refuses to load the library
 * ("initial-exec TLS resolves to dynamic definition"), so the musl build
 * takes the default model.
 */
#ifdef __GLIBC__
static __thread uint64_t native_calls __attribute__((tls_model("initial-exec")));
#else
static __thread uint64_t native_calls;
#endif

/*
 * Entries the workers have statted and bytes they have read (a read through
 * the ring counted as asked for, when submitted): the pace of the walks
 * that read ahead of them (see "Reading ahead" below).
 */
static uint64_t stats_made;
static uint64_t bytes_read;

static inline void count_stats(uint64_t n)
{
	__atomic_add_fetch(&stats_made, n, __ATOMIC_RELAXED);
}

static inline void count_read(int64_t n)
{
	if (n > 0)
		__atomic_add_fetch(&bytes_read, (uint64_t)n, __ATOMIC_RELAXED);
}

static inline int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

static inline int64_t int_result(int ret)
{
	return ret < 0 ? neg_errno() : ret;
}

static inline int64_t ssize_result(ssize_t ret)
{
	return ret < 0 ? neg_errno() : (int64_t)ret;
}

static inline const char *as_path(uint64_t addr)
{
	return (const char *)(uintptr_t)addr;
}

static inline void *as_buf(uint64_t addr)
{
	return (void *)(uintptr_t)addr;
}

/* ------------------------------------------------------------------ */
/* Identity                                                             */
/* ------------------------------------------------------------------ */

BLIT_EXPORT int blit_abi_version(void)
{
	return BLIT_ABI_VERSION;
}

/* Writes strerror(err) into buf, always NUL-terminated; returns its length. */
BLIT_EXPORT int blit_strerror(int err, char *buf, uint32_t len)
{
	native_calls++;

	if (len == 0)
		return 0;
#ifdef __GLIBC__
	/* GNU strerror_r may return a static string instead of filling buf. */
	const char *msg = strerror_r(err, buf, len);
	if (msg != buf)
		snprintf(buf, len, "%s", msg);
#else
	/* musl (the linux-x64-musl build): the POSIX strerror_r fills buf. */
	if (strerror_r(err, buf, len) != 0)
		snprintf(buf, len, "Unknown error %d", err);
#endif
	return (int)strlen(buf);
}

/*
 * Flag values differ between architectures (O_DIRECTORY and O_NOFOLLOW on
 * arm64, for one), so TypeScript asks for them instead of hard-coding them.
 * The order is the BLIT_LINUX_CONST_* order mirrored in ffi/linux.ts.
 */
BLIT_EXPORT int blit_linux_constants(int64_t *out, uint32_t count)
{
	native_calls++;
	const int64_t values[] = {
		O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_NONBLOCK,
		O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH, O_TMPFILE,
		AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH, AT_SYMLINK_FOLLOW,
		AT_EACCESS, RENAME_NOREPLACE, SEEK_DATA, SEEK_HOLE, W_OK,
		STATX_BASIC_STATS, XATTR_CREATE, XATTR_REPLACE, O_NOATIME,
	};
	uint32_t n = sizeof(values) / sizeof(values[0]);

	for (uint32_t i = 0; i < count && i < n; i++)
		out[i] = values[i];
	return (int)n;
}

/* Calls into the shim made so far by the calling thread (this one not counted). */
BLIT_EXPORT uint64_t blit_native_calls(void)
{
	return native_calls;
}

/* ------------------------------------------------------------------ */
/* io_uring: one ring per worker                                        */
/* ------------------------------------------------------------------ */

struct blit_ring {
	struct io_uring ring;
	uint32_t depth;
};

/* Newest setup flags first; a kernel that rejects one gets the next. */
static int ring_init(struct blit_ring *r, uint32_t depth)
{
	static const unsigned setups[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	int ret = -EINVAL;

	for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
		ret = io_uring_queue_init(depth, &r->ring, setups[i]);
		if (ret != -EINVAL)
			return ret;
	}
	return ret;
}

/* Creates a ring of the given depth; writes its handle into *out. */
BLIT_EXPORT int blit_ring_create(uint32_t depth, uint64_t *out)
{
	native_calls++;
	struct blit_ring *r;
	int ret;

	if (depth == 0 || depth > 4096)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = ring_init(r, depth);
	if (ret < 0) {
		free(r);
		return ret;
	}
	r->depth = depth;
	*out = (uint64_t)(uintptr_t)r;
	return 0;
}

BLIT_EXPORT void blit_ring_destroy(uint64_t handle)
{
	native_calls++;
	struct blit_ring *r = (struct blit_ring *)(uintptr_t)handle;

	if (!r)
		return;
	io_uring_queue_exit(&r->ring);
	free(r);
}

/*
 * Caps the kernel threads (io-wq) that run this ring's blocking operations:
 * `bounded` for regular-file I/O, `unbounded` for the rest (openat, statx).
 * 0 leaves a limit as it is. On few CPUs, fewer threads contend less.
 */
BLIT_EXPORT int blit_ring_max_workers(uint64_t handle, uint32_t bounded, uint32_t unbounded)
{
	native_calls++;
	struct blit_ring *r = (struct blit_ring *)(uintptr_t)handle;
	unsigned int values[2] = { bounded, unbounded };

	return io_uring_register_iowq_max_workers(&r->ring, values);
}

static int prep_op(struct io_uring_sqe *sqe, const struct blit_op *op)
{
	switch (op->opcode) {
	case BLIT_OP_NOP:
		io_uring_prep_nop(sqe);
		break;
	case BLIT_OP_OPENAT:
		io_uring_prep_openat(sqe, op->fd, as_path(op->addr), (int)op->op_flags, op->mode);
		break;
	case BLIT_OP_STATX:
		io_uring_prep_statx(sqe, op->fd, as_path(op->addr), (int)op->op_flags, op->len,
				    (struct statx *)as_buf(op->addr2));
		break;
	case BLIT_OP_READ:
		io_uring_prep_read(sqe, op->fd, as_buf(op->addr), op->len, op->offset);
		break;
	case BLIT_OP_WRITE:
		io_uring_prep_write(sqe, op->fd, as_buf(op->addr), op->len, op->offset);
		break;
	default:
		return -EINVAL;
	}
	if (op->flags & BLIT_OPF_LINK)
		sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, op->user_data);
	return 0;
}

/*
 * Submits what is queued. The kernel may stop short (no memory for a
 * request); what it left would wait for a submission that never comes, so
 * that is an error too.
 */
static int submit_queued(struct io_uring *ring)
{
	int ret = io_uring_submit(ring);

	if (ret < 0)
		return ret;
	return io_uring_sq_ready(ring) ? -EAGAIN : ret;
}

/*
 * Queues `count` operations from the caller's array and submits them.
 * Returns `count`, or -errno. A chain of linked operations reaches the kernel
 * whole: when the submission queue lacks room for all `count`, what is
 * already queued is submitted first, so only a batch larger than the queue
 * is split (runBatch sends independent operations, never more than the
 * depth). After a negative return the ring must not be used again: the
 * kernel may still run part of what was queued.
 */
BLIT_EXPORT int blit_ring_submit(uint64_t handle, const struct blit_op *ops, uint32_t count)
{
	native_calls++;
	struct blit_ring *r = (struct blit_ring *)(uintptr_t)handle;
	uint32_t queued = 0;
	int ret;

	if (io_uring_sq_space_left(&r->ring) < count) {
		ret = submit_queued(&r->ring);
		if (ret < 0)
			return ret;
	}
	while (queued < count) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

		if (!sqe) {
			ret = submit_queued(&r->ring);
			if (ret < 0)
				return ret;
			continue;
		}
		if (ops[queued].opcode == BLIT_OP_STATX)
			count_stats(1);
		if (ops[queued].opcode == BLIT_OP_READ)
			count_read(ops[queued].len);
		ret = prep_op(sqe, &ops[queued]);
		if (ret < 0) {
			/* An invalid op still occupies the sqe: make it a no-op. */
			io_uring_prep_nop(sqe);
			io_uring_sqe_set_data64(sqe, ops[queued].user_data);
			return ret;
		}
		queued++;
	}
	ret = submit_queued(&r->ring);
	if (ret < 0)
		return ret;
	return (int)queued;
}

/*
 * Copies up to `max` completions into the caller's array, first waiting
 * until at least `wait_nr` are available. Returns how many were copied.
 */
BLIT_EXPORT int blit_ring_reap(uint64_t handle, struct blit_cqe *out, uint32_t max, uint32_t wait_nr)
{
	native_calls++;
	struct blit_ring *r = (struct blit_ring *)(uintptr_t)handle;
	struct io_uring_cqe *cqe;
	uint32_t got = 0;
	int ret;

	if (wait_nr > 0) {
		do {
			ret = io_uring_wait_cqe_nr(&r->ring, &cqe, wait_nr);
		} while (ret == -EINTR);
		if (ret < 0)
			return ret;
	}
	while (got < max && io_uring_peek_cqe(&r->ring, &cqe) == 0) {
		out[got].user_data = io_uring_cqe_get_data64(cqe);
		out[got].res = cqe->res;
		out[got].flags = cqe->flags;
		io_uring_cqe_seen(&r->ring, cqe);
		got++;
	}
	return (int)got;
}

/*
 * Reports which blit opcodes this kernel's io_uring supports: out[op] = 1 or 0
 * for op < count. Returns -errno if io_uring itself is unavailable.
 */
BLIT_EXPORT int blit_ring_probe(uint8_t *out, uint32_t count)
{
	native_calls++;
	static const int kernel_op[BLIT_OP_COUNT] = {
		[BLIT_OP_NOP] = IORING_OP_NOP,
		[BLIT_OP_OPENAT] = IORING_OP_OPENAT,
		[BLIT_OP_STATX] = IORING_OP_STATX,
		[BLIT_OP_READ] = IORING_OP_READ,
		[BLIT_OP_WRITE] = IORING_OP_WRITE,
	};
	struct io_uring ring;
	struct io_uring_probe *probe;
	int ret;

	ret = io_uring_queue_init(2, &ring, 0);
	if (ret < 0)
		return ret;
	probe = io_uring_get_probe_ring(&ring);
	io_uring_queue_exit(&ring);
	if (!probe)
		return -EOPNOTSUPP;
	for (uint32_t op = 0; op < count; op++)
		out[op] = op < BLIT_OP_COUNT && io_uring_opcode_supported(probe, kernel_op[op]);
	io_uring_free_probe(probe);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Files and directories                                               */
/* ------------------------------------------------------------------ */

/*
 * Whether flock on this file is the kernel's own, kept on this machine. On
 * a network filesystem a lock is a request to a server: an SMB server takes
 * it as a mandatory lock, which refuses writes through the very handle that
 * holds it; NFS refuses a read lock on a descriptor open for writing.
 */
static int locks_locally(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return 0;
	switch ((uint32_t)sf.f_type) {
	case 0xEF53:		/* ext2, ext3, ext4 */
	case 0x58465342:	/* xfs */
	case 0x9123683E:	/* btrfs */
	case 0x01021994:	/* tmpfs */
	case 0x858458F6:	/* ramfs */
	case 0x794C7630:	/* overlayfs */
	case 0xF2F52010:	/* f2fs */
	case 0x2FC12FC1:	/* zfs */
	case 0xCA451A4E:	/* bcachefs */
	case 0x4D44:		/* vfat */
	case 0x2011BAB0:	/* exfat */
		return 1;
	}
	return 0;
}

/*
 * A file made new (O_CREAT | O_EXCL: a temporary name) on a local
 * filesystem is held with a shared flock while it is open, so that a run in
 * another PID namespace, whose pids mean nothing here, sees it is being
 * written (blit_in_use). The wait is for a probe's exclusive lock, held for
 * a moment: without it a probe at the wrong time would leave the file
 * unheld for good. A lock that cannot be had makes that unknowable, not
 * the open a failure.
 */
BLIT_EXPORT int blit_openat(int dirfd, const char *path, int flags, uint32_t mode)
{
	native_calls++;
	int fd = openat(dirfd, path, flags, (mode_t)mode);

	if (fd < 0)
		return neg_errno();
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) && locks_locally(fd))
		while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
			;
	return fd;
}

/*
 * A directory made new under a temporary name, open as fd, is held as
 * blit_openat holds a file it makes new, while the run fills it.
 */
BLIT_EXPORT void blit_hold(int fd)
{
	native_calls++;
	if (locks_locally(fd))
		while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
			;
}

/*
 * Whether a regular file or a directory is held open by the run writing it
 * (the shared flock blit_openat or blit_hold takes): 1 held, 0 not, or a
 * negative errno where it cannot be told (another type: opening a device
 * may act on it; no permission to read it; a filesystem without locks).
 */
BLIT_EXPORT int blit_in_use(int dirfd, const char *name)
{
	native_calls++;
	struct statx st;

	/* The system call, as everywhere here: glibc's fstatat is 2.33's symbol. */
	if (syscall(SYS_statx, dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.stx_mode) && !S_ISDIR(st.stx_mode))
		return -EINVAL;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (S_ISDIR(st.stx_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return neg_errno();
	/* Where blit_openat takes no lock (NFS, SMB), a free lock proves nothing. */
	int held = locks_locally(fd) ? 0 : -EOPNOTSUPP;
	if (held == 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		held = errno == EWOULDBLOCK ? 1 : neg_errno();
	close(fd);
	return held;
}

BLIT_EXPORT int blit_close(int fd)
{
	native_calls++;
	/* Linux releases the descriptor even when close reports EINTR. */
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
	count_read(ret);
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

/* Fills a struct statx (256 bytes, same layout on every architecture). */
BLIT_EXPORT int blit_statx(int dirfd, const char *path, int flags, uint32_t mask, void *out)
{
	native_calls++;
	count_stats(1);
	return (int)int_result((int)syscall(SYS_statx, dirfd, path, flags, mask, out));
}

/*
 * statx of `count` names relative to one directory, one after another:
 * names holds them NUL-terminated back to back, out gets a struct statx
 * each and results 0 or -errno each. The ring's statx always goes to a
 * kernel worker thread; when the inodes are cached that hand-off costs
 * more than the call, so a batch is made here unless the calls wait.
 */
BLIT_EXPORT void blit_statx_many(int dirfd, const char *names, uint32_t count, int flags, uint32_t mask,
				 void *out, int32_t *results)
{
	count_stats(count);
	for (uint32_t i = 0; i < count; i++) {
		struct statx *st = (struct statx *)out + i;

		native_calls++;
		results[i] = (int32_t)int_result((int)syscall(SYS_statx, dirfd, names, flags, mask, st));
		names += strlen(names) + 1;
	}
}

/* Raw linux_dirent64 records: names stay bytes, exactly as the kernel has them. */
BLIT_EXPORT int64_t blit_getdents64(int fd, void *buf, uint64_t len)
{
	native_calls++;
	return ssize_result(syscall(SYS_getdents64, fd, buf, len));
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
	return (int)int_result(ftruncate(fd, len));
}

/*
 * Frees [offset, offset + len) of fd, its size kept: where --sparse=always
 * leaves a gap, what the filesystem preallocated there goes too (XFS's
 * speculative preallocation past each write's end), as cp punches it.
 */
BLIT_EXPORT int blit_punch_hole(int fd, int64_t offset, int64_t len)
{
	native_calls++;
	return (int)int_result(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len));
}

/*
 * Waits up to timeout_ms for events (POLLIN, POLLOUT) on fd: the events that
 * came, or 0 when none did in time or a signal cut the wait short. Lets a
 * worker wait on a fifo's silent writer (or, opened O_NONBLOCK, on a writer
 * that has not opened it yet) in steps, looking at its cancel flag between.
 */
BLIT_EXPORT int blit_poll(int fd, int events, int timeout_ms)
{
	native_calls++;
	struct pollfd pfd = { .fd = fd, .events = (short)events };
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret < 0)
		return errno == EINTR ? 0 : neg_errno();
	if (ret > 0 && (pfd.revents & POLLNVAL))
		return -EBADF;
	return ret ? pfd.revents : 0;
}

/* Tells the kernel how a file will be read (POSIX_FADV_*), e.g. to read ahead further. */
BLIT_EXPORT int blit_fadvise(int fd, int64_t offset, int64_t len, int advice)
{
	native_calls++;
	int ret = posix_fadvise(fd, offset, len, advice);

	return ret ? -ret : 0;
}

/* Writes fd's dirty data to the disk (--verify then drops it from the page cache and reads it back). */
BLIT_EXPORT int blit_fdatasync(int fd)
{
	native_calls++;
	return fdatasync(fd) < 0 ? neg_errno() : 0;
}

/* Shares src's extents with dst (reflink); dst must be empty and writable. */
BLIT_EXPORT int blit_ficlone(int dst_fd, int src_fd)
{
	native_calls++;
	return (int)int_result(ioctl(dst_fd, FICLONE, src_fd));
}

/*
 * The inode flags chattr(1) sets (FS_IOC_GETFLAGS, FS_IOC_SETFLAGS) need an
 * open file: fd, or where fd < 0, dir_fd/name opened for the call, never
 * through a symlink and never waiting on a fifo.
 */
static int flags_target(int fd, int dir_fd, const char *name)
{
	if (fd >= 0)
		return fd;
	return openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

/* The flags (>= 0), or a negated errno. */
BLIT_EXPORT int blit_get_inode_flags(int fd, int dir_fd, const char *name)
{
	native_calls++;
	int target = flags_target(fd, dir_fd, name);
	int flags = 0;
	int ret;

	if (target < 0)
		return neg_errno();
	ret = ioctl(target, FS_IOC_GETFLAGS, &flags) < 0 ? neg_errno() : (flags & INT_MAX);
	if (target != fd)
		close(target);
	return ret;
}

BLIT_EXPORT int blit_set_inode_flags(int fd, int dir_fd, const char *name, int flags)
{
	native_calls++;
	int target = flags_target(fd, dir_fd, name);
	int ret;

	if (target < 0)
		return neg_errno();
	ret = ioctl(target, FS_IOC_SETFLAGS, &flags) < 0 ? neg_errno() : 0;
	if (target != fd)
		close(target);
	return ret;
}

/* Offsets < 0 mean "use and advance the file position". */
BLIT_EXPORT int64_t blit_copy_file_range(int in_fd, int64_t in_off, int out_fd, int64_t out_off, uint64_t len)
{
	native_calls++;
	loff_t in_pos = in_off, out_pos = out_off;
	ssize_t ret;

	do {
		ret = syscall(SYS_copy_file_range, in_fd, in_off < 0 ? NULL : &in_pos, out_fd,
			      out_off < 0 ? NULL : &out_pos, len, 0);
	} while (ret < 0 && errno == EINTR);
	count_read(ret);
	return ssize_result(ret);
}

BLIT_EXPORT int blit_mkdirat(int dirfd, const char *path, uint32_t mode)
{
	native_calls++;
	return (int)int_result(mkdirat(dirfd, path, (mode_t)mode));
}

BLIT_EXPORT int blit_mknodat(int dirfd, const char *path, uint32_t mode, uint64_t dev)
{
	native_calls++;
	return (int)int_result((int)syscall(SYS_mknodat, dirfd, path, (mode_t)mode, (dev_t)dev));
}

BLIT_EXPORT int blit_symlinkat(const char *target, int dirfd, const char *path)
{
	native_calls++;
	return (int)int_result(symlinkat(target, dirfd, path));
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
	return (int)int_result(linkat(olddirfd, oldpath, newdirfd, newpath, flags));
}

/*
 * RENAME_NOREPLACE where the filesystem lacks it (FUSE servers without
 * rename2, such as sshfs and bindfs, answer EINVAL; kernels before 3.15
 * ENOSYS): a hard link fails with EEXIST as the rename would; where none can
 * be made (a directory, links not supported), a look first, then a plain
 * rename (the race gnulib's renameatu and cp -n have too).
 */
static int rename_noreplace_fallback(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	struct statx st;

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
	/* The system call, as everywhere here: glibc's fstatat is 2.33's symbol. */
	if (syscall(SYS_statx, newdirfd, newpath, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &st) == 0)
		return -EEXIST;
	if (errno != ENOENT)
		return neg_errno();
	return (int)int_result(renameat(olddirfd, oldpath, newdirfd, newpath));
}

BLIT_EXPORT int blit_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, uint32_t flags)
{
	native_calls++;
	int r = (int)int_result((int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags));
	if ((r == -EINVAL || r == -ENOSYS) && flags == RENAME_NOREPLACE)
		return rename_noreplace_fallback(olddirfd, oldpath, newdirfd, newpath);
	return r;
}

BLIT_EXPORT int blit_unlinkat(int dirfd, const char *path, int flags)
{
	native_calls++;
	return (int)int_result(unlinkat(dirfd, path, flags));
}

BLIT_EXPORT int blit_faccessat(int dirfd, const char *path, int mode, int flags)
{
	native_calls++;
	return (int)int_result(faccessat(dirfd, path, mode, flags));
}

/* ------------------------------------------------------------------ */
/* Metadata                                                             */
/* ------------------------------------------------------------------ */

/*
 * A directory this user may search and write but not read (a drop box) is
 * opened O_PATH, which the f* calls refuse (EBADF): its attributes are read
 * and set through /proc/self/fd/N instead, which names the inode opened,
 * not a path looked up again. 1 with `proc` filled where fd is such a
 * descriptor, 0 where the call's EBADF stands.
 */
static int path_only(int fd, char proc[40])
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || !(flags & O_PATH))
		return 0;
	snprintf(proc, 40, "/proc/self/fd/%d", fd);
	return 1;
}

BLIT_EXPORT int blit_fchmod(int fd, uint32_t mode)
{
	char proc[40];

	native_calls++;
	if (fchmod(fd, (mode_t)mode) == 0)
		return 0;
	return errno == EBADF && path_only(fd, proc) ? (int)int_result(chmod(proc, (mode_t)mode)) : neg_errno();
}

/*
 * fchmodat, and with AT_SYMLINK_NOFOLLOW never through a symlink: the entry
 * (a fifo, a device, a directory made by name) may have been swapped for a
 * symlink to a file outside DEST since it was made, and chmod(2) would set
 * that file's mode. Linux 6.6's fchmodat2 takes the flag and refuses a
 * symlink (EOPNOTSUPP); before it, glibc's fchmodat has no such flag (or,
 * from 2.32, emulates it as here): the entry is opened O_PATH | O_NOFOLLOW,
 * a symlink refused, and anything else changed through /proc/self/fd,
 * which names the inode opened, not a path looked up again.
 */
#define NR_FCHMODAT2 452

BLIT_EXPORT int blit_fchmodat(int dirfd, const char *path, uint32_t mode, int flags)
{
	native_calls++;
	if (!(flags & AT_SYMLINK_NOFOLLOW))
		return (int)int_result(fchmodat(dirfd, path, (mode_t)mode, flags));
	if (syscall(NR_FCHMODAT2, dirfd, path, (mode_t)mode, flags) == 0)
		return 0;
	/* ENOSYS: an older kernel; EPERM: maybe a seccomp filter that does not know it (a real EPERM comes again below). */
	if (errno != ENOSYS && errno != EPERM)
		return neg_errno();
	int fd = openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	struct statx st;
	int ret;
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE, &st) < 0) {
		ret = neg_errno();
	} else if (S_ISLNK(st.stx_mode)) {
		ret = -EOPNOTSUPP;
	} else {
		char proc[40];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		ret = chmod(proc, (mode_t)mode) < 0 ? neg_errno() : 0;
	}
	close(fd);
	return ret;
}

BLIT_EXPORT int blit_fchown(int fd, uint32_t uid, uint32_t gid)
{
	char proc[40];

	native_calls++;
	if (fchown(fd, uid, gid) == 0)
		return 0;
	return errno == EBADF && path_only(fd, proc) ? (int)int_result(chown(proc, uid, gid)) : neg_errno();
}

BLIT_EXPORT int blit_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)
{
	native_calls++;
	return (int)int_result(fchownat(dirfd, path, uid, gid, flags));
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
	char proc[40];

	fill_times(ts, atime_sec, atime_nsec, mtime_sec, mtime_nsec);
	if (futimens(fd, ts) == 0)
		return 0;
	return errno == EBADF && path_only(fd, proc) ? (int)int_result(utimensat(AT_FDCWD, proc, ts, 0)) : neg_errno();
}

BLIT_EXPORT int blit_utimensat(int dirfd, const char *path, int64_t atime_sec, int64_t atime_nsec,
			       int64_t mtime_sec, int64_t mtime_nsec, int flags)
{
	native_calls++;
	struct timespec ts[2];

	fill_times(ts, atime_sec, atime_nsec, mtime_sec, mtime_nsec);
	return (int)int_result(utimensat(dirfd, path, ts, flags));
}

/*
 * The kernel allocates as much as the caller's buffer to list names or read
 * a value into (kvmalloc; zeroed for a value): 64 KiB for blit's. In a
 * warm copy of 50,000 small files, allocating it for each file's listxattr
 * took 2.4 % of the copy's CPU time. Asked first with XATTR_FIRST_TRY
 * bytes, which what most files have fits (nothing, a security label, an
 * ACL); where that is too small (ERANGE), asked again with the whole buffer.
 */
#define XATTR_FIRST_TRY 1024

static uint64_t first_try(uint64_t len)
{
	return len < XATTR_FIRST_TRY ? len : XATTR_FIRST_TRY;
}

static int ask_whole(int64_t n, uint64_t len)
{
	return n == -ERANGE && len > XATTR_FIRST_TRY;
}

/* xattr names come back NUL-separated, as the kernel lists them. */
static int64_t list_names_fd(int fd, char *buf, uint64_t len)
{
	char proc[40];
	ssize_t n;

	if ((n = flistxattr(fd, buf, len)) >= 0)
		return n;
	return errno == EBADF && path_only(fd, proc) ? ssize_result(listxattr(proc, buf, len)) : neg_errno();
}

BLIT_EXPORT int64_t blit_flistxattr(int fd, char *buf, uint64_t len)
{
	native_calls++;
	int64_t n = list_names_fd(fd, buf, first_try(len));

	return ask_whole(n, len) ? list_names_fd(fd, buf, len) : n;
}

static int64_t value_fd(int fd, const char *name, void *buf, uint64_t len)
{
	char proc[40];
	ssize_t n;

	if ((n = fgetxattr(fd, name, buf, len)) >= 0)
		return n;
	return errno == EBADF && path_only(fd, proc) ? ssize_result(getxattr(proc, name, buf, len)) : neg_errno();
}

BLIT_EXPORT int64_t blit_fgetxattr(int fd, const char *name, void *buf, uint64_t len)
{
	native_calls++;
	int64_t n = value_fd(fd, name, buf, first_try(len));

	return ask_whole(n, len) ? value_fd(fd, name, buf, len) : n;
}

BLIT_EXPORT int blit_fsetxattr(int fd, const char *name, const void *value, uint64_t len, int flags)
{
	char proc[40];

	native_calls++;
	if (fsetxattr(fd, name, value, len, flags) == 0)
		return 0;
	return errno == EBADF && path_only(fd, proc) ? (int)int_result(setxattr(proc, name, value, len, flags)) : neg_errno();
}

/*
 * The same for an entry named relative to a directory descriptor, without
 * following it if it is a symlink (symlinks and device files have no
 * descriptor of their own to use instead). Linux 6.13 has *xattrat calls
 * for this; before it, /proc/self/fd/N/name resolves the directory by
 * descriptor and the l* calls leave the last component alone. The /proc
 * walk costs more than the call itself, which --skip-unchanged makes once
 * per file. The syscall numbers are the same on x86_64 and arm64.
 */
#define NR_GETXATTRAT 464
#define NR_LISTXATTRAT 465
#define NR_REMOVEXATTRAT 466

struct xattr_args_v0 {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

/*
 * Whether the kernel has the *xattrat calls, asked once: a relative name on a
 * bad descriptor fails with EBADF (an empty name would fail first, with
 * ENOENT, as on any kernel). An older kernel says ENOSYS, and a seccomp filter
 * that does not know them (older container runtimes) says EPERM, which a
 * real call must not be mistaken for. 1 yes, 0 no, -1 not asked yet.
 */
static int have_xattrat = -1;

static int use_xattrat(void)
{
	int known = __atomic_load_n(&have_xattrat, __ATOMIC_RELAXED);

	if (known < 0) {
		known = syscall(NR_LISTXATTRAT, -1, "x", AT_SYMLINK_NOFOLLOW, NULL, (size_t)0) < 0 && errno == EBADF;
		__atomic_store_n(&have_xattrat, known, __ATOMIC_RELAXED);
	}
	return known;
}

/*
 * A name the *at calls would not resolve from dirfd (an absolute one, or
 * any with AT_FDCWD: a command-line operand) is a path already; under
 * /proc/self/fd it would name nothing.
 */
static int entry_path(char *out, size_t len, int dirfd, const char *name)
{
	int n = dirfd == AT_FDCWD || name[0] == '/' ? snprintf(out, len, "%s", name)
						    : snprintf(out, len, "/proc/self/fd/%d/%s", dirfd, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int64_t list_names_at(int dirfd, const char *name, char *buf, uint64_t len)
{
	if (use_xattrat())
		return ssize_result(syscall(NR_LISTXATTRAT, dirfd, name, AT_SYMLINK_NOFOLLOW, buf, (size_t)len));
	char path[PATH_MAX];
	int ret = entry_path(path, sizeof(path), dirfd, name);

	return ret < 0 ? ret : ssize_result(llistxattr(path, buf, len));
}

BLIT_EXPORT int64_t blit_llistxattrat(int dirfd, const char *name, char *buf, uint64_t len)
{
	native_calls++;
	int64_t n = list_names_at(dirfd, name, buf, first_try(len));

	return ask_whole(n, len) ? list_names_at(dirfd, name, buf, len) : n;
}

/*
 * The size of each entry's list of xattr names (0: it has none), or -errno:
 * names as blit_statx_many takes them. A second run of an unchanged tree asks
 * this of every file on both sides; one call per batch, not one per file.
 */
BLIT_EXPORT void blit_llistxattr_sizes(int dirfd, const char *names, uint32_t count, int64_t *sizes)
{
	for (uint32_t i = 0; i < count; i++) {
		sizes[i] = blit_llistxattrat(dirfd, names, NULL, 0);
		names += strlen(names) + 1;
	}
}

static int64_t value_at(int dirfd, const char *name, const char *attr, void *buf, uint64_t len)
{
	if (use_xattrat() && len <= UINT32_MAX) {
		struct xattr_args_v0 args = { .value = (uint64_t)(uintptr_t)buf, .size = (uint32_t)len };

		return ssize_result(syscall(NR_GETXATTRAT, dirfd, name, AT_SYMLINK_NOFOLLOW, attr, &args, sizeof(args)));
	}
	char path[PATH_MAX];
	int ret = entry_path(path, sizeof(path), dirfd, name);

	return ret < 0 ? ret : ssize_result(lgetxattr(path, attr, buf, len));
}

BLIT_EXPORT int64_t blit_lgetxattrat(int dirfd, const char *name, const char *attr, void *buf, uint64_t len)
{
	native_calls++;
	int64_t n = value_at(dirfd, name, attr, buf, first_try(len));

	return ask_whole(n, len) ? value_at(dirfd, name, attr, buf, len) : n;
}

/* setxattrat exists too, but is rare enough here (symlinks' xattrs) to keep the one path. */
BLIT_EXPORT int blit_lsetxattrat(int dirfd, const char *name, const char *attr, const void *value,
				 uint64_t len, int flags)
{
	native_calls++;
	char path[PATH_MAX];
	int ret = entry_path(path, sizeof(path), dirfd, name);

	return ret < 0 ? ret : (int)int_result(lsetxattr(path, attr, value, len, flags));
}

BLIT_EXPORT int blit_fremovexattr(int fd, const char *attr)
{
	char proc[40];

	native_calls++;
	if (fremovexattr(fd, attr) == 0)
		return 0;
	return errno == EBADF && path_only(fd, proc) ? (int)int_result(removexattr(proc, attr)) : neg_errno();
}

BLIT_EXPORT int blit_lremovexattrat(int dirfd, const char *name, const char *attr)
{
	native_calls++;
	if (use_xattrat())
		return (int)int_result((int)syscall(NR_REMOVEXATTRAT, dirfd, name, AT_SYMLINK_NOFOLLOW, attr));
	char path[PATH_MAX];
	int ret = entry_path(path, sizeof(path), dirfd, name);

	return ret < 0 ? ret : (int)int_result(lremovexattr(path, attr));
}

/* ------------------------------------------------------------------ */
/* Reading ahead                                                        */
/* ------------------------------------------------------------------ */

/*
 * A walk of each tree about to be copied (SOURCE, and DEST where it is
 * there already: a second run stats both side by side), up to AHEAD_WALKS,
 * that goes depth first in listing order as the workers go (AHEAD_THREADS
 * directories at once, AHEAD_DATA_THREADS where it reads data) and stats every entry, as
 * find(1) would, and where the copy will read every file (read_data),
 * starts reading each regular file's first AHEAD_FILE bytes (readahead(2)).
 * With the caches cold, each directory's blocks, each inode and the data
 * are then read from the disk on the walk's behalf, ahead of the workers,
 * who find them in memory or on their way instead of waiting for them one
 * directory at a time.
 *
 * The walks stay at most AHEAD_ENTRIES entries ahead of the stats the
 * workers have made (stats_made), and the data within data_budget() of
 * what they have read (bytes_read), so that what the walks bring in is not
 * pushed out of memory again before it is used. A walk stops once
 * AHEAD_WARM_ENTRIES entries in a row, whole directories, were listed and
 * statted without the thread listing each blocking (its voluntary context
 * switches): they came from memory, the tree is cached, and walking it
 * only costs CPU. Timing the calls cannot tell: a cold directory of small
 * files, 16 inodes to a block, took 6 us an entry on average, and a warm
 * one beside a copy that keeps the CPUs busy has calls preempted for
 * milliseconds. Counted in
 * directories (64), the walk gave up a third of the way through a cold
 * Linux source tree, where ext4 reads 32 inode blocks at a time.
 *
 * Only filesystems on a local disk are walked: tmpfs has nothing to read
 * ahead, and a network filesystem's stats are a server's work.
 */
#define AHEAD_ENTRIES 65536
/* What of a tree's data its walk reads (blit_read_ahead's read_data): see "Reading what changed". */
#define READ_NONE 0
#define READ_ALL 1
#define READ_CHANGED 2
#define AHEAD_DEPTH 32
#define AHEAD_WALKS 2
/*
 * Directories listed at once by a walk of metadata alone: the disk serves
 * several reads at a time, and find's one at a time leaves it idle. Cold,
 * listing and statting both sides of the mixed tree (21,000 entries each)
 * took 0.34 s with one thread in all, 0.17 s with 4, 0.13 s with 8 and
 * 0.12 s with 16 (2026-12-03, virtio disk). blit's second runs, medians
 * of 3 rounds, with one thread a walk, then 2, 4, 8: the mixed tree 0.425,
 * 0.368, 0.360, 0.359 s; the Linux tree 1.11, 0.83, 0.81, 0.83 s; the
 * small tree (50,000 files), where the CPUs are the limit, 0.506, 0.513,
 * 0.525, 0.528 s: there more threads cost more than they bring.
 */
#define AHEAD_THREADS 4
/*
 * A walk that reads data too has AHEAD_DATA_THREADS, and each waits for
 * the data budget rather than leave a file to its worker: four that left
 * them raced so far ahead of the workers that most files found the budget
 * spent (a cold copy of the Linux tree read 469 MB ahead instead of
 * 1,099 MB, and took 2.55 s instead of 2.16 s with one thread). Waiting,
 * two against one that left them (first copies, medians of 3-5 rounds
 * rotated, four series): the mixed tree 1.25, 1.21, 1.22 s against 1.30,
 * 1.25, 1.29 s; the small tree 1.65 and 1.64 s against 1.75 and 1.72 s;
 * the Linux tree 3.48 and 4.06 s against 3.66 and 3.91 s. Four waiting
 * were no better than two, and worse in some series (bench/README item 21).
 */
#define AHEAD_DATA_THREADS 2
#define AHEAD_STALL_NS 200000000ull
#define AHEAD_WARM_ENTRIES 4096
#define AHEAD_LISTING (32 << 10)
#define AHEAD_FILE (8 << 20)
#define AHEAD_BYTES (256 << 20)
#define AHEAD_BYTES_OF_MEMORY 32
/*
 * Listing a directory sets its access time; its worker reads the times it
 * copies (-a) before it lists it, and must find them as they were, as cp
 * does. O_NOATIME needs the directory's owner or CAP_FOWNER: a directory
 * this process may not open so is not walked, nor what is below it.
 */
#define AHEAD_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK | O_NOATIME)

/* openat2(2), Linux 5.6, which musl's headers do not number. */
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/*
 * pthread_create's oldest version: glibc 2.34 moved it into libc.so.6 under
 * a new one, which glibcs before 2.34 lack; the shim loads on those too,
 * where the symbol comes from libpthread.so.0, which Bun's runtime has
 * loaded already (its own threads need it).
 */
#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
#elif defined(__GLIBC__) && defined(__aarch64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.17");
#endif

static unsigned ahead_walks;
static uint64_t ahead_entries;
/* Directories the walks have listed, and of them those whose listing waited for the disk. */
static uint64_t ahead_dirs_listed, ahead_dirs_waited;
/* The files whose heads were read ahead, whole, and the heads themselves. */
static uint64_t ahead_bytes, ahead_read;
static uint64_t ahead_budget;

/* A directory waiting to be listed: its path below the walk's root. */
struct pending_dir {
	int depth;
	char path[];
};

/*
 * One tree's walk, shared by its AHEAD_THREADS (AHEAD_DATA_THREADS) threads: a stack of
 * directories still to list, so that together they go depth first in
 * listing order, as the workers do, several directories at once.
 */
struct walk {
	pthread_mutex_t lock;
	pthread_cond_t listed;
	int root;
	uint32_t dev_major, dev_minor;
	struct pending_dir **pending;
	size_t count, room;
	unsigned listing;	/* threads listing a directory now */
	unsigned threads;	/* threads still running: the last frees the walk */
	uint64_t warm_entries;
	int given_up;
	int read_data;	/* READ_* */
	int keep;	/* what of each directory is kept for the workers: WALK_KEEP_* */
	int paired;	/* the destination walk of a pair (see "Reading what changed") */
};

static int disk_filesystem(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return 0;
	switch ((uint32_t)sf.f_type) {
	case 0xEF53:		/* ext2, ext3, ext4 */
	case 0x58465342:	/* xfs */
	case 0x9123683E:	/* btrfs */
	case 0xF2F52010:	/* f2fs */
	case 0x2FC12FC1:	/* zfs */
	case 0xCA451A4E:	/* bcachefs */
	case 0x4D44:		/* vfat */
	case 0x2011BAB0:	/* exfat */
		return 1;
	}
	return 0;
}

/* The step a filesystem keeps mtimes in, by its statfs magic: FAT's 2 s, exFAT's 10 ms, else 0. */
static int64_t time_step_ns(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return 0;
	switch ((uint32_t)sf.f_type) {
	case 0x4D44:		/* vfat */
		return 2000000000ll;
	case 0x2011BAB0:	/* exfat */
		return 10000000ll;
	}
	return 0;
}

/* Waits while the walks are too far ahead of the workers, counting the waits in *slept. */
static void keep_pace(long *slept)
{
	const struct timespec pause = { 0, 2000000 };

	while (__atomic_load_n(&ahead_entries, __ATOMIC_RELAXED) >=
	       __atomic_load_n(&stats_made, __ATOMIC_RELAXED) + AHEAD_ENTRIES) {
		nanosleep(&pause, NULL);
		(*slept)++;
	}
}

/*
 * How far the data read ahead may be ahead of the workers' reads: a 32nd
 * of the memory (the machine's, or the container's limit), at most
 * AHEAD_BYTES, so that it is not pushed out of the page cache before it is
 * read.
 */
static uint64_t data_budget(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t memory = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
	char limit[32] = { 0 };
	int fd = open("/sys/fs/cgroup/memory.max", O_RDONLY | O_CLOEXEC);

	/* A container's own limit (cgroup v2, as its namespace shows it), where lower. */
	if (fd >= 0) {
		if (read(fd, limit, sizeof(limit) - 1) > 0 && limit[0] >= '0' && limit[0] <= '9') {
			uint64_t max = strtoull(limit, NULL, 10);

			memory = max < memory ? max : memory;
		}
		close(fd);
	}
	memory /= AHEAD_BYTES_OF_MEMORY;
	return memory < AHEAD_BYTES ? memory : AHEAD_BYTES;
}

static uint64_t monotonic_ns(void);

/* The workers' bytes_read when a waiting walk last saw them read nothing for AHEAD_STALL_NS. */
static uint64_t stalled_at = UINT64_MAX;

/* Whether a file's head of `head` bytes would put the walks more than the budget ahead of the workers' reads. */
static int past_budget(uint64_t head)
{
	return __atomic_load_n(&ahead_bytes, __ATOMIC_RELAXED) + head >
	       __atomic_load_n(&bytes_read, __ATOMIC_RELAXED) + ahead_budget;
}

/*
 * Starts reading a regular file's first AHEAD_FILE bytes into the page
 * cache, once the files whose heads were read are no more than the budget
 * ahead of what the workers have read. With `slept`, the walk waits for
 * that (counting its waits there); without, a file past the budget is
 * left to its worker. A file counts as the bytes its worker will read: all
 * of it, so that a large one copied gives no credit for more heads than
 * the budget allows, less its holes (`allocated`), and where its names
 * cannot be told apart (read_file_ahead) a share of it for each name (-a
 * reads it once), so that what the workers will never read does not hold a
 * waiting walk back.
 *
 * Where the workers read nothing for AHEAD_STALL_NS while a walk waits,
 * they are not reading what it counted (they clone, between btrfs
 * subvolumes; files shrank after the walk's stat): until they read again,
 * files past the budget are left to them, and the walk goes on with the
 * metadata.
 */
static void read_data_ahead(int dir, const char *name, uint64_t size, uint64_t allocated, uint32_t names, long *slept)
{
	const struct timespec pause = { 0, 2000000 };
	/* Never more than the budget, which a wait could then never see room for (a small container's). */
	uint64_t most = AHEAD_FILE < ahead_budget ? AHEAD_FILE : ahead_budget;
	uint64_t head = size < most ? size : most;
	uint64_t counted = (allocated < size ? allocated : size) / (names ? names : 1);
	uint64_t read_then = __atomic_load_n(&bytes_read, __ATOMIC_RELAXED), since = 0;

	if (!head)
		return;
	while (slept && past_budget(head) && read_then != __atomic_load_n(&stalled_at, __ATOMIC_RELAXED)) {
		uint64_t read_now = __atomic_load_n(&bytes_read, __ATOMIC_RELAXED), now = monotonic_ns();

		if (read_now != read_then || !since) {
			read_then = read_now;
			since = now;
		} else if (now - since > AHEAD_STALL_NS) {
			__atomic_store_n(&stalled_at, read_now, __ATOMIC_RELAXED);
			break;
		}
		nanosleep(&pause, NULL);
		(*slept)++;
	}
	if (past_budget(head))
		return;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return;
	readahead(fd, 0, head);
	close(fd);
	__atomic_add_fetch(&ahead_bytes, counted, __ATOMIC_RELAXED);
	__atomic_add_fetch(&ahead_read, head, __ATOMIC_RELAXED);
}

/*
 * The inodes of several names whose data a walk has met. -a reads such a
 * file once, by whichever name its worker meets first, and its other names
 * may be outside the tree (snapshots, package stores): so it is read ahead
 * and counted whole at the first name a walk meets, and not at the others.
 * Open addressing, filled to three quarters at most; past that a file
 * counts a share for each name, and each name's head is read.
 */
#define LINKED_BITS 16
#define LINKED_SLOTS (1u << LINKED_BITS)

struct linked_inode {
	uint64_t ino;
	uint32_t dev_major, dev_minor;
};

static struct linked_inode linked_met[LINKED_SLOTS];
static unsigned linked_count;
static pthread_mutex_t linked_lock = PTHREAD_MUTEX_INITIALIZER;

/* 1 the first time a walk meets an inode, 0 after; -1 where it cannot be told (the table is full). */
static int first_name_met(const struct statx *st)
{
	uint64_t hash = (st->stx_ino ^ (uint64_t)st->stx_dev_major << 40 ^ (uint64_t)st->stx_dev_minor << 20) * 0x9e3779b97f4a7c15ull;
	unsigned i = (unsigned)(hash >> (64 - LINKED_BITS));
	int first = -1;

	if (!st->stx_ino)
		return -1;
	pthread_mutex_lock(&linked_lock);
	for (;; i = (i + 1) & (LINKED_SLOTS - 1)) {
		struct linked_inode *slot = &linked_met[i];

		/*
		 * A write is the slot's first touch: a read of an untouched page
		 * maps the zero page, and the write after it then costs a
		 * copy-on-write fault whose TLB flush interrupts every other CPU
		 * running the process (198 in a first copy of the bench's mixed
		 * tree). Under the lock, adding 0 changes nothing.
		 */
		__atomic_fetch_add(&slot->ino, 0, __ATOMIC_RELAXED);
		if (slot->ino == st->stx_ino && slot->dev_major == st->stx_dev_major && slot->dev_minor == st->stx_dev_minor) {
			first = 0;
			break;
		}
		if (!slot->ino) {
			if (linked_count < LINKED_SLOTS / 4 * 3) {
				*slot = (struct linked_inode){ st->stx_ino, st->stx_dev_major, st->stx_dev_minor };
				linked_count++;
				first = 1;
			}
			break;
		}
	}
	pthread_mutex_unlock(&linked_lock);
	return first;
}

/* Reads a regular file's head ahead, as read_data_ahead, once per inode where it has several names. */
static void read_file_ahead(int dir, const char *name, const struct statx *st, long *slept)
{
	int first = st->stx_nlink > 1 ? first_name_met(st) : 1;

	if (first)
		read_data_ahead(dir, name, st->stx_size, st->stx_blocks * 512, first > 0 ? 1 : st->stx_nlink, slept);
}

/* Times this thread has blocked so far (voluntary context switches); -1 if unknown. */
static long times_blocked(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) < 0 ? -1 : ru.ru_nvcsw;
}

/* A getdents64 record, as the kernel writes it (musl 1.2.4 and later hide struct dirent64). */
struct listed_entry {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static int is_dot(const char *name)
{
	return name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0));
}

/* Appends a NUL-terminated name to a growing list; 0 if memory ran out. */
static int add_name(char **list, size_t *used, size_t *room, const char *name)
{
	size_t len = strlen(name) + 1;

	if (*used + len > *room) {
		size_t grown = (*room ? *room * 2 : 4096) + len;
		char *bigger = realloc(*list, grown);

		if (!bigger)
			return 0;
		*list = bigger;
		*room = grown;
	}
	memcpy(*list + *used, name, len);
	*used += len;
	return 1;
}

/*
 * What a walk leaves for others to take (a directory's stats for the
 * workers, a listing for the other walk of a pair): a table of entries by
 * a hash of their key, oldest first, at most max bytes, the oldest let go
 * first. Each entry begins with its struct kept.
 */
#define KEPT_BUCKETS 4096

struct kept {
	struct kept *next;		/* in its bucket */
	struct kept *older, *newer;	/* in the order kept */
	size_t bucket, bytes;
};

struct kept_table {
	pthread_mutex_t lock;
	struct kept *buckets[KEPT_BUCKETS];
	struct kept *oldest, *newest;
	size_t bytes, max;
};

/* Unlinks k from its bucket and from the order kept. Called locked. */
static void kept_unlink(struct kept_table *t, struct kept *k)
{
	struct kept **at = &t->buckets[k->bucket];

	while (*at && *at != k)
		at = &(*at)->next;
	if (*at)
		*at = k->next;
	if (k->older)
		k->older->newer = k->newer;
	else
		t->oldest = k->newer;
	if (k->newer)
		k->newer->older = k->older;
	else
		t->newest = k->older;
	t->bytes -= k->bytes;
}

/* Adds k (bytes long) as the newest in bucket, letting go of the oldest past t->max. Called locked. */
static void kept_add(struct kept_table *t, struct kept *k, size_t bucket, size_t bytes)
{
	while (t->oldest && t->bytes + bytes > t->max) {
		struct kept *old = t->oldest;

		kept_unlink(t, old);
		free(old);
	}
	k->bucket = bucket;
	k->bytes = bytes;
	k->next = t->buckets[bucket];
	t->buckets[bucket] = k;
	k->older = t->newest;
	k->newer = NULL;
	if (t->newest)
		t->newest->newer = k;
	else
		t->oldest = k;
	t->newest = k;
	t->bytes += bytes;
}

/* Lets go of everything kept. Called locked. */
static void kept_clear(struct kept_table *t)
{
	while (t->oldest) {
		struct kept *old = t->oldest;

		kept_unlink(t, old);
		free(old);
	}
}

/*
 * What a walk keeps of the directories it lists, for the workers to take
 * instead of statting each entry again (blit_walked_stats): a second run
 * of an unchanged tree then stats each inode once, not twice. Asked for by
 * the engine (blit_read_ahead's keep) where its decision rests on those
 * stats alone; the entries' xattr list sizes too, where it keeps xattrs.
 */
#define WALK_KEEP_NONE 0
#define WALK_KEEP_STATS 1
#define WALK_KEEP_XATTR_SIZES 2
/* The part of a struct statx the workers read (up to stx_dev_minor). */
#define WALKED_STAT 144
/*
 * What the kept directories may hold at once. One a worker reached before
 * its walk did is never taken: past this, the oldest kept go first, as the
 * workers have gone past those.
 */
#define WALKED_BYTES (16 << 20)

/* One directory as a walk listed it: its entries' stats, in listing order. */
struct walked_dir {
	struct kept kept;
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t listed_ns;			/* CLOCK_MONOTONIC when its listing began */
	int whole;				/* every entry listed is here: the listing reached its end */
	uint32_t count;
	int64_t *xattr_sizes;			/* NULL unless kept */
	unsigned char *stats;			/* WALKED_STAT bytes each */
	uint32_t *name_at;			/* each name's offset in names */
	uint32_t *slots;			/* each name's index plus one, by name_hash */
	size_t slot_count;			/* a power of two, at least twice count */
	uint32_t next;				/* where blit_list_unchanged looks for the next name */
	char *names;
};

static struct kept_table walked = { .lock = PTHREAD_MUTEX_INITIALIZER, .max = WALKED_BYTES };
/* Entries whose stats the workers took from the walks, for --stats. */
static uint64_t walked_taken;
/* Files blit_list_unchanged found the same on both sides from the walks' listings, and with either side statted there, for --stats. */
static uint64_t walked_same_files, listed_same_files;
/* Whether any walk keeps stats: the workers' asking costs nothing otherwise. */
static int walks_keep;

/* A directory's entries while it is listed, before they are kept. */
struct walked_scratch {
	char *names;
	size_t names_used, names_room;
	unsigned char *stats;
	int64_t *xattr_sizes;
	uint32_t *name_at;
	size_t count, room;
};

static size_t walked_bucket(uint32_t major, uint32_t minor, uint64_t ino)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)major << 20) ^ minor) % KEPT_BUCKETS;
}

/* Adds one listed entry to the scratch; 0 if memory ran out. */
static int walked_add(struct walked_scratch *sc, const char *name, const struct statx *st, int64_t xattr_size)
{
	if (sc->count == sc->room) {
		size_t room = sc->room ? sc->room * 2 : 256;
		unsigned char *stats = realloc(sc->stats, room * WALKED_STAT);
		int64_t *sizes = stats ? realloc(sc->xattr_sizes, room * sizeof(*sizes)) : NULL;
		uint32_t *at = sizes ? realloc(sc->name_at, room * sizeof(*at)) : NULL;

		if (stats)
			sc->stats = stats;
		if (sizes)
			sc->xattr_sizes = sizes;
		if (!at)
			return 0;
		sc->name_at = at;
		sc->room = room;
	}
	sc->name_at[sc->count] = (uint32_t)sc->names_used;
	if (!add_name(&sc->names, &sc->names_used, &sc->names_room, name))
		return 0;
	memcpy(sc->stats + sc->count * WALKED_STAT, st, WALKED_STAT);
	sc->xattr_sizes[sc->count] = xattr_size;
	sc->count++;
	return 1;
}

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	while (*name)
		h = (h ^ (unsigned char)*name++) * 16777619u;
	return h;
}

/*
 * The index of a kept entry by its name, or -1. By its slot: the worker
 * asking lists DEST's directory's names in SOURCE's order, which on
 * another filesystem is another order.
 */
static int64_t walked_index(const struct walked_dir *d, const char *name)
{
	for (size_t at = name_hash(name) & (d->slot_count - 1); d->slots[at]; at = (at + 1) & (d->slot_count - 1))
		if (strcmp(d->names + d->name_at[d->slots[at] - 1], name) == 0)
			return d->slots[at] - 1;
	return -1;
}

/*
 * Keeps the scratch's entries as the directory with that identity's, for
 * the first worker that asks; nothing if that would hold more than
 * WALKED_BYTES once the oldest kept are let go.
 */
static void walked_keep(const struct walked_scratch *sc, const struct statx *dir, int xattr_sizes, uint64_t listed_ns, int whole)
{
	size_t sizes = xattr_sizes ? sc->count * sizeof(int64_t) : 0;
	size_t slot_count = 16;

	while (slot_count < 2 * sc->count)
		slot_count *= 2;
	size_t bytes = sizeof(struct walked_dir) + sizes + sc->count * (WALKED_STAT + sizeof(uint32_t)) +
		       slot_count * sizeof(uint32_t) + sc->names_used;
	struct walked_dir *d;

	if (!sc->count || bytes > WALKED_BYTES || !(d = malloc(bytes)))
		return;
	d->dev_major = dir->stx_dev_major;
	d->dev_minor = dir->stx_dev_minor;
	d->ino = dir->stx_ino;
	d->listed_ns = listed_ns;
	d->whole = whole;
	d->count = (uint32_t)sc->count;
	/* In the one block: the 8-byte sizes, the stats (a multiple of 8), the offsets, the slots, the names. */
	d->xattr_sizes = xattr_sizes ? (int64_t *)(d + 1) : NULL;
	d->stats = (unsigned char *)(d + 1) + sizes;
	d->name_at = (uint32_t *)(d->stats + sc->count * WALKED_STAT);
	d->slots = d->name_at + sc->count;
	d->slot_count = slot_count;
	d->next = 0;
	d->names = (char *)(d->slots + slot_count);
	if (xattr_sizes)
		memcpy(d->xattr_sizes, sc->xattr_sizes, sizes);
	memcpy(d->stats, sc->stats, sc->count * WALKED_STAT);
	memcpy(d->name_at, sc->name_at, sc->count * sizeof(uint32_t));
	memcpy(d->names, sc->names, sc->names_used);
	memset(d->slots, 0, slot_count * sizeof(uint32_t));
	for (uint32_t j = 0; j < d->count; j++) {
		size_t at = name_hash(d->names + d->name_at[j]) & (slot_count - 1);

		while (d->slots[at])
			at = (at + 1) & (slot_count - 1);
		d->slots[at] = j + 1;
	}

	pthread_mutex_lock(&walked.lock);
	kept_add(&walked, &d->kept, walked_bucket(d->dev_major, d->dev_minor, d->ino), bytes);
	pthread_mutex_unlock(&walked.lock);
}

/* The kept listing of the directory with dir's identity, or NULL. Called locked. */
static struct walked_dir *walked_find(const struct statx *dir)
{
	for (struct kept *k = walked.buckets[walked_bucket(dir->stx_dev_major, dir->stx_dev_minor, dir->stx_ino)]; k; k = k->next) {
		struct walked_dir *w = (struct walked_dir *)k;

		if (w->ino == dir->stx_ino && w->dev_major == dir->stx_dev_major && w->dev_minor == dir->stx_dev_minor)
			return w;
	}
	return NULL;
}

/*
 * Whether a name beginning with prefix was in the directory open at dirfd
 * when a walk listed it whole: 1 or 0; -1 where no walk kept a whole
 * listing of it. What is kept stays for blit_walked_stats. A second run
 * asks it of each directory that is there, rather than listing it again
 * for what a run that died left (its temporary files).
 */
BLIT_EXPORT int blit_walked_holds_prefix(int dirfd, const char *prefix)
{
	native_calls++;
	struct walked_dir *d;
	struct statx dir;
	size_t len = strlen(prefix);
	int ret = -1;

	if (!__atomic_load_n(&walks_keep, __ATOMIC_RELAXED) ||
	    syscall(SYS_statx, dirfd, "", AT_EMPTY_PATH, STATX_INO, &dir) < 0)
		return -1;
	pthread_mutex_lock(&walked.lock);
	d = walked_find(&dir);
	if (d && d->whole) {
		ret = 0;
		for (uint32_t i = 0; i < d->count && !ret; i++)
			ret = strncmp(d->names + d->name_at[i], prefix, len) == 0;
	}
	pthread_mutex_unlock(&walked.lock);
	return ret;
}

/*
 * The stats (and xattr list sizes, where kept) a walk took of names in the
 * directory open at dirfd: each found one's WALKED_STAT bytes at
 * out + i * sizeof(struct statx), found[i] set. A directory's are given
 * once, whole, to the first to ask, and forgotten: a later run into the
 * same directory (another operand) stats it anew. None where its listing
 * began more than max_age_ms ago (0: whatever its age). How many were found.
 */
BLIT_EXPORT uint32_t blit_walked_stats(int dirfd, const char *names, uint32_t count, void *out,
				       int64_t *xattr_sizes, uint8_t *found, uint32_t max_age_ms)
{
	native_calls++;
	struct walked_dir *d = NULL;
	struct statx dir;
	uint32_t taken = 0, j = 0;

	memset(found, 0, count);
	if (!__atomic_load_n(&walks_keep, __ATOMIC_RELAXED) ||
	    syscall(SYS_statx, dirfd, "", AT_EMPTY_PATH, STATX_INO, &dir) < 0)
		return 0;
	pthread_mutex_lock(&walked.lock);
	d = walked_find(&dir);
	if (d)
		kept_unlink(&walked, &d->kept);
	pthread_mutex_unlock(&walked.lock);
	if (d && max_age_ms && monotonic_ns() - d->listed_ns > (uint64_t)max_age_ms * 1000000ull) {
		free(d);
		d = NULL;
	}
	if (!d)
		return 0;
	/* Asked in the order listed, as a rule: each name is looked for from where the last was found. */
	for (uint32_t i = 0; i < count; i++, names += strlen(names) + 1) {
		for (uint32_t tries = 0; tries < d->count; tries++, j = (j + 1) % d->count) {
			if (strcmp(d->names + d->name_at[j], names) != 0)
				continue;
			memcpy((struct statx *)out + i, d->stats + (size_t)j * WALKED_STAT, WALKED_STAT);
			if (xattr_sizes)
				xattr_sizes[i] = d->xattr_sizes ? d->xattr_sizes[j] : -ENODATA;
			found[i] = 1;
			taken++;
			j = (j + 1) % d->count;
			break;
		}
	}
	free(d);
	__atomic_add_fetch(&walked_taken, taken, __ATOMIC_RELAXED);
	/* Stats the workers did not have to make count toward the walks' pace all the same. */
	count_stats(taken);
	return taken;
}

/* What blit_list_unchanged compares, each of which a walk that keeps stats asks for. */
#define SAME_MASK (STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID | STATX_MTIME | STATX_INO | STATX_SIZE)

/*
 * Two regular files of one name each, two inodes, whose type, mode, owner,
 * size and mtime (to the nanosecond) are the same.
 */
static int same_file(const struct statx *a, const struct statx *b)
{
	return (a->stx_mask & SAME_MASK) == SAME_MASK && (b->stx_mask & SAME_MASK) == SAME_MASK &&
	       S_ISREG(a->stx_mode) && a->stx_mode == b->stx_mode &&
	       a->stx_nlink == 1 && b->stx_nlink == 1 &&
	       !(a->stx_ino == b->stx_ino && a->stx_dev_major == b->stx_dev_major && a->stx_dev_minor == b->stx_dev_minor) &&
	       a->stx_size == b->stx_size &&
	       a->stx_mtime.tv_sec == b->stx_mtime.tv_sec && a->stx_mtime.tv_nsec == b->stx_mtime.tv_nsec &&
	       a->stx_uid == b->stx_uid && a->stx_gid == b->stx_gid;
}

/*
 * The index of a name in SOURCE's kept listing, or -1. The worker lists the
 * directory the walk listed, in the same order: each name is looked for
 * where the last was found, before its slot is.
 */
static int64_t walked_next(struct walked_dir *s, const char *name)
{
	int64_t i = s->next < s->count && strcmp(s->names + s->name_at[s->next], name) == 0 ? s->next : walked_index(s, name);

	if (i >= 0)
		s->next = (uint32_t)i + 1;
	return i;
}

/* The listing size blit_list_unchanged reads at a time; rest must hold that many bytes. */
#define UNCHANGED_LISTING (32 << 10)

/* What blit_list_unchanged says of a chunk in counts[]. */
enum { SAME_FILES, SAME_BYTES, REST_NOT_DIRS, CHUNK_ENTRIES, SAME_STATTED, STATTED_NOW, STATTED_NS, UNCHANGED_COUNTS };

/* The stats of name in dir taken now, timed into counts; 0 where it cannot be statted (decided by the engine). */
static int stat_now(int dir, const char *name, struct statx *st, uint64_t *counts)
{
	uint64_t start = monotonic_ns();
	long r = syscall(SYS_statx, dir, name, AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT, SAME_MASK, st);

	counts[STATTED_NS] += monotonic_ns() - start;
	counts[STATTED_NOW]++;
	return r == 0;
}

/* A file's xattr list size: the kept one where its walk kept it, else listed now. */
static int64_t xattr_size(const struct walked_dir *kept, int64_t i, int dir, const char *name)
{
	return kept ? kept->xattr_sizes[i] : list_names_at(dir, name, NULL, 0);
}

/*
 * One chunk of a second run's listing of SOURCE's directory open at srcdir,
 * read here (getdents64) as a worker's own listing is, names made since the
 * walks went by included, and decided against both walks' listings of the
 * pair, DEST's open at dstdir: on a second run of an unchanged tree nearly
 * every entry is a file the same on both sides (same_file; with
 * xattr_sizes, neither has xattrs either), and handing each one's two
 * stats to a worker costs more than the walks took to make them. Where a
 * walk kept no listing of its side (it has not got there, it stopped on
 * finding its tree in memory, there is none) or DEST's began more than
 * dst_max_age_ms ago, that side's regular files are statted here as they
 * are met, if stat_unkept (the worker's stats do not wait for the disk,
 * where the ring's batches are quicker); otherwise nothing is read and
 * -ENOENT returned. The files found the same are counted (counts[], by
 * the enum above); the names of the rest go into rest, each
 * NUL-terminated, in the listing's order. REST_NOT_DIRS says how many of
 * those are not known to be directories, CHUNK_ENTRIES how many entries
 * the chunk held (0: the listing's end, where the walks' listings are let
 * go). How many names are left; -EINVAL where rest_len is short of
 * UNCHANGED_LISTING; or the listing's own error.
 */
BLIT_EXPORT int64_t blit_list_unchanged(int srcdir, int dstdir, int xattr_sizes, uint32_t dst_max_age_ms, int stat_unkept,
					char *rest, uint64_t rest_len, uint64_t *counts)
{
	native_calls++;
	struct walked_dir *s = NULL, *d = NULL;
	struct statx src_id, dst_id;
	char *listing;
	long got = 0;
	int64_t left = 0;
	uint64_t found = 0;

	memset(counts, 0, UNCHANGED_COUNTS * sizeof(*counts));
	if (rest_len < UNCHANGED_LISTING)
		return -EINVAL;
	if (!(listing = malloc(UNCHANGED_LISTING)))
		return -ENOENT;
	if (__atomic_load_n(&walks_keep, __ATOMIC_RELAXED) &&
	    syscall(SYS_statx, srcdir, "", AT_EMPTY_PATH, STATX_INO, &src_id) == 0 &&
	    syscall(SYS_statx, dstdir, "", AT_EMPTY_PATH, STATX_INO, &dst_id) == 0) {
		int s_usable, d_usable;

		/* Taken out while the chunk is decided, so that no walk lets either go meanwhile. */
		pthread_mutex_lock(&walked.lock);
		s = walked_find(&src_id);
		d = walked_find(&dst_id);
		if (d == s)
			d = NULL;
		s_usable = s && (!xattr_sizes || s->xattr_sizes);
		d_usable = d && (!xattr_sizes || d->xattr_sizes) &&
			   monotonic_ns() - d->listed_ns <= (uint64_t)dst_max_age_ms * 1000000ull;
		if ((s_usable && d_usable) || stat_unkept) {
			if (s)
				kept_unlink(&walked, &s->kept);
			if (d)
				kept_unlink(&walked, &d->kept);
		} else {
			s = d = NULL;
		}
		pthread_mutex_unlock(&walked.lock);
		/* Not to decide by (too old, or without the sizes asked for): that side is statted now, and nothing else would take them. */
		if (s && !s_usable) {
			free(s);
			s = NULL;
		}
		if (d && !d_usable) {
			free(d);
			d = NULL;
		}
	}
	if ((!s || !d) && !stat_unkept) {
		free(listing);
		return -ENOENT;
	}
	/* A chunk of nothing but "." and ".." is not the end. */
	while (counts[CHUNK_ENTRIES] == 0 && (got = syscall(SYS_getdents64, srcdir, listing, UNCHANGED_LISTING)) > 0) {
		for (long off = 0; off < got; ) {
			struct listed_entry *e = (struct listed_entry *)(listing + off);
			const struct statx *mine = NULL, *theirs = NULL;
			struct statx mine_now, theirs_now;
			int64_t i = -1, j = -1;

			off += e->reclen;
			if (is_dot(e->name))
				continue;
			counts[CHUNK_ENTRIES]++;
			if (s) {
				i = walked_next(s, e->name);
				mine = i >= 0 ? (const struct statx *)(s->stats + (size_t)i * WALKED_STAT) : NULL;
				found += i >= 0;
			} else if ((e->type == DT_REG || e->type == DT_UNKNOWN) && stat_now(srcdir, e->name, &mine_now, counts)) {
				mine = &mine_now;
			}
			/* DEST's side is looked at only for what may be the same. */
			if (mine && S_ISREG(mine->stx_mode) && mine->stx_nlink == 1) {
				if (d) {
					j = walked_index(d, e->name);
					theirs = j >= 0 ? (const struct statx *)(d->stats + (size_t)j * WALKED_STAT) : NULL;
					found += j >= 0;
				} else if (stat_now(dstdir, e->name, &theirs_now, counts)) {
					theirs = &theirs_now;
				}
			}
			if (theirs && same_file(mine, theirs) &&
			    (!xattr_sizes || (xattr_size(s, i, srcdir, e->name) == 0 && xattr_size(d, j, dstdir, e->name) == 0))) {
				counts[SAME_FILES]++;
				counts[SAME_BYTES] += mine->stx_size;
				counts[SAME_STATTED] += !s || !d;
				continue;
			}
			size_t len = strlen(e->name) + 1;

			memcpy(rest, e->name, len);
			rest += len;
			left++;
			if (mine ? !S_ISDIR(mine->stx_mode) : s || e->type != DT_DIR)
				counts[REST_NOT_DIRS]++;
		}
	}
	int err = got < 0 ? neg_errno() : 0;

	free(listing);
	__atomic_add_fetch(&walked_taken, found, __ATOMIC_RELAXED);
	__atomic_add_fetch(&walked_same_files, counts[SAME_FILES] - counts[SAME_STATTED], __ATOMIC_RELAXED);
	__atomic_add_fetch(&listed_same_files, counts[SAME_STATTED], __ATOMIC_RELAXED);
	/* Stats the workers did not have to make count toward the walks' pace all the same, as do those made here. */
	count_stats(found + counts[STATTED_NOW]);
	if (got > 0) {
		pthread_mutex_lock(&walked.lock);
		if (s)
			kept_add(&walked, &s->kept, s->kept.bucket, s->kept.bytes);
		if (d)
			kept_add(&walked, &d->kept, d->kept.bucket, d->kept.bytes);
		pthread_mutex_unlock(&walked.lock);
	} else {
		free(s);
		free(d);
	}
	return err ? err : left;
}

/*
 * Opens a directory below the walk's root without following a symlink on
 * the way: the path's directories were directories when listed, but any
 * may be a symlink by now. Kernels before 5.6 lack openat2 (and some
 * sandboxes refuse it), and it takes no path of PATH_MAX or more: there,
 * one component at a time.
 */
static int open_below(int root, const char *path)
{
	struct open_how how = { AHEAD_DIR_FLAGS | O_NOFOLLOW, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
	char name[NAME_MAX + 1];
	int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));

	if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != ENAMETOOLONG))
		return fd;
	fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
	while (fd >= 0 && *path) {
		size_t len = strcspn(path, "/");
		int next;

		if (len > NAME_MAX) {
			close(fd);
			return -1;
		}
		memcpy(name, path, len);
		name[len] = 0;
		path += len + (path[len] == '/');
		next = openat(fd, name, AHEAD_DIR_FLAGS | O_NOFOLLOW);
		close(fd);
		fd = next;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* Reading what changed                                                 */
/* ------------------------------------------------------------------ */

/*
 * A second run copies only the files whose size or mtime differ from
 * DEST's, or that DEST lacks. With the caches cold each of them waits for
 * its data, one file at a time per worker, where rsync's sender reads the
 * next changed file while its generator goes on checking. SOURCE's walk
 * (READ_CHANGED) and DEST's (paired) list the same directories at about
 * the same time: whichever lists a directory second compares the two
 * listings and starts reading the heads of SOURCE's files that differ, as
 * read_data_ahead does for a first copy. The first to list a directory
 * leaves its regular files' and subdirectories' names, sizes and mtimes
 * here until the other comes, at most PAIRED_BYTES, the oldest let go
 * first. A subdirectory DEST lacks, which DEST's walk never lists, is
 * given an empty listing in DEST's place (paired_missing). One pair at a
 * time: AHEAD_WALKS is 2.
 */
#define PAIRED_BYTES (8 << 20)

/* A regular file or a directory as one side listed it. */
struct paired_file {
	uint64_t size;
	int64_t sec;
	uint32_t nsec;
	uint32_t name_at;	/* its name's offset in the names */
	int is_dir;
};

/* A directory's regular files and subdirectories as one side listed them, while they are listed, and kept until the other side lists it. */
struct paired_scratch {
	struct paired_file *files;
	size_t count, room;
	char *names;
	size_t names_used, names_room;
};

struct paired_dir {
	struct kept kept;
	int source;				/* listed by SOURCE's walk */
	struct paired_scratch listed;		/* pointing into the same block */
	char *path;
};

static struct kept_table paired_dirs = { .lock = PTHREAD_MUTEX_INITIALIZER, .max = PAIRED_BYTES };
/*
 * SOURCE's root, which DEST's walk opens SOURCE's directories below, or -1;
 * closed once both walks of the pair have ended (paired_walks). Under paired_dirs.lock.
 */
static int paired_source = -1;
static unsigned paired_walks;
/* Whether the walk started last was SOURCE's of a pair, which the next may pair with. */
static int pair_waiting;
/* The step DEST's filesystem keeps mtimes in: FAT's 2 s, exFAT's 10 ms, else 0. */
static int64_t paired_step_ns;

static size_t paired_hash(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*path)
		h = (h ^ (unsigned char)*path++) * 0x100000001b3ull;
	return (size_t)h;
}

/* Adds one regular file or directory to the scratch; 0 if memory ran out. */
static int paired_add(struct paired_scratch *sc, const char *name, const struct statx *st)
{
	if (sc->count == sc->room) {
		size_t room = sc->room ? sc->room * 2 : 256;
		struct paired_file *files = realloc(sc->files, room * sizeof(*files));

		if (!files)
			return 0;
		sc->files = files;
		sc->room = room;
	}
	sc->files[sc->count] = (struct paired_file){ st->stx_size, st->stx_mtime.tv_sec, st->stx_mtime.tv_nsec, (uint32_t)sc->names_used, S_ISDIR(st->stx_mode) };
	if (!add_name(&sc->names, &sc->names_used, &sc->names_room, name))
		return 0;
	sc->count++;
	return 1;
}

/* Keeps a copy of the scratch as path's, listed by one side, for the other. Called locked. */
static void paired_keep(const struct paired_scratch *sc, const char *path, int source)
{
	size_t plen = strlen(path) + 1;
	size_t bytes = sizeof(struct paired_dir) + sc->count * sizeof(struct paired_file) + sc->names_used + plen;
	struct paired_dir *d;

	if (bytes > PAIRED_BYTES || !(d = malloc(bytes)))
		return;
	d->source = source;
	d->listed = (struct paired_scratch){ (struct paired_file *)(d + 1), sc->count, sc->count, NULL, sc->names_used, sc->names_used };
	d->listed.names = (char *)(d->listed.files + sc->count);
	d->path = d->listed.names + sc->names_used;
	/* An empty listing (a directory DEST lacks) has no arrays to copy. */
	if (sc->count) {
		memcpy(d->listed.files, sc->files, sc->count * sizeof(struct paired_file));
		memcpy(d->listed.names, sc->names, sc->names_used);
	}
	memcpy(d->path, path, plen);
	kept_add(&paired_dirs, &d->kept, paired_hash(path) % KEPT_BUCKETS, bytes);
}

/*
 * Whether DEST's mtime is SOURCE's as the quick check judges it (sameTimes
 * in src/engine/unchanged.ts, without --modify-window): under 1 us apart,
 * SOURCE's second without a fraction, or closer than the step DEST's
 * filesystem keeps times in (paired_step_ns). Only what is read ahead
 * depends on it, not what is copied.
 */
static int same_mtime(const struct paired_file *src, const struct paired_file *dst)
{
	int64_t apart = (dst->sec - src->sec) * 1000000000ll + ((int64_t)dst->nsec - (int64_t)src->nsec);
	int64_t step = paired_step_ns > 1000 ? paired_step_ns : 1000;

	if (apart < 0)
		apart = -apart;
	return apart < step || (dst->sec == src->sec && dst->nsec == 0);
}

static void paired_missing(const char *path);

/* Paths of subdirectories DEST lacks, gathered while their parent is open. */
struct missing_dirs {
	char **paths;
	size_t count, room;
};

static void missing_add(struct missing_dirs *m, const char *path, const char *name)
{
	size_t plen = strlen(path), nlen = strlen(name);
	char *below;

	if (m->count == m->room) {
		size_t room = m->room ? m->room * 2 : 16;
		char **grown = realloc(m->paths, room * sizeof(*grown));

		if (!grown)
			return;
		m->paths = grown;
		m->room = room;
	}
	below = malloc(plen + 1 + nlen + 1);
	if (!below)
		return;
	memcpy(below, path, plen);
	below[plen] = '/';
	memcpy(below + plen + 1, name, nlen + 1);
	m->paths[m->count++] = below;
}

/*
 * Starts reading the heads of src's files that dst lacks or has with
 * another size or mtime; src_dir is SOURCE's directory at path. A
 * subdirectory dst lacks is DEST's to make whole: added to missing, for
 * paired_missing once src_dir is closed (a new tree many levels deep
 * would otherwise hold a descriptor a level).
 */
static void read_changed_ahead(int src_dir, const char *path, const struct paired_scratch *src, const struct paired_scratch *dst,
			       struct missing_dirs *missing)
{
	size_t slots = 16;

	while (slots < dst->count * 2)
		slots *= 2;
	/* dst's entries by name: index + 1, 0 for an empty slot. */
	uint32_t *table = calloc(slots, sizeof(*table));

	if (!table)
		return;
	for (size_t i = 0; i < dst->count; i++) {
		size_t at = paired_hash(dst->names + dst->files[i].name_at) & (slots - 1);

		while (table[at])
			at = (at + 1) & (slots - 1);
		table[at] = (uint32_t)i + 1;
	}
	for (size_t i = 0; i < src->count; i++) {
		const struct paired_file *f = &src->files[i];
		const char *name = src->names + f->name_at;
		const struct paired_file *there = NULL;

		for (size_t at = paired_hash(name) & (slots - 1); table[at]; at = (at + 1) & (slots - 1)) {
			const struct paired_file *g = &dst->files[table[at] - 1];

			if (strcmp(dst->names + g->name_at, name) == 0) {
				there = g;
				break;
			}
		}
		if (there && there->is_dir != f->is_dir)
			there = NULL;
		if (f->is_dir) {
			if (!there)
				missing_add(missing, path, name);
		} else if (f->size > 0 && (!there || there->size != f->size || !same_mtime(f, there))) {
			read_data_ahead(src_dir, name, f->size, f->size, 1, NULL);
		}
	}
	free(table);
}

/*
 * The other side's listing of path if it came first, taken; else this
 * side's kept for it and NULL.
 */
static struct paired_dir *paired_take_or_keep(const char *path, int source, const struct paired_scratch *sc)
{
	struct paired_dir *other = NULL;

	pthread_mutex_lock(&paired_dirs.lock);
	for (struct kept *k = paired_dirs.buckets[paired_hash(path) % KEPT_BUCKETS]; k && !other; k = k->next) {
		struct paired_dir *d = (struct paired_dir *)k;

		if (d->source != source && strcmp(d->path, path) == 0)
			other = d;
	}
	if (other)
		kept_unlink(&paired_dirs, &other->kept);
	else
		paired_keep(sc, path, source);
	pthread_mutex_unlock(&paired_dirs.lock);
	return other;
}

/*
 * Both listings of the directory at path are in: SOURCE's files that
 * differ are read ahead. src_fd is SOURCE's directory, or -1: DEST's walk
 * opens it itself (paired_source stays open while either walk runs).
 */
static void pair_found(const char *path, int src_fd, const struct paired_scratch *src, const struct paired_scratch *dst)
{
	int src_dir = src_fd >= 0 ? src_fd : open_below(paired_source, path);
	struct missing_dirs missing = { 0 };

	if (src_dir < 0)
		return;
	read_changed_ahead(src_dir, path, src, dst, &missing);
	if (src_fd < 0)
		close(src_dir);
	for (size_t i = 0; i < missing.count; i++) {
		paired_missing(missing.paths[i]);
		free(missing.paths[i]);
	}
	free(missing.paths);
}

/*
 * DEST lacks the directory at path: every file SOURCE has there is to be
 * copied, and read ahead, now if SOURCE's walk listed it already, else
 * when it does (DEST's walk, which never lists it, leaves an empty listing
 * in its name). So on below it, as deep as SOURCE's walk goes.
 */
static void paired_missing(const char *path)
{
	const struct paired_scratch none = { 0 };
	struct paired_dir *listed = paired_take_or_keep(path, 0, &none);

	if (!listed)
		return;
	pair_found(path, -1, &listed->listed, &none);
	free(listed);
}

/*
 * One side of the pair has listed the directory at path (open at fd):
 * compared with the other side's listing if that came first, else kept
 * for it.
 */
static void paired_listed(const struct walk *w, const char *path, int fd, const struct paired_scratch *sc)
{
	int source = w->read_data == READ_CHANGED;
	struct paired_dir *other = paired_take_or_keep(path, source, sc);

	if (!other)
		return;
	pair_found(path, source ? fd : -1, source ? sc : &other->listed, source ? &other->listed : sc);
	free(other);
}

/* A walk of the pair has ended; the last lets go of what is kept. */
static void paired_walk_ended(void)
{
	pthread_mutex_lock(&paired_dirs.lock);
	if (--paired_walks == 0) {
		kept_clear(&paired_dirs);
		close(paired_source);
		paired_source = -1;
	}
	pthread_mutex_unlock(&paired_dirs.lock);
}

/* A new pending directory: parent's path, then name; NULL if memory ran out. */
static struct pending_dir *pending_below(const struct pending_dir *parent, const char *name)
{
	size_t plen = strlen(parent->path), nlen = strlen(name);
	struct pending_dir *d = malloc(sizeof(*d) + plen + 1 + nlen + 1);

	if (!d)
		return NULL;
	d->depth = parent->depth + 1;
	memcpy(d->path, parent->path, plen);
	d->path[plen] = '/';
	memcpy(d->path + plen + 1, name, nlen + 1);
	return d;
}

/*
 * Lists and stats one directory; its subdirectories on the same device go
 * into *subdirs (NUL-terminated names). How many entries came from memory
 * without this thread blocking, or -1 if it waited for the disk.
 */
static long list_dir(struct walk *w, const struct pending_dir *dir, char *listing,
		     char **subdirs, size_t *used, size_t *room, struct walked_scratch *kept,
		     struct paired_scratch *files)
{
	int fd = open_below(w->root, dir->path);
	long blocked = times_blocked(), slept = 0, entries = 0;
	int going = fd >= 0;
	int pairing = w->read_data == READ_CHANGED || w->paired;
	/* What the workers' stats ask for, where they may take them from here; a pair's mtimes. */
	uint32_t mask = w->keep ? STATX_BASIC_STATS : STATX_TYPE | STATX_SIZE | (pairing ? STATX_MTIME : 0) |
			(w->read_data == READ_ALL ? STATX_BLOCKS | STATX_NLINK : 0);
	struct statx self;
	int identified = going && w->keep && syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_INO, &self) == 0;
	int keeping = identified;
	uint64_t began = identified ? monotonic_ns() : 0;

	/* Whether every entry is kept: none failed its stat, and the listing reached its end. */
	int whole = keeping, ended = 0;

	kept->count = kept->names_used = 0;
	files->count = files->names_used = 0;
	while (going) {
		long got = syscall(SYS_getdents64, fd, listing, AHEAD_LISTING);

		ended = got == 0;
		if (got <= 0)
			break;
		for (long off = 0; off < got && going; ) {
			struct listed_entry *d = (struct listed_entry *)(listing + off);
			struct statx st;

			off += d->reclen;
			if (is_dot(d->name))
				continue;
			keep_pace(&slept);
			int r = (int)syscall(SYS_statx, fd, d->name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, mask, &st);
			whole = whole && r == 0;
			if (r == 0 && keeping) {
				int64_t xattrs = w->keep == WALK_KEEP_XATTR_SIZES ? blit_llistxattrat(fd, d->name, NULL, 0) : -ENODATA;

				keeping = walked_add(kept, d->name, &st, xattrs);
			}
			if (r == 0 && w->read_data == READ_ALL && S_ISREG(st.stx_mode) && st.stx_size > 0)
				read_file_ahead(fd, d->name, &st, &slept);
			if (r == 0 && pairing && (S_ISREG(st.stx_mode) || S_ISDIR(st.stx_mode)))
				pairing = paired_add(files, d->name, &st);
			entries++;
			__atomic_add_fetch(&ahead_entries, 1, __ATOMIC_RELAXED);
			if (r == 0 && S_ISDIR(st.stx_mode) && dir->depth + 1 < AHEAD_DEPTH &&
			    st.stx_dev_major == w->dev_major && st.stx_dev_minor == w->dev_minor)
				going = add_name(subdirs, used, room, d->name);
		}
	}
	/* Even a listing cut short: a worker stats anew the names it does not hold. */
	if (identified)
		walked_keep(kept, &self, w->keep == WALK_KEEP_XATTR_SIZES, began, whole && keeping && ended && going);
	/* A listing cut short is not compared: its missing names would read as new files. */
	if (pairing && fd >= 0 && going)
		paired_listed(w, dir->path, fd, files);
	if (fd >= 0)
		close(fd);
	/* Blocked other than in keep_pace: waited for the disk. */
	return blocked >= 0 && times_blocked() - blocked - slept <= 0 ? entries : -1;
}

/*
 * Puts a listed directory's subdirectories on the stack, the first listed
 * on top, and judges whether the tree is cached: AHEAD_WARM_ENTRIES entries
 * in a row (whole directories) listed without blocking. Called locked.
 */
static void listed(struct walk *w, const struct pending_dir *dir, long warm,
		   const char *subdirs, size_t used)
{
	size_t n = 0, at;

	__atomic_add_fetch(&ahead_dirs_listed, 1, __ATOMIC_RELAXED);
	if (warm < 0) {
		__atomic_add_fetch(&ahead_dirs_waited, 1, __ATOMIC_RELAXED);
		w->warm_entries = 0;
	} else {
		w->warm_entries += (uint64_t)warm;
		w->given_up = w->given_up || w->warm_entries >= AHEAD_WARM_ENTRIES;
	}
	for (at = 0; at < used; at += strlen(subdirs + at) + 1)
		n++;
	if (w->given_up || !n)
		return;
	if (w->count + n > w->room) {
		size_t grown = (w->room ? w->room * 2 : 256) + n;
		struct pending_dir **bigger = realloc(w->pending, grown * sizeof(*bigger));

		if (!bigger)
			return;
		w->pending = bigger;
		w->room = grown;
	}
	/* The first subdirectory listed on top: popped first, as the workers go. */
	size_t slot = w->count + n;

	for (at = 0; at < used; at += strlen(subdirs + at) + 1)
		w->pending[--slot] = pending_below(dir, subdirs + at);
	w->count += n;
}

static void free_walk(struct walk *w)
{
	for (size_t i = 0; i < w->count; i++)
		free(w->pending[i]);
	free(w->pending);
	if (w->root >= 0)
		close(w->root);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->listed);
	free(w);
}

static void *walk_thread(void *arg)
{
	struct walk *w = arg;
	char *listing = malloc(AHEAD_LISTING);
	char *subdirs = NULL;
	size_t room = 0;
	struct walked_scratch kept = { 0 };
	struct paired_scratch files = { 0 };
	int last;

	pthread_mutex_lock(&w->lock);
	while (listing) {
		while (!w->count && w->listing && !w->given_up)
			pthread_cond_wait(&w->listed, &w->lock);
		if (!w->count || w->given_up)
			break;
		struct pending_dir *dir = w->pending[--w->count];
		size_t used = 0;

		w->listing++;
		pthread_mutex_unlock(&w->lock);
		long warm = dir ? list_dir(w, dir, listing, &subdirs, &used, &room, &kept, &files) : 0;

		pthread_mutex_lock(&w->lock);
		w->listing--;
		if (dir)
			listed(w, dir, warm, subdirs, used);
		free(dir);
		pthread_cond_broadcast(&w->listed);
	}
	last = --w->threads == 0;
	if (!last)
		pthread_cond_broadcast(&w->listed);
	pthread_mutex_unlock(&w->lock);
	free(listing);
	free(subdirs);
	free(kept.names);
	free(kept.stats);
	free(kept.xattr_sizes);
	free(kept.name_at);
	free(files.files);
	free(files.names);
	if (last) {
		if (w->read_data == READ_CHANGED || w->paired)
			paired_walk_ended();
		free_walk(w);
		__atomic_sub_fetch(&ahead_walks, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Walks the tree at path (from the current directory) ahead of the workers,
 * in threads of its own, with read_data (READ_*) also starting to read its
 * regular files' data, and keeping what keep says (WALK_KEEP_*) of each
 * directory for the workers to take. READ_CHANGED reads what differs from
 * the tree of the walk started next with paired set (DEST's). 0 (also for
 * a tree not on a local disk, left alone), or -errno: EAGAIN when
 * AHEAD_WALKS walks run already.
 */
BLIT_EXPORT int blit_read_ahead(const char *path, int read_data, int keep, int paired)
{
	native_calls++;
	struct walk *w;
	struct statx st;
	pthread_attr_t attr;
	sigset_t all, was;
	unsigned started = 0;
	int ret = 0;

	/* Any walk asked for, started or not, ends the wait of a SOURCE for its DEST. */
	pthread_mutex_lock(&paired_dirs.lock);
	int after_source = pair_waiting;

	pair_waiting = 0;
	pthread_mutex_unlock(&paired_dirs.lock);
	if (__atomic_add_fetch(&ahead_walks, 1, __ATOMIC_RELAXED) > AHEAD_WALKS) {
		__atomic_sub_fetch(&ahead_walks, 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->pending = malloc(sizeof(*w->pending))) ||
	    !(w->pending[0] = calloc(1, sizeof(struct pending_dir) + 2))) {
		if (w)
			free(w->pending);
		free(w);
		__atomic_sub_fetch(&ahead_walks, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	w->pending[0]->path[0] = '.';
	w->count = w->room = 1;
	w->read_data = read_data;
	w->keep = keep;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->listed, NULL);
	w->root = open(path, AHEAD_DIR_FLAGS);
	if (w->root < 0 || !disk_filesystem(w->root) ||
	    syscall(SYS_statx, w->root, "", AT_EMPTY_PATH, STATX_TYPE, &st) < 0) {
		/* Not there to walk (-errno), or not on a local disk: nothing to read ahead (0). */
		ret = w->root < 0 ? -errno : 0;
		free_walk(w);
		__atomic_sub_fetch(&ahead_walks, 1, __ATOMIC_RELAXED);
		return ret;
	}
	w->dev_major = st.stx_dev_major;
	w->dev_minor = st.stx_dev_minor;
	if (keep)
		__atomic_store_n(&walks_keep, 1, __ATOMIC_RELAXED);
	/* Before any walk runs: pthread_create orders it before the threads' reads. */
	if (read_data && !ahead_budget)
		ahead_budget = data_budget();
	/* A pair: SOURCE's walk, then DEST's, started next, while SOURCE's runs. */
	pthread_mutex_lock(&paired_dirs.lock);
	if (read_data == READ_CHANGED) {
		if (paired_source < 0 && (paired_source = fcntl(w->root, F_DUPFD_CLOEXEC, 0)) >= 0)
			paired_walks = 1;
		else
			w->read_data = READ_NONE;
	} else if (paired && paired_source >= 0 && after_source) {
		w->paired = 1;
		paired_walks++;
		paired_step_ns = time_step_ns(w->root);
	}
	pair_waiting = w->read_data == READ_CHANGED;
	pthread_mutex_unlock(&paired_dirs.lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/*
	 * Signals are the runtime's threads' to take: the walk's threads start
	 * with all of them blocked. sigprocmask sets the calling thread's mask
	 * on Linux; pthread_sigmask moved into libc.so.6 only in glibc 2.32.
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &was);
	pthread_mutex_lock(&w->lock);
	for (unsigned i = 0; i < (read_data == READ_ALL ? AHEAD_DATA_THREADS : AHEAD_THREADS); i++) {
		pthread_t thread;

		ret = -pthread_create(&thread, &attr, walk_thread, w);
		if (ret < 0)
			break;
		w->threads = ++started;
	}
	pthread_mutex_unlock(&w->lock);
	sigprocmask(SIG_SETMASK, &was, NULL);
	pthread_attr_destroy(&attr);
	if (!started) {
		if (w->read_data == READ_CHANGED || w->paired)
			paired_walk_ended();
		free_walk(w);
		__atomic_sub_fetch(&ahead_walks, 1, __ATOMIC_RELAXED);
		return ret;
	}
	return 0;
}

/*
 * How many walks are going: one that found its tree in memory (given up),
 * reached its end, or was left alone (not a local disk) is not.
 */
BLIT_EXPORT int blit_read_ahead_running(void)
{
	native_calls++;
	return (int)__atomic_load_n(&ahead_walks, __ATOMIC_RELAXED);
}

/*
 * What the walks have done, for --stats: out[0] entries statted, out[1]
 * bytes of data read ahead, out[2] stats the workers took from them,
 * out[3] directories listed, out[4] of them those whose listing waited
 * for the disk, out[5] files blit_list_unchanged found the same from both
 * walks' listings, out[6] those it statted on either side itself.
 */
BLIT_EXPORT void blit_read_ahead_counts(uint64_t *out)
{
	native_calls++;
	out[0] = __atomic_load_n(&ahead_entries, __ATOMIC_RELAXED);
	out[1] = __atomic_load_n(&ahead_read, __ATOMIC_RELAXED);
	out[2] = __atomic_load_n(&walked_taken, __ATOMIC_RELAXED);
	out[3] = __atomic_load_n(&ahead_dirs_listed, __ATOMIC_RELAXED);
	out[4] = __atomic_load_n(&ahead_dirs_waited, __ATOMIC_RELAXED);
	out[5] = __atomic_load_n(&walked_same_files, __ATOMIC_RELAXED);
	out[6] = __atomic_load_n(&listed_same_files, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Process and filesystem facts                                         */
/* ------------------------------------------------------------------ */

/* out: f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_flags. */
BLIT_EXPORT int blit_fstatfs(int fd, uint64_t *out)
{
	native_calls++;
	struct statfs st;

	if (fstatfs(fd, &st) < 0)
		return neg_errno();
	out[0] = (uint64_t)st.f_type;
	out[1] = (uint64_t)st.f_bsize;
	out[2] = (uint64_t)st.f_blocks;
	out[3] = (uint64_t)st.f_bfree;
	out[4] = (uint64_t)st.f_bavail;
	out[5] = (uint64_t)st.f_files;
	out[6] = (uint64_t)st.f_ffree;
	out[7] = (uint64_t)st.f_flags;
	return 0;
}

/* A limit as a number JavaScript holds exactly (bun:ffi's i64_fast gives a BigInt past 2^53). */
static int64_t nofile_number(rlim_t limit)
{
	const int64_t most = ((int64_t)1 << 53) - 1;

	return limit == RLIM_INFINITY || limit > (rlim_t)most ? most : (int64_t)limit;
}

/* Lifts the soft open-file limit to the hard one where allowed; returns the soft limit in force. */
BLIT_EXPORT int64_t blit_raise_nofile(void)
{
	native_calls++;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return neg_errno();
	if (lim.rlim_cur < lim.rlim_max) {
		struct rlimit raised = { lim.rlim_max, lim.rlim_max };

		/* Refused (a sandbox's seccomp filter, systemd's ~@resources): the soft limit read still holds. */
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			lim = raised;
	}
	return nofile_number(lim.rlim_cur);
}
