// A test that runs only where the machine has what it needs; when skipped,
// its reason is part of its name, so the run's report says why.

import { test } from "bun:test";

type Body = () => void | Promise<void>;

export function testIf(missing: string | undefined) {
  return (name: string, body: Body, timeout?: number) =>
    test.skipIf(missing !== undefined)(missing === undefined ? name : `${name} (skipped: ${missing})`, body, timeout);
}
