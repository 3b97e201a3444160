// The pool: the main thread's side of the engine. It starts the workers one
// after another (concurrent dlopen in fresh workers has crashed Bun), hands
// out tasks, and keeps the books a parallel tree copy needs: a directory's
// metadata is applied only after everything below it is written. When the
// run is cancelled (a signal, --fail-fast) it stops handing out work but
// still finishes the directories already started.

import { cpus as cpuTimes } from "node:os";
import type { LoadedBackend } from "../ffi/index.ts";
import { SharedRanges } from "./engine/shared-ranges.ts";
import type { ChildWork, DirFinish, FromWorker, JobWork, Task, ToWorker } from "./engine/messages.ts";
import { addCounts, type Counts, emptyCounts, type Output } from "./engine/report.ts";
import type { EngineOptions } from "./options.ts";

/** Tasks a worker may hold at once: one running, one ready to start. */
const TASKS_PER_WORKER = 2;

/**
 * How much the main thread handles between two garbage collections: each
 * message from a worker counts MESSAGE_WEIGHT, each line it prints one.
 * Left to the collector, garbage piled up here as in the workers (see
 * src/collector.ts; the hard-link table counts here too): ~60 MiB printing a
 * million-line -v listing, ~30 MiB handling the 200,000 messages of a
 * directory of 100,000 subdirectories. A collection of this small heap takes
 * a few ms: one per 1,024 messages or 16,384 lines.
 */
const COLLECT_AFTER = 16384;
const MESSAGE_WEIGHT = 16;

/**
 * Growing the pool (see Growth): how often the CPU time used is looked at,
 * the share of the CPUs below which the workers count as waiting, and the
 * share of the machine's CPUs busy (with anything) above which they count as
 * waiting for a CPU rather than for the disk.
 */
const GROWTH_CHECK_MS = 100;
const WAITING_SHARE = 0.75;
const SATURATED_SHARE = 0.9;
/** Checks over which the machine's share is looked at. */
const MACHINE_WINDOW_CHECKS = 3;
/** BLIT_GROW=always: every check finds the workers waiting, and checks come every 5 ms (for the tests). */
const GROW_ALWAYS = process.env.BLIT_GROW === "always";

/** Fewer workers than the pool's size to start with, while `applies` (asked once the first is up) says so. */
export interface HoldBack {
  workers: number;
  applies(): boolean;
}

/**
 * More workers than CPUs, as a run finds it needs them: a cold copy waits on
 * the disk (creating files in a new directory reads its bitmaps, a file's
 * first read its blocks) in calls a worker makes one at a time, and another
 * worker's calls fill the wait. Up to `most` workers, one at a time, while
 * the process uses less than WAITING_SHARE of `cpus`, every worker has a
 * task, and the machine's CPUs are not all busy: a warm copy keeps the CPUs
 * busy and the pool as it started, and so does a copy whose CPUs other
 * programs keep busy (a shared CI runner), where a worker more only adds a
 * thread to wait for a CPU and its start-up to pay for.
 */
export interface Growth {
  most: number;
  cpus: number;
  /**
   * Under a limit on open files: the limit, what is open now (undefined
   * where that cannot be told), and the least a worker holds. A worker
   * holds two for each level of the tree it is in: the pool grows only
   * while there is room for two more such workers as the ones there.
   */
  files?: { limit: number; open: () => number | undefined; perWorker: number };
}

/** Whether the open-file limit leaves room for another worker as deep in the tree as those there. */
function roomForWorker(files: NonNullable<Growth["files"]>, workers: number): boolean {
  const open = files.open();
  if (open === undefined) return true;
  const each = Math.max(files.perWorker, open / workers);
  return files.limit - open >= 2 * each;
}

/**
 * Milliseconds the machine's CPUs have spent busy and how many CPUs it has.
 * Time waiting on a disk is not busy: Linux counts it apart (iowait), macOS
 * and Windows as idle. Niced work is busy too: where programs are scheduled
 * by group (cgroups, autogroup), a niced one in another group does not yield
 * its share to the copy.
 */
function machineBusy(): { busyMs: number; cpus: number } | undefined {
  try {
    // Bun reads /proc/stat when `times` is first asked for, not in cpus().
    const all = cpuTimes();
    let busyMs = 0;
    for (const { times } of all) busyMs += times.user + times.nice + times.sys + times.irq;
    // Bun answers zeros, not an error, where it cannot read /proc/stat (out of open files).
    if (busyMs === 0) return undefined;
    return { busyMs, cpus: all.length };
  } catch {
    // /proc/stat unreadable (no /proc, a read error): the machine's share is unknown, and the pool does not grow on a guess.
    return undefined;
  }
}

/** Workers booted ahead of time that failed before the pool took them over, and why. */
const failedBoots = new WeakMap<Worker, string>();

/** The cancel flag's value after a crash (any but 0 stops the workers), and how long the others get to end their tasks. */
const CRASHED = 1;
const STOP_WAIT_MS = 2000;

interface Slot {
  worker: Worker;
  busy: number;
  /** It crashed: its task will never be done. */
  crashed?: boolean;
}

/**
 * A task whose completion waits for work it produced: a directory (its
 * metadata waits for everything below it) or a share of one (no metadata).
 */
interface OpenDir {
  parent: number | undefined;
  pending: number;
  finish: DirFinish | undefined;
}

export interface PoolEvents {
  /** Each task's messages and counts, as soon as it is done. */
  progress(output: Output, counts: Counts): void;
}

export interface PoolShared {
  cancel: SharedArrayBuffer;
  links: SharedArrayBuffer | undefined;
  destinations?: SharedArrayBuffer;
  hungry: SharedArrayBuffer;
  /** Int32: workers up (ToWorker's init.workers). */
  workers: SharedArrayBuffer;
  deletions?: SharedArrayBuffer;
  /** --keep-directory-symlink: the directories kept symlinks led into (EnteredDirectories). */
  entered?: SharedArrayBuffer;
  /** Live counters for the progress bar and --json (LiveCounters), when shown. */
  live: SharedArrayBuffer | undefined;
  /** Where the workers' temporary files are being written (temp-names.ts, inFlightTable). */
  temps?: SharedArrayBuffer;
}

export class Pool {
  private readonly slots: Slot[] = [];
  private readonly finishes: Task[] = [];
  private readonly work: Task[] = [];
  /**
   * Offers to help with a large file: only for a worker with nothing else to
   * do. Queued behind other work (its owner's, say) it would start after the
   * file is done and find nothing left.
   */
  private readonly ranges: Task[] = [];
  /** Parent directory of each queued or running task, by task id. */
  private readonly parentOf = new Map<number, number | undefined>();
  private readonly openDirs = new Map<number, OpenDir>();
  /** For tasks still running: children they handed out early, and how many of those finished. */
  private readonly spawnedEarly = new Map<number, number>();
  private readonly doneEarly = new Map<number, number>();
  private readonly hungry: Int32Array;
  private readonly workersUp: Int32Array;
  private readonly totals: Counts = emptyCounts();
  private readonly cancelFlag: Int32Array;
  private nextId = 1;
  private running = 0;
  /** Tasks dropped because the run was cancelled. */
  dropped = 0;
  /** Files each worker copied, by worker index (--stats shows how the work was shared). */
  readonly filesByWorker: number[] = [];
  private handledSinceCollect = 0;
  private settle: { resolve: (c: Counts) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private stopped = false;
  /** A worker could not be started: the pool stays as large as it is. */
  private cannotGrow = false;
  /** Workers being started, not yet taking tasks: hungry as soon as they are up (see dispatch). */
  private joining = 0;

  private constructor(
    private readonly loaded: LoadedBackend,
    private readonly options: EngineOptions,
    private readonly shared: PoolShared,
    private readonly events: PoolEvents,
    private size: number,
    private readonly growth: Growth | undefined,
  ) {
    this.cancelFlag = new Int32Array(shared.cancel);
    this.hungry = new Int32Array(shared.hungry);
    this.workersUp = new Int32Array(shared.workers);
  }

  /**
   * Creates a worker thread ahead of time: booting one takes longer than
   * anything else in a small copy, so it overlaps with planning. It loads
   * nothing native until start() sends it the backend.
   */
  static boot(): Worker | undefined {
    // A plain relative string, which `bun build --compile` maps to the
    // worker.ts entry point embedded in the binary. A URL built from
    // import.meta.url names the build machine's source file instead: the
    // binary then loads (and transpiles) that file when it exists, and fails
    // where it does not, which is everywhere but here.
    let worker: Worker;
    try {
      worker = new Worker("./worker.ts");
    } catch {
      // No thread to be had now (a pids limit, ulimit -u): start() tries again and says why.
      return undefined;
    }
    // Until addWorker takes it over: a failure to start must not go unheard.
    worker.onerror = (event) => failedBoots.set(worker, event.message);
    return worker;
  }

  /**
   * Starts the first worker now and the others in the background. A worker
   * after the first that cannot be started (no thread to be had: a pids
   * limit, ulimit -u) leaves the pool as large as it got. With `holdBack`,
   * once the first is up, only holdBack.workers are started while
   * holdBack.applies() says so (the pool may grow from there).
   */
  static async start(size: number, loaded: LoadedBackend, options: EngineOptions, shared: PoolShared, events: PoolEvents, booted?: Worker, growth?: Growth, holdBack?: HoldBack): Promise<Pool> {
    const pool = new Pool(loaded, options, shared, events, size, growth && growth.most > size ? growth : undefined);
    await pool.addWorker(0, booted);
    if (holdBack && holdBack.workers < size && holdBack.applies()) pool.size = size = Math.max(1, holdBack.workers);
    void (async () => {
      for (let i = 1; i < size && !pool.stopped; i++) {
        pool.joining++;
        try {
          await pool.addWorker(i, undefined, true);
        } catch {
          pool.size = i;
          pool.cannotGrow = true;
          return;
        } finally {
          pool.joining--;
        }
        pool.dispatch();
      }
    })();
    return pool;
  }

  /** Workers the run was given or grew to; on a short run the last may not have finished booting (or started) when it ended. */
  get workers(): number {
    return this.size;
  }

  /**
   * Adds a worker when the ones there are wait (Growth), checked every
   * GROWTH_CHECK_MS until the run settles. Only an interval that the pool
   * spent whole at work counts: one with a worker still booting, or one
   * without a task, uses little CPU for reasons of its own (at the start of
   * every run, a warm one too, the CPU time looked like waiting, and the pool
   * grew within 200 ms whatever the run).
   */
  private watchGrowth(growth: Growth): void {
    let before: { at: number; cpu: NodeJS.CpuUsage } | undefined;
    // The machine's CPU time is counted in ticks (10 ms on Linux): looked at
    // over several checks, its share is not a tick or two either way.
    const machine: { at: number; busyMs: number; cpus: number }[] = [];
    let booting = false;
    const timer = setInterval(() => {
      if (!this.settle || this.stopped || this.cancelled || this.cannotGrow || this.size >= growth.most) {
        clearInterval(timer);
        return;
      }
      // Nothing need be queued: a worker that goes down into a tree itself
      // shares it with a worker that waits (Copier.descendHere).
      const atWork = !booting && this.slots.length === this.size && this.slots.every((slot) => slot.busy > 0);
      const now = { at: performance.now(), cpu: process.cpuUsage() };
      const busy = machineBusy();
      if (!busy) return;
      machine.push({ at: now.at, ...busy });
      if (machine.length > MACHINE_WINDOW_CHECKS + 1) machine.shift();
      const since = before;
      before = atWork ? now : undefined;
      // The machine's share judged over a whole window only: over one check
      // its 10 ms ticks can make CPUs that other programs keep busy look 85 % busy.
      if (!atWork || !since || machine.length <= MACHINE_WINDOW_CHECKS) return;
      const usedUs = now.cpu.user - since.cpu.user + now.cpu.system - since.cpu.system;
      const cpusBusy = usedUs / 1000 / (now.at - since.at);
      const first = machine[0]!;
      const last = machine[machine.length - 1]!;
      const machineShare = (last.busyMs - first.busyMs) / ((last.at - first.at) * last.cpus);
      if ((cpusBusy >= WAITING_SHARE * growth.cpus || machineShare >= SATURATED_SHARE) && !GROW_ALWAYS) return;
      // A worker that cannot open its event loop ends the whole process (Bun exits): never started short of files.
      if (growth.files && !roomForWorker(growth.files, this.size)) return;
      booting = true;
      const index = this.size++;
      this.joining++;
      this.dispatch();
      this.addWorker(index, undefined, true).then(
        () => {
          booting = false;
          this.joining--;
          this.dispatch();
        },
        () => {
          this.joining--;
          this.size = index;
          this.cannotGrow = true;
        },
      );
    }, GROW_ALWAYS ? 5 : GROWTH_CHECK_MS);
  }

  /**
   * Sends a worker its backend and options, and waits until it has loaded
   * them. One that cannot be started fails the run, unless `optional`: then
   * only the promise says so.
   */
  private addWorker(index: number, booted?: Worker, optional = false): Promise<void> {
    const worker = booted ?? Pool.boot();
    if (!worker) {
      const error = new Error(`cannot start worker ${index}: no thread could be created (a limit on processes or threads?)`);
      if (!optional) this.crash(error);
      return Promise.reject(error);
    }
    const init: ToWorker = {
      type: "init",
      index,
      shimPath: this.loaded.shimPath,
      fallbackReason: this.loaded.fallbackReason,
      options: this.options,
      cancel: this.shared.cancel,
      links: this.shared.links,
      destinations: this.shared.destinations,
      hungry: this.shared.hungry,
      workers: this.shared.workers,
      deletions: this.shared.deletions,
      entered: this.shared.entered,
      live: this.shared.live,
      temps: this.shared.temps,
    };
    return new Promise((resolve, reject) => {
      const failed = failedBoots.get(worker);
      if (failed !== undefined) {
        const error = new Error(`worker ${index} failed: ${failed}`);
        reject(error);
        if (!optional) this.crash(error);
        return;
      }
      let ready = false;
      worker.onerror = (event) => {
        const error = new Error(`worker ${index} failed: ${event.message}`);
        reject(error);
        for (const slot of this.slots) if (slot.worker === worker) slot.crashed = true;
        if (ready || !optional) this.crash(error);
      };
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        if (message.type === "ready") {
          ready = true;
          // Booted after the run ended (a worker added as it grew): not needed.
          if (this.stopped) {
            worker.terminate();
            resolve();
            return;
          }
          const slot: Slot = { worker, busy: 0 };
          this.slots.push(slot);
          Atomics.store(this.workersUp, 0, this.slots.length);
          worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(slot, e.data);
          resolve();
        } else if (message.type === "crash") {
          reject(new Error(message.message));
        }
      };
      worker.postMessage(init);
    });
  }

  /** Copies every job; resolves with what was done once all of it is. */
  run(jobs: JobWork[], children: ChildWork[] = []): Promise<Counts> {
    // Whole operands, and work the main thread left below the trees it copied (src/inline.ts).
    this.adopt(children, undefined);
    for (const work of [...jobs].reverse()) this.push({ kind: "job", id: this.nextId++, work }, undefined);
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
      if (this.growth) this.watchGrowth(this.growth);
      this.dispatch();
      this.checkDone();
    });
  }

  /** What the tasks finished so far did. */
  get countedSoFar(): Counts {
    return this.totals;
  }

  get cancelled(): boolean {
    return Atomics.load(this.cancelFlag, 0) !== 0;
  }

  /** Stops handing out copies; directories already started still get their metadata. */
  cancel(reason: number): void {
    // A worker may have set the flag itself (--fail-fast): the queue is dropped all the same.
    Atomics.compareExchange(this.cancelFlag, 0, 0, reason);
    // Offers are not work of their own: dropped, but not counted.
    for (const offer of this.ranges.splice(0)) this.parentOf.delete(offer.id);
    for (const task of this.work.splice(0)) {
      this.dropped++;
      this.childDone(this.parentOf.get(task.id));
      this.parentOf.delete(task.id);
    }
    this.dispatch();
    this.checkDone();
  }

  /**
   * Ends the workers. After a crash the others are first cancelled and
   * given a moment to end their tasks: one ended mid-task may have io_uring
   * reads in flight into buffers its runtime would free. Whether one crashed.
   */
  async stop(): Promise<boolean> {
    this.stopped = true;
    if (this.failure) {
      Atomics.compareExchange(this.cancelFlag, 0, 0, CRASHED);
      const deadline = Date.now() + STOP_WAIT_MS;
      while (Date.now() < deadline && this.slots.some((slot) => !slot.crashed && slot.busy > 0)) await Bun.sleep(5);
    }
    for (const slot of this.slots) slot.worker.terminate();
    return this.failure !== undefined;
  }

  private push(task: Task, parent: number | undefined): void {
    this.parentOf.set(task.id, parent);
    if (task.kind === "finish") this.finishes.push(task);
    else if (this.cancelled) {
      this.dropped++;
      this.childDone(parent);
    } else if (task.kind === "range") this.ranges.push(task);
    else this.work.push(task);
  }

  private dispatch(): void {
    if (this.failure) return;
    for (;;) {
      // The least busy worker first, so that an idle one is never passed over.
      let slot: Slot | undefined;
      for (const s of this.slots) if (s.busy < TASKS_PER_WORKER && (!slot || s.busy < slot.busy)) slot = s;
      if (!slot) break;
      // Finishing directories first closes their descriptors soonest; the
      // work stack is LIFO, a depth-first order that keeps few directories open.
      const task = this.finishes.pop() ?? (slot.busy === 0 ? this.nextOffer() : undefined) ?? this.work.pop();
      if (!task) break;
      slot.busy++;
      this.running++;
      slot.worker.postMessage({ type: "task", task } satisfies ToWorker);
    }
    // Workers with nothing to do while nothing is queued: a worker in a large
    // directory sees this and shares it. Those still starting count: a task
    // that went down into a directory before they were up kept the whole
    // tree from them until that directory was done (a second on a slow disk).
    const idle = this.work.length === 0 ? this.slots.filter((slot) => slot.busy === 0).length + this.joining : 0;
    Atomics.store(this.hungry, 0, idle);
  }

  /** An offer of ranges that still has some to claim; the others are dropped unsent. */
  private nextOffer(): Task | undefined {
    for (let task = this.ranges.pop(); task; task = this.ranges.pop()) {
      if (task.kind === "range" && SharedRanges.unclaimed(task.work.state)) return task;
      this.parentOf.delete(task.id);
    }
    return undefined;
  }

  private receive(slot: Slot, message: FromWorker): void {
    this.handled(MESSAGE_WEIGHT);
    if (message.type === "crash") {
      slot.crashed = true;
      this.crash(new Error(message.message));
      return;
    }
    if (message.type === "spawn") {
      // Offers of ranges belong to no directory: the file's own worker waits
      // for every range taken, so its directory need not wait for the offers.
      const children = message.children.filter((child) => child.kind !== "range");
      const offers = message.children.filter((child) => child.kind === "range");
      this.spawnedEarly.set(message.id, (this.spawnedEarly.get(message.id) ?? 0) + children.length);
      this.adopt(children, message.id);
      for (const offer of offers) this.push(this.childTask(offer), undefined);
      this.dispatch();
      return;
    }
    if (message.type === "output") {
      // Counted when its task is done.
      this.progress(message.output, emptyCounts());
      return;
    }
    if (message.type !== "done") return;
    slot.busy--;
    this.running--;
    addCounts(this.totals, message.counts);
    this.filesByWorker[message.worker] = (this.filesByWorker[message.worker] ?? 0) + message.counts.files;

    const id = message.id;
    const parent = this.parentOf.get(id);
    this.parentOf.delete(id);
    if (this.openDirs.has(id)) {
      // A "finish" came back: this directory is complete.
      this.openDirs.delete(id);
      this.childDone(parent);
    } else {
      if (message.listed) this.addListed(parent, message.listed);
      const early = (this.spawnedEarly.get(id) ?? 0) - (this.doneEarly.get(id) ?? 0);
      this.spawnedEarly.delete(id);
      this.doneEarly.delete(id);
      const pending = message.children.length + early;
      if (message.finish || pending > 0) {
        this.openDirs.set(id, { parent, pending, finish: message.finish });
        this.adopt(message.children, id);
        if (pending === 0) this.complete(id);
      } else {
        this.childDone(parent);
      }
    }
    // Last: --fail-fast cancels from here, and what this task left to finish
    // must be in the books by then, or the run could end without it.
    this.progress(message.output, message.counts);
    this.dispatch();
    this.checkDone();
  }

  private progress(output: Output, counts: Counts): void {
    this.events.progress(output, counts);
    this.handled(output.out.length + output.errors.length + output.warnings.length + output.items.length);
  }

  /** Collects garbage once COLLECT_AFTER has been handled since the last time. */
  private handled(amount: number): void {
    this.handledSinceCollect += amount;
    if (this.handledSinceCollect < COLLECT_AFTER) return;
    this.handledSinceCollect = 0;
    Bun.gc(true);
  }

  /**
   * Queues a task's children under `parent`, the first to run first. A
   * directory the worker went on to copy itself ("opened") has books of its
   * own: its metadata waits for what it left unfinished.
   */
  private adopt(children: ChildWork[], parent: number | undefined): void {
    for (const child of [...children].reverse()) {
      if (child.kind !== "opened") {
        this.push(this.childTask(child), parent);
        continue;
      }
      const id = this.nextId++;
      this.openDirs.set(id, { parent, pending: child.children.length, finish: child.finish });
      this.adopt(child.children, id);
      if (child.children.length === 0) this.complete(id);
    }
  }

  private childTask(child: Exclude<ChildWork, { kind: "opened" }>): Task {
    const id = this.nextId++;
    switch (child.kind) {
      case "dir":
        return { kind: "dir", id, work: child.work };
      case "files":
        return { kind: "files", id, work: child.work };
      case "rest":
        return { kind: "rest", id, work: child.work };
      case "range":
        return { kind: "range", id, work: child.work };
    }
  }

  /**
   * --delete: the names a "rest" task read on from a directory's listing go
   * to that directory's finish, up past the rest tasks that read before it
   * (no finish of their own), so that its pruning keeps what they copied.
   */
  private addListed(parent: number | undefined, listed: Uint8Array): void {
    for (let id = parent; id !== undefined; ) {
      const open = this.openDirs.get(id);
      if (!open) return;
      if (open.finish) {
        (open.finish.listed ??= []).push(listed);
        return;
      }
      id = open.parent;
    }
  }

  /** Everything below a task is done: finish its directory, or pass the news up. */
  private complete(id: number): void {
    const open = this.openDirs.get(id);
    if (!open) return;
    if (open.finish) {
      this.push({ kind: "finish", id, finish: open.finish }, open.parent);
    } else {
      this.openDirs.delete(id);
      this.childDone(open.parent);
    }
  }

  private childDone(parentId: number | undefined): void {
    if (parentId === undefined) return;
    const parent = this.openDirs.get(parentId);
    if (!parent) {
      // The parent is still running (it handed this out early).
      this.doneEarly.set(parentId, (this.doneEarly.get(parentId) ?? 0) + 1);
      return;
    }
    parent.pending--;
    if (parent.pending === 0) this.complete(parentId);
  }

  private checkDone(): void {
    if (!this.settle || this.running > 0 || this.work.length > 0 || this.ranges.length > 0 || this.finishes.length > 0) return;
    const { resolve } = this.settle;
    this.settle = undefined;
    resolve(this.totals);
  }

  private crash(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const settle = this.settle;
    this.settle = undefined;
    settle?.reject(error);
  }
}
