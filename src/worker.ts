// A copy worker: loads the backend the main thread chose, then runs the
// tasks the pool sends, one at a time, reporting each when it is done.
// Compiled into the executable as a second entry point (see build.ts).

import { type BackendCounters, loadBackend } from "../ffi/index.ts";
import { Copier, type DirResult } from "./engine/copier.ts";
import { EnteredDirectories } from "./engine/entered-dirs.ts";
import { LinkTable } from "./engine/links.ts";
import { LiveCounters } from "./engine/live.ts";
import type { FromWorker, Task, ToWorker } from "./engine/messages.ts";
import { addCounters } from "./engine/report.ts";
import * as backupName from "./engine/backup-name.ts";
import * as caseNames from "./engine/case-names.ts";
import * as compare from "./engine/compare.ts";
import * as copyData from "./engine/copy-data.ts";
import * as deletion from "./engine/delete.ts";
import * as filter from "./engine/filter.ts";
import * as metadata from "./engine/metadata.ts";
import * as paths from "./engine/paths.ts";
import * as report from "./engine/report.ts";
import * as sameFile from "./engine/same-file.ts";
import * as sharedRanges from "./engine/shared-ranges.ts";
import * as tempNames from "./engine/temp-names.ts";
import * as unchanged from "./engine/unchanged.ts";
import { keepArrayMethodsBelowFTL, keepBelowFTL, keepModulesBelowFTL } from "./jit.ts";

/** The engine's modules, whose functions a worker keeps out of FTL as it does the copier's methods. */
const ENGINE_MODULES = [backupName, caseNames, compare, copyData, deletion, filter, metadata, paths, report, sameFile, sharedRanges, tempNames, unchanged];

/**
 * Tasks after which the worker looks for functions to keep out of FTL again:
 * what the backend makes on first use (its io_uring ring) is not there at
 * start-up.
 */
const KEEP_BELOW_FTL_TASKS = 4;

declare const self: Worker;

/**
 * Entries a worker stats between two garbage collections. Left to itself a
 * worker let ~90 MiB of garbage pile up (peak RSS 218 MiB copying a flat
 * directory of 1,000,000 files with -a): its tasks are long and synchronous
 * (a flat directory is one task), so Bun's collection timer, which runs on
 * the event loop, never fires; and JavaScriptCore lets the heap grow to
 * about twice what it last found live, which counts the hard-link table's
 * 20 MiB SharedArrayBuffer (twice) though hardly a page of it is touched.
 * Each entry leaves 1-2 KiB of garbage, nearly all of it dead by the next
 * collection.
 */
const COLLECT_EVERY = 4096;

/**
 * One collection in this many is a full one, run there and then
 * (Bun.gc(true)); for the others the worker only asks JavaScriptCore to
 * collect (Bun.gc(false) is its collectAsync), which it does beside the
 * worker, of the kind it judges due (an eden one sweeps only what was made
 * since the last). A full collection marks the whole heap, and in a large
 * directory that holds its whole listing. Measured copying to a tmpfs (full
 * every time, against one in 8): the flat directory of 1,000,000 files
 * 14-24 s against 11-12 s; 50,000 small files 1,185 against 1,110 ms of CPU.
 * Peak RSS on the flat directory: 96-101 MiB against 103-109 MiB.
 */
const FULL_EVERY = 8;

/** Collects garbage once every COLLECT_EVERY entries listed (checked once per chunk of a listing). */
function collector(): (entries: number) => void {
  let listed = 0;
  let collections = 0;
  return (entries) => {
    listed += entries;
    if (listed < COLLECT_EVERY) return;
    listed = 0;
    Bun.gc(++collections % FULL_EVERY === 0);
  };
}

let copier: Copier | undefined;
let workerIndex = -1;
let backendCounters: (() => BackendCounters) | undefined;
let seen: BackendCounters = {};
let tasksRun = 0;
let jitRoots: object[] = [];

function send(message: FromWorker): void {
  self.postMessage(message);
}

function run(c: Copier, task: Task): DirResult {
  switch (task.kind) {
    case "job":
      return c.runJob(task.work);
    case "dir":
      return c.runDir(task.work);
    case "files":
      return c.runFiles(task.work);
    case "rest":
      return c.runRest(task.work);
    case "range":
      return c.runRange(task.work);
    case "finish":
      c.finishDirectory(task.finish);
      return { children: [], finish: undefined };
  }
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    if (message.type === "init") {
      const { backend } = await loadBackend({ shimPath: message.shimPath, fallbackReason: message.fallbackReason });
      backend.tune?.({ queueDepth: message.options.queueDepth });
      const links = message.links ? new LinkTable(message.links) : undefined;
      const deletions = message.deletions ? new Int32Array(message.deletions) : undefined;
      const destinations = message.destinations ? new LinkTable(message.destinations) : undefined;
      const entered = message.entered ? new EnteredDirectories(message.entered) : undefined;
      copier = new Copier(backend, message.options, message.index, new Int32Array(message.cancel), links, new Int32Array(message.hungry), undefined, deletions, destinations, entered);
      copier.report.onLines = (output) => send({ type: "output", output });
      if (message.live) copier.showProgress(new LiveCounters(message.live, message.index));
      if (message.temps) copier.shareTempNames(message.temps);
      copier.onListed = collector();
      jitRoots = [copier, backend];
      keepBelowFTL(...jitRoots);
      keepModulesBelowFTL(...ENGINE_MODULES);
      keepArrayMethodsBelowFTL();
      backendCounters = () => backend.counters();
      workerIndex = message.index;
      seen = backend.counters();
      send({ type: "ready", backend: backend.id });
      return;
    }
    if (!copier) throw new Error("task before init");
    const id = message.task.id;
    copier.spawn = (children) => send({ type: "spawn", id, children });
    const { children, finish, listed } = run(copier, message.task);
    const { counts, output } = copier.report.drain();
    if (backendCounters) {
      const now = backendCounters();
      addCounters(counts.backend, now, 1);
      addCounters(counts.backend, seen, -1);
      seen = now;
    }
    send({ type: "done", id: message.task.id, worker: workerIndex, children, finish, ...(listed && { listed }), output, counts });
    if (++tasksRun <= KEEP_BELOW_FTL_TASKS) keepBelowFTL(...jitRoots);
  } catch (err) {
    // Say what the task looked like: a crash here is a bug to be reported.
    const task = message.type === "task" ? message.task : undefined;
    const shape = task ? ` (task ${task.kind} ${task.id}: ${Object.keys("work" in task ? task.work : task.finish).join(",")})` : "";
    send({ type: "crash", message: `${err instanceof Error ? (err.stack ?? err.message) : String(err)}${shape}` });
  }
};
