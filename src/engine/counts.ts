// What a run did, counted per worker and summed by the pool.

import { COPY_METHODS, type CopyMethod } from "../../ffi/index.ts";

export interface Counts {
  files: number;
  directories: number;
  symlinks: number;
  specials: number;
  bytes: number;
  skipped: number;
  errors: number;
  methods: Record<CopyMethod, number>;
}

export function emptyCounts(): Counts {
  return {
    files: 0,
    directories: 0,
    symlinks: 0,
    specials: 0,
    bytes: 0,
    skipped: 0,
    errors: 0,
    methods: Object.fromEntries(COPY_METHODS.map((m) => [m, 0])) as Record<CopyMethod, number>,
  };
}

export function addCounts(into: Counts, from: Counts): void {
  into.files += from.files;
  into.directories += from.directories;
  into.symlinks += from.symlinks;
  into.specials += from.specials;
  into.bytes += from.bytes;
  into.skipped += from.skipped;
  into.errors += from.errors;
  for (const method of COPY_METHODS) into.methods[method] += from.methods[method];
}
