// --json: one event per line on stdout (NDJSON), in the vocabulary of
// schema/events.v1.json. The first line is `start`, with `"v": 1`; the last is
// always `summary`, also when a signal stops the run.
//
// A path is a JSON string when its bytes are valid UTF-8; any other path is
// `{"base64": "..."}`, its exact bytes in base64, so that no name is lost or
// changed on the way (Linux names are bytes, not text).

import { constants } from "node:os";
import type { CopyMethod } from "../../ffi/index.ts";
import type { Counts, Item, Notice } from "../engine/report.ts";
import { WORKFLOW_COMMAND } from "../quote.ts";

export const SCHEMA_VERSION = 1;

export type JsonPath = string | { base64: string };

// ignoreBOM: a name's leading U+FEFF is part of it, not a mark to drop.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function jsonPath(bytes: Uint8Array): JsonPath {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return { base64: Buffer.from(bytes).toString("base64") };
  }
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** What the OS calls an error number (ENOENT), from the backend's own table first. */
export function errnoName(errno: number, table: Record<string, number>): string | undefined {
  for (const [name, n] of Object.entries(table)) if (n === errno) return name;
  return ERRNO_NAMES.get(errno);
}

/** An error or warning event; `reason` is the OS's message for its code. */
export function noticeEvent(type: "error" | "warning", notice: Notice, errnoTable: Record<string, number>, strerror: (errno: number) => string): object {
  const { message, path, errno, op } = notice;
  return {
    type,
    message,
    ...(path ? { path: jsonPath(path) } : {}),
    ...(op ? { op } : {}),
    ...(errno !== undefined && errno > 0 ? { errno, code: errnoName(errno, errnoTable) ?? null, reason: notice.reason ?? strerror(errno) } : {}),
  };
}

export function fileEvent(item: Item, methodLabels: Record<CopyMethod, string>): object {
  return {
    type: "file",
    action: item.action,
    kind: item.kind,
    src: item.src ? jsonPath(item.src) : null,
    dst: jsonPath(item.dst),
    size: item.size,
    ...(item.method ? { method: item.method, method_label: methodLabels[item.method] } : {}),
    ...(item.changed !== undefined ? { changed: item.changed } : {}),
    ...(item.reason ? { reason: item.reason } : {}),
    ...(item.target ? { target: jsonPath(item.target) } : {}),
  };
}

/** Counts by kind, as the summary and progress events carry them. */
export function countsByKind(counts: Counts): object {
  const { files, directories, symlinks, specials, hardlinks, skipped, deleted } = counts;
  return { files, directories, symlinks, specials, hardlinks, skipped, deleted };
}

/** Writes events through `write` (stdout, which says when it fails). */
export class JsonEvents {
  constructor(private readonly write: (text: string) => void) {}

  emit(event: object): void {
    // `#` is only ever inside a string, where `\u005b` is the `[` it was.
    this.write(`${JSON.stringify(event).replaceAll(WORKFLOW_COMMAND, "##\\u005b")}\n`);
  }
}
