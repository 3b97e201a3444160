// When the native shim cannot be loaded (here: every folder it could go to is
// on a noexec mount, as on hardened CI runners), blit says why and still
// copies, through Bun's own fs.

import { describe, expect } from "bun:test";
import { blit, sh } from "../helpers/blit.ts";
import { mountTmpfs, tmpfsUnavailable } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { snapshot } from "../helpers/tree.ts";

function noexecEnvironment() {
  const noexec = mountTmpfs("size=16m,noexec");
  sh("mkdir home tmp", noexec);
  return { HOME: `${noexec}/home`, TMPDIR: `${noexec}/tmp`, XDG_CACHE_HOME: undefined };
}

describe("portable fallback", () => {
  testIf(tmpfsUnavailable)("copies a tree like cp -a, with a warning that says why", () => {
    const env = noexecEnvironment();
    const root = sandbox("fallback");
    sh(
      `mkdir -p src/sub && printf a > src/a && head -c 3000000 /dev/urandom > src/sub/big && ln -s a src/l &&
       chmod 751 src/sub && touch -d '2001-02-03 04:05:06.5' src/a src/sub && cp -a src by-cp`,
      root,
    );
    const r = blit(["-a", "--stats", "src", "by-blit"], { cwd: root, env });
    expect(r.stderr).toMatch(/^blit: warning: native copy engine unavailable \(.*(failed to map segment|Operation not permitted).*\); copying with Bun's fs, which is slower\n$/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("backend: portable\n");
    // node:fs sets times as floating-point seconds: equal to the microsecond here.
    const mine = snapshot(`${root}/by-blit`, { times: true });
    const ref = snapshot(`${root}/by-cp`, { times: true });
    for (const [path, entry] of Object.entries(ref)) {
      const ours = mine[path];
      expect(ours).toBeDefined();
      if (entry.mtime_ns && ours?.mtime_ns) {
        expect(Math.abs(Number(BigInt(ours.mtime_ns) - BigInt(entry.mtime_ns)))).toBeLessThan(1000);
        entry.mtime_ns = ours.mtime_ns;
      }
    }
    expect(mine).toEqual(ref);
  });

  testIf(tmpfsUnavailable)("doctor shows the portable backend and the reason", () => {
    const env = noexecEnvironment();
    const r = blit(["doctor", sandbox("doctor")], { env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("backend: portable (Bun's node:fs; slower)");
    expect(r.stdout).toMatch(/why: .*(failed to map segment|Operation not permitted)/);
    expect(r.stdout).toContain("copies still work, through Bun's fs, but more slowly");
  });
});
