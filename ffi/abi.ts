// Mirror of c/blit_abi.h: the records the shims and TypeScript share.
// Change both files together.

export const ABI_VERSION = 2;

export const RingOp = {
  nop: 0,
  openat: 1,
  statx: 2,
  read: 3,
  write: 4,
  close: 5,
  mkdirat: 6,
  renameat: 7,
  unlinkat: 8,
  linkat: 9,
  symlinkat: 10,
  fsync: 11,
} as const;
export type RingOpName = keyof typeof RingOp;
export const RING_OP_COUNT = 12;

export const OPF_LINK = 0x01;
export const OPF_FIXED_FILE = 0x02;

/** struct blit_op: 64 bytes. */
export const OP_SIZE = 64;
export const OpField = {
  opcode: 0,
  flags: 1,
  fd: 4,
  addr: 8,
  addr2: 16,
  offset: 24,
  len: 32,
  opFlags: 36,
  mode: 40,
  fd2: 44,
  userData: 48,
} as const;

/** struct blit_cqe: 16 bytes. */
export const CQE_SIZE = 16;
export const CqeField = { userData: 0, res: 8, flags: 12 } as const;
