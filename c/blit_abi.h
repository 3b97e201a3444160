/*
 * blit_abi.h - the records blit's TypeScript side and every OS shim share.
 *
 * Layouts are fixed-size and explicitly padded so that ffi/abi.ts can read and
 * write them with a DataView at the offsets noted here. Change a field and you
 * must change ffi/abi.ts in the same commit.
 *
 * Conventions for every exported function of every shim:
 *   - fixed arity only (bun:ffi cannot call variadic functions correctly);
 *   - a result < 0 is a negated errno value, never -1 + errno;
 *   - the caller owns every buffer; the shim keeps no pointer after returning,
 *     except ring operations, whose buffers must live until their completion.
 */
#ifndef BLIT_ABI_H
#define BLIT_ABI_H

#include <stdint.h>

#define BLIT_ABI_VERSION 6

/* Operation codes for blit_ring_submit. */
enum blit_opcode {
	BLIT_OP_NOP = 0,
	BLIT_OP_OPENAT = 1,    /* fd=dirfd addr=path op_flags=open flags mode=mode */
	BLIT_OP_STATX = 2,     /* fd=dirfd addr=path addr2=struct statx* len=mask op_flags=AT_* */
	BLIT_OP_READ = 3,      /* fd addr=buf len offset */
	BLIT_OP_WRITE = 4,     /* fd addr=buf len offset */
	BLIT_OP_COUNT = 5
};

/* blit_op.flags */
#define BLIT_OPF_LINK 0x01 /* the next op starts only if this one succeeds */

/* One prepared operation: 64 bytes. */
struct blit_op {
	uint8_t opcode;     /*  0 */
	uint8_t flags;      /*  1 */
	uint16_t reserved0; /*  2 */
	int32_t fd;         /*  4 */
	uint64_t addr;      /*  8 */
	uint64_t addr2;     /* 16 */
	uint64_t offset;    /* 24 */
	uint32_t len;       /* 32 */
	uint32_t op_flags;  /* 36 */
	uint32_t mode;      /* 40 */
	int32_t fd2;        /* 44 */
	uint64_t user_data; /* 48 */
	uint64_t reserved1; /* 56 */
};

/* One completion: 16 bytes. */
struct blit_cqe {
	uint64_t user_data; /*  0 */
	int32_t res;        /*  8 */
	uint32_t flags;     /* 12 */
};

#endif
