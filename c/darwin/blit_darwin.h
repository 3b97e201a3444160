/*
 * blit_darwin.h - the records and bits of the macOS shim that ffi/darwin/
 * reads (ffi/darwin/shim.ts mirrors them: change both in one commit).
 * Fixed sizes, explicit padding, the same on macOS and on the Linux build
 * of the same shim.
 */
#ifndef BLIT_DARWIN_H
#define BLIT_DARWIN_H

#include <stdint.h>

/* blit_features(): what this build of the shim can do beyond POSIX. */
#define BLIT_FEATURE_CLONE 0x01       /* blit_clone_at: fclonefileat (Linux build: FICLONE) */
#define BLIT_FEATURE_BULK_LIST 0x02   /* blit_read_dir through getattrlistbulk */
#define BLIT_FEATURE_BIRTHTIME 0x04   /* blit_set_birthtime */
#define BLIT_FEATURE_FLAGS 0x08       /* blit_set_flags (st_flags) */
#define BLIT_FEATURE_ACL 0x10         /* blit_acl_get, blit_acl_set */
#define BLIT_FEATURE_NOCACHE 0x20     /* blit_advise_sequential sets F_NOCACHE */
#define BLIT_FEATURE_VOLUME_CAPS 0x40 /* blit_volume reports BLIT_VOLUME_* */

/* blit_volume(): what the volume says it supports. */
#define BLIT_VOLUME_KNOWN 0x01
#define BLIT_VOLUME_CLONE 0x02
#define BLIT_VOLUME_CASE_SENSITIVE 0x04
#define BLIT_VOLUME_SPARSE 0x08
#define BLIT_VOLUME_NATIVE_XATTR 0x20 /* VOL_CAP_INT_EXTENDED_ATTR: xattrs kept by the volume, not in ._NAME files (with KNOWN) */
#define BLIT_VOLUME_CASE_KNOWN 0x10 /* BLIT_VOLUME_CASE_SENSITIVE is the volume's answer (also without KNOWN) */

/* struct blit_stat.valid */
#define BLIT_STAT_BIRTHTIME 0x01
#define BLIT_STAT_FLAGS 0x02

/* One entry's metadata: 128 bytes. */
struct blit_stat {
	uint32_t mode;       /*   0 st_mode: type and permission bits */
	uint32_t uid;        /*   4 */
	uint32_t gid;        /*   8 */
	uint32_t nlink;      /*  12 */
	uint32_t flags;      /*  16 st_flags (BSD file flags) */
	uint32_t rdev_major; /*  20 */
	uint32_t rdev_minor; /*  24 */
	uint32_t valid;      /*  28 BLIT_STAT_* */
	uint64_t dev;        /*  32 */
	uint64_t ino;        /*  40 */
	int64_t size;        /*  48 */
	int64_t blocks;      /*  56 512-byte blocks */
	int64_t atime_sec;   /*  64 */
	int64_t atime_nsec;  /*  72 */
	int64_t mtime_sec;   /*  80 */
	int64_t mtime_nsec;  /*  88 */
	int64_t ctime_sec;   /*  96 */
	int64_t ctime_nsec;  /* 104 */
	int64_t birth_sec;   /* 112 */
	int64_t birth_nsec;  /* 120 */
};

/* One listed entry: this header, then the name and a NUL, padded to 8 bytes. */
struct blit_dirent {
	uint32_t reclen;        /*   0 bytes to the next entry */
	uint32_t name_len;      /*   4 */
	uint32_t has_stat;      /*   8 1: stat holds the entry's metadata (not following it) */
	uint32_t reserved;      /*  12 */
	struct blit_stat stat;  /*  16 */
};

_Static_assert(sizeof(struct blit_stat) == 128, "struct blit_stat is 128 bytes");
_Static_assert(sizeof(struct blit_dirent) == 144, "struct blit_dirent is 144 bytes");

#endif
