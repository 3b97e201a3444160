// Where the embedded native shim goes: one content-addressed file in a
// private per-user cache folder, reused across launches, checked before reuse.

import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { blit, run, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";

function cachedShims(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.startsWith("libblit-"));
  } catch {
    return [];
  }
}

/** An environment whose home, cache and temp folders are fresh sandboxes. */
function isolated() {
  const home = sandbox("home");
  const tmp = sandbox("tmpdir");
  const work = sandbox("work");
  sh("printf data > f", work);
  return { home, tmp, work, env: { HOME: home, TMPDIR: tmp, XDG_CACHE_HOME: undefined } };
}

describe("the embedded shim", () => {
  test("20 launches write one cached shim and leave nothing in $TMPDIR", () => {
    const { home, tmp, work, env } = isolated();
    for (let i = 0; i < 20; i++) {
      const r = blit(["f", `copy-${i}`], { cwd: work, env });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
    }
    expect(readdirSync(tmp)).toEqual([]);
    const cache = join(home, ".cache", "blit");
    expect(cachedShims(cache)).toHaveLength(1);
    expect(readdirSync(cache)).toHaveLength(1);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
  });

  test("the cached shim needs nothing but libc: liburing is linked in", () => {
    const { home, work, env } = isolated();
    blit(["f", "g"], { cwd: work, env });
    const [shim] = cachedShims(join(home, ".cache", "blit"));
    expect(shim).toBeDefined();
    const dynamic = run(["readelf", "-d", join(home, ".cache", "blit", shim!)]).stdout;
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    expect(needed).toEqual(["libc.so.6"]);
  });

  test("a cached shim that does not match is replaced before it is loaded", () => {
    const { home, work, env } = isolated();
    blit(["f", "g"], { cwd: work, env });
    const cache = join(home, ".cache", "blit");
    const [shim] = cachedShims(cache);
    const path = join(cache, shim!);
    const good = readFileSync(path);
    writeFileSync(path, Buffer.alloc(good.length, 0xcc));
    const r = blit(["f", "h"], { cwd: work, env });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(readFileSync(path).equals(good)).toBe(true);
  });

  test("a cache folder other users can write to is not used", () => {
    const { home, tmp, work, env } = isolated();
    const unsafe = sandbox("xdg");
    mkdirSync(join(unsafe, "blit"));
    chmodSync(join(unsafe, "blit"), 0o777);
    const r = blit(["doctor", work], { env: { ...env, XDG_CACHE_HOME: unsafe } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`shim: ${join(home, ".cache", "blit")}/libblit-`);
    expect(cachedShims(join(unsafe, "blit"))).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
