// Mirror of c/blit_abi.h: the records the shims and TypeScript share.
// Change both files together.

export const ABI_VERSION = 6;

export const RingOp = {
  nop: 0,
  openat: 1,
  statx: 2,
  read: 3,
  write: 4,
} as const;
export type RingOpName = keyof typeof RingOp;
export const RING_OP_COUNT = 5;

export const OPF_LINK = 0x01;

/** struct blit_op: 64 bytes. */
export const OP_SIZE = 64;

/** struct blit_cqe: 16 bytes. */
export const CQE_SIZE = 16;
