// The one place that picks the backend for the running OS. Everything else
// (the engine in src/, the workers) asks for "the backend" and never for the
// platform.

import type { Backend } from "./backend.ts";

export type { Backend } from "./backend.ts";
export * from "./backend.ts";

export interface LoadedBackend {
  backend: Backend;
  /** Path of the loaded native shim, for workers to load the same file. */
  shimPath?: string;
  /** Why the native shim is not in use, when it is not. */
  fallbackReason?: string;
}

async function openNative(shimPath: string | undefined): Promise<{ backend: Backend; shimPath: string }> {
  switch (process.platform) {
    case "linux": {
      const { LinuxBackend } = await import("./linux/index.ts");
      const { materializeShim } = await import("./shim-file.ts");
      const path = shimPath ?? materializeShim().path;
      return { backend: LinuxBackend.open(path), shimPath: path };
    }
    case "darwin":
    case "win32":
      throw new Error(`the native ${process.platform === "darwin" ? "macOS" : "Windows"} backend is not supported yet`);
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
    }
  }
  // Imported only when needed: most runs never load it.
  const { PortableBackend } = await import("./portable.ts");
  return { backend: new PortableBackend(reason), fallbackReason: reason };
}
