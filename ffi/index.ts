// The one place that picks the backend for the running OS. Everything else
// (the engine in src/, the workers) asks for "the backend" and never for the
// platform.

import { closeSync, openSync, readSync } from "node:fs";
import { type Backend, POSIX_PATH_RULES } from "./backend.ts";
import { addressSpaceLimit } from "./process.ts";

export type { Backend } from "./backend.ts";
export * from "./backend.ts";
export { addressSpaceFree, addressSpaceLimit, inheritedIgnoredSignals } from "./process.ts";

export interface LoadedBackend {
  backend: Backend;
  /** Path of the loaded native shim, for workers to load the same file. */
  shimPath?: string;
  /** Why the native shim is not in use, when it is not. */
  fallbackReason?: string;
}

/** ELF e_machine of the architectures blit ships a Linux shim for. */
const ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183 };
/** Mach-O cputype of the architectures blit ships a macOS shim for (CPU_TYPE_X86_64, CPU_TYPE_ARM64). */
const MACHO_CPU: Record<string, number> = { x64: 0x01000007, arm64: 0x0100000c };
const MACHO_MAGIC_64 = 0xfeedfacf;

/** Refuses a shim built for another architecture (dlopen would only say "cannot open shared object file"). */
export function checkShimArchitecture(path: string): void {
  const header = new Uint8Array(20);
  const fd = openSync(path, "r");
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  const view = new DataView(header.buffer);
  if (view.getUint32(0, true) === MACHO_MAGIC_64) {
    const cpu = view.getUint32(4, true);
    const expected = MACHO_CPU[process.arch];
    if (expected !== undefined && cpu !== expected) {
      throw new Error(`the embedded native shim is for another architecture (Mach-O cputype 0x${cpu.toString(16)}, this is ${process.arch}): a build defect`);
    }
    return;
  }
  const machine = header[18]! | (header[19]! << 8);
  const expected = ELF_MACHINE[process.arch];
  if (expected !== undefined && machine !== expected) {
    throw new Error(`the embedded native shim is for another architecture (ELF machine ${machine}, this is ${process.arch}): a build defect`);
  }
}

/**
 * BLIT_DARWIN_SHIM=PATH: the macOS backend over the shim at PATH, on any
 * POSIX system. The tests run it on Linux with the Linux build of the macOS
 * shim (build/shim/darwin-posix/), so that ffi/darwin/ and the shim's POSIX
 * core make real copies here; workers inherit the variable.
 */
const DARWIN_SHIM_OVERRIDE = process.env.BLIT_DARWIN_SHIM || undefined;

async function openNative(shimPath: string | undefined): Promise<{ backend: Backend; shimPath: string }> {
  if (DARWIN_SHIM_OVERRIDE !== undefined && process.platform !== "win32") {
    const { DarwinBackend } = await import("./darwin/index.ts");
    return { backend: DarwinBackend.open(DARWIN_SHIM_OVERRIDE), shimPath: DARWIN_SHIM_OVERRIDE };
  }
  switch (process.platform) {
    case "linux": {
      const { LinuxBackend } = await import("./linux/index.ts");
      if (shimPath !== undefined) return { backend: LinuxBackend.open(shimPath), shimPath };
      const { materializeShim } = await import("./shim-file.ts");
      const placed = materializeShim((path) => {
        checkShimArchitecture(path);
        return LinuxBackend.open(path);
      });
      return { backend: placed.opened, shimPath: placed.path };
    }
    case "darwin": {
      const { DarwinBackend } = await import("./darwin/index.ts");
      if (shimPath !== undefined) return { backend: DarwinBackend.open(shimPath), shimPath };
      const { materializeShim } = await import("./shim-file.ts");
      const placed = materializeShim((path) => {
        checkShimArchitecture(path);
        return DarwinBackend.open(path);
      });
      return { backend: placed.opened, shimPath: placed.path };
    }
    case "win32": {
      const { WindowsBackend } = await import("./windows/index.ts");
      if (shimPath !== undefined) return { backend: WindowsBackend.open(shimPath), shimPath };
      const { materializeShim } = await import("./shim-file.ts");
      const placed = materializeShim((path) => WindowsBackend.open(path));
      return { backend: placed.opened, shimPath: placed.path };
    }
    default:
      throw new Error(`no native backend for ${process.platform}`);
  }
}

/** The main thread's backend, loaded once (the command line's bytes may need it before the command does). */
let mainThread: Promise<LoadedBackend> | undefined;

/**
 * Loads the native backend, or the portable one with the reason.
 * On the main thread call it without arguments (it places the embedded shim;
 * a second call gets the same backend); in a worker pass what the main
 * thread got, so the worker loads the very same file, or goes straight to
 * the portable backend if the main thread did.
 */
export function loadBackend(from?: { shimPath?: string; fallbackReason?: string }): Promise<LoadedBackend> {
  if (from === undefined) return (mainThread ??= load(undefined));
  return load(from);
}

async function load(from: { shimPath?: string; fallbackReason?: string } | undefined): Promise<LoadedBackend> {
  let reason = from?.fallbackReason;
  if (reason === undefined) {
    try {
      return await openNative(from?.shimPath);
    } catch (err) {
      reason = (err as Error).message;
      // Bun's FFI compiles its calls: a limit on address space too low for the JIT's reservation (~2.3 GB) says only "requires the JIT".
      const limit = /\bJIT\b/.test(reason) ? addressSpaceLimit() : undefined;
      if (limit !== undefined) reason += `; the limit on address space (ulimit -v ${Math.floor(limit / 1024)}) is too low for it`;
    }
  }
  // Imported only when needed: most runs never load it.
  const { PortableBackend } = await import("./portable.ts");
  const { WINDOWS_PATH_RULES } = await import("./windows/paths.ts");
  const pathRules = process.platform === "win32" ? WINDOWS_PATH_RULES : POSIX_PATH_RULES;
  return { backend: new PortableBackend(reason!, pathRules), fallbackReason: reason };
}
