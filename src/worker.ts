// A copy worker: loads the backend the main thread chose, then runs the
// tasks the pool sends, one at a time, reporting each when it is done.
// Compiled into the executable as a second entry point (see build.ts).

import { type BackendCounters, loadBackend } from "../ffi/index.ts";
import { collector } from "./collector.ts";
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
      const { report } = copier;
      copier.onListed = collector(new Int32Array(message.workers), (full) => {
        report.counts.collections++;
        Bun.gc(full);
      });
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
