// Where the embedded native shim goes: one content-addressed file in a
// private per-user cache folder, reused across launches, checked before reuse.

import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BLIT, blit, environment, hasCommand, isRoot, run, sh } from "../helpers/blit.ts";
import { mountTmpfs, tmpfsUnavailable } from "../helpers/mounts.ts";
import { testIf } from "../helpers/skip.ts";
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

  // mkdir's 0700 less a umask of the owner's own bits left the folders (~/.cache too, made where there was none)
  // unwritable or unreadable to this user, and the copy fell back to the slow engine (helper-186). Root reads and writes them anyway.
  testIf(isRoot ? (hasCommand("setpriv") ? undefined : "setpriv is not installed") : "needs root to run as nobody")("under a umask of the owner's bits (0200, 0400), the folders made get 0700 and the shim loads", () => {
    for (const umask of ["0200", "0400"]) {
      const { home, work, env } = isolated();
      sh(`chown nobody ${home} ${work} ${env.TMPDIR} && chmod 777 ${work}`);
      const r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", `umask ${umask} && exec "$0" doctor .`, BLIT], { cwd: work, env });
      expect([umask, r.stderr, r.exitCode]).toEqual([umask, "", 0]);
      expect(r.stdout).toContain(`shim: ${join(home, ".cache", "blit")}/libblit-`);
      expect(sh(`stat -c %a ${home}/.cache ${home}/.cache/blit`)).toBe("700\n700\n");
    }
  });

  // Two builds sharing a cache (two versions installed, an x64 and an arm64
  // machine with one home) keep both; an old version's goes when a new one writes its own.
  test("another build's shim written in the last week stays; one older goes when this one's is written", () => {
    const { home, work, env } = isolated();
    const cache = join(home, ".cache", "blit");
    sh(`mkdir -p ${cache} && chmod 700 ${cache} && printf other > ${cache}/libblit-0123456789abcdef.so && printf old > ${cache}/libblit-fedcba9876543210.so && touch -d '30 days ago' ${cache}/libblit-fedcba9876543210.so`);
    for (let i = 0; i < 2; i++) expect(blit(["f", `copy-${i}`], { cwd: work, env })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const shims = cachedShims(cache);
    expect(shims).toHaveLength(2);
    expect(shims).toContain("libblit-0123456789abcdef.so");
  });

  // Parallel CI steps, `xargs -P`: each launch wrote its own temporary copy
  // and removed the others' as stale, so their renames failed and they fell
  // back to the slow engine ("native copy engine unavailable").
  test("8 launches at once into an empty cache: each loads the native shim", async () => {
    for (let round = 0; round < 3; round++) {
      const { home, work, env } = isolated();
      const launches = Array.from({ length: 8 }, () => Bun.spawn([BLIT, "doctor", work], { env: environment(env), stdout: "pipe", stderr: "pipe" }));
      const results = await Promise.all(launches.map(async (p) => ({ code: await p.exited, out: await new Response(p.stdout).text(), err: await new Response(p.stderr).text() })));
      for (const r of results) {
        expect([r.err, r.code]).toEqual(["", 0]);
        expect(r.out).toContain(`shim: ${join(home, ".cache", "blit")}/libblit-`);
      }
      expect(readdirSync(join(home, ".cache", "blit"))).toHaveLength(1);
    }
  }, 60_000);

  // dlopen cannot map a file from a noexec mount: the next folder is tried.
  testIf(tmpfsUnavailable)("a cache folder on a noexec mount: the shim goes to the next one, $TMPDIR's", () => {
    const { tmp, work, env } = isolated();
    const noexec = mountTmpfs("size=16m,noexec");
    const r = blit(["doctor", work], { env: { ...env, HOME: noexec } });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout).toContain(`shim: ${join(tmp, `blit-${process.getuid!()}`)}/libblit-`);
  });

  // Bun's FFI compiles its calls, and its JIT reserves ~2.3 GB of address
  // space up front: under a lower ulimit -v there is no native engine. Said
  // with its cause, and no second copy of the shim put in $TMPDIR (no other
  // folder would load it either).
  test("ulimit -v below what the JIT reserves: the fallback, said with its cause, one cached shim", () => {
    const { home, tmp, work, env } = isolated();
    const r = run(["bash", "-c", 'ulimit -v 1500000 && exec "$@"', "sh", BLIT, "f", "g"], { cwd: work, env });
    expect(r).toEqual({
      stdout: "",
      stderr: "blit: warning: native copy engine unavailable (bun:ffi requires the JIT; the limit on address space (ulimit -v 1500000) is too low for it); copying with Bun's fs, which is slower and, working by path, not proof against a directory swapped for a symlink meanwhile\n",
      exitCode: 0,
    });
    expect(readFileSync(join(work, "g"), "utf8")).toBe("data");
    expect(readdirSync(tmp)).toEqual([]);
    expect(cachedShims(join(home, ".cache", "blit"))).toHaveLength(1);
  });

  // A write the tmpfs took in part was taken for the whole shim: renamed in place short, loaded, a bus error (a QA review).
  testIf(tmpfsUnavailable)("a cache folder on a nearly full disk: nothing of the shim left there, the next folder used", () => {
    const { tmp, work, env } = isolated();
    const full = mountTmpfs("size=64k");
    const r = blit(["f", "g"], { cwd: work, env: { ...env, HOME: full } });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(join(work, "g"), "utf8")).toBe("data");
    expect(readdirSync(join(full, ".cache", "blit"))).toEqual([]);
    expect(cachedShims(join(tmp, `blit-${process.getuid!()}`))).toHaveLength(1);
  });

  // Its cache folder was made, and the home with it.
  test("an XDG_CACHE_HOME inside a HOME that does not exist is not made: the shim goes to $TMPDIR's folder", () => {
    const { home, tmp, work, env } = isolated();
    const missing = join(home, "nonexistent");
    const r = blit(["doctor", work], { env: { ...env, HOME: missing, XDG_CACHE_HOME: join(missing, ".cache") } });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout).toContain(`shim: ${join(tmp, `blit-${process.getuid!()}`)}/libblit-`);
    expect(existsSync(missing)).toBe(false);
  });

  // A service account's HOME (/nonexistent) is not made for a cache, as root could make it.
  test("a HOME that does not exist is not made: the shim goes to $TMPDIR's folder", () => {
    const { home, tmp, work, env } = isolated();
    const missing = join(home, "nonexistent");
    const r = blit(["doctor", work], { env: { ...env, HOME: missing } });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout).toContain(`shim: ${join(tmp, `blit-${process.getuid!()}`)}/libblit-`);
    expect(existsSync(missing)).toBe(false);
  });

  // -a's hard-link table reserves ~180 MB of address space, which such a limit does not leave: a smaller one is reserved.
  test("ulimit -v 500000 with -a: the fallback copies, hard links kept, no internal error", () => {
    const { work, env } = isolated();
    sh("mkdir src && printf x > src/a && ln src/a src/b", work);
    const r = run(["bash", "-c", 'ulimit -v 500000 && exec "$@"', "sh", BLIT, "-a", "src", "dst"], { cwd: work, env });
    expect([r.stdout, r.stderr.replace(/\(ulimit -v \d+\)/, "(ulimit -v N)"), r.exitCode]).toEqual(["", "blit: warning: native copy engine unavailable (bun:ffi requires the JIT; the limit on address space (ulimit -v N) is too low for it); copying with Bun's fs, which is slower and, working by path, not proof against a directory swapped for a symlink meanwhile\n", 0]);
    expect(statSync(join(work, "dst", "a")).ino).toBe(statSync(join(work, "dst", "b")).ino);
  });

  test("a relative TMPDIR is not used: no cache folder in the working directory", () => {
    const { work } = isolated();
    // HOME a file: no cache folder there, so the temp folder is the one looked at: /tmp's, made here if need be.
    const fallback = `/tmp/blit-${process.getuid!()}`;
    const made = !existsSync(fallback);
    try {
      const r = blit(["doctor", work], { cwd: work, env: { HOME: join(work, "f"), XDG_CACHE_HOME: undefined, TMPDIR: "reltmp" } });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`shim: ${fallback}/libblit-`);
      expect(readdirSync(work)).toEqual(["f"]);
    } finally {
      if (made) rmSync(fallback, { recursive: true, force: true });
    }
  });
});
