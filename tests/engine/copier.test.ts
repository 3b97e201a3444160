// Copying file contents of every size class, special files (made anew, or
// read like files without -r) and /proc files,
// judged against cp -a on the same tree.

import { describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { BLIT, blit, run, sh, stats } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { snapshot } from "../helpers/tree.ts";

describe("file contents", () => {
  test("0 B, 1 B, 4 KiB, 1 MiB + 1 and 100 MiB files equal cp -a's copies", () => {
    const root = sandbox("sizes");
    sh(
      `mkdir src && cd src && : > zero && printf 1 > one && head -c 4096 /dev/urandom > page &&
       head -c 1048577 /dev/urandom > mib-plus-one && head -c 104857600 /dev/urandom > hundred-mib`,
      root,
    );
    sh("cp -a src by-cp", root);
    const r = blit(["-a", "--stats", "src", "by-blit"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout).files).toBe("5");
    expect(stats(r.stdout).bytes).toBe(String(1 + 4096 + 1048577 + 104857600));
    expect(snapshot(`${root}/by-blit`, { times: true })).toEqual(snapshot(`${root}/by-cp`, { times: true }));
    expect(snapshot(`${root}/by-blit`, { times: true })).toEqual(snapshot(`${root}/src`, { times: true }));
  });

  test("/proc files that report size 0 are copied with their contents", () => {
    const root = sandbox("proc");
    const r = blit(["--stats", "/proc/cpuinfo", "/proc/version", root]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(statSync("/proc/version").size).toBe(0);
    expect(readFileSync(`${root}/version`, "utf8")).toBe(readFileSync("/proc/version", "utf8"));
    const cpuinfo = readFileSync(`${root}/cpuinfo`, "utf8");
    expect(cpuinfo.length).toBeGreaterThan(100);
    expect(cpuinfo).toContain("processor");
  });
});

describe("output", () => {
  test("-v lists each copied entry as cp -v does", () => {
    const root = sandbox("verbose");
    sh("mkdir -p src/sub && printf a > src/a && printf b > src/sub/b && ln -s a src/l", root);
    const byCp = sh("cp -rv src by-cp | sed 's/by-cp/DST/' | sort", root);
    const r = blit(["-rv", "src", "by-blit"], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    const mine = r.stdout.split("\n").filter(Boolean).map((l) => l.replace("by-blit", "DST")).sort();
    expect(mine).toEqual(byCp.split("\n").filter(Boolean));
  });

  test("-q silences warnings but not errors", () => {
    const root = sandbox("quiet");
    sh("printf a > a && mkdir d", root);
    const loud = blit(["a", "a", "d"], { cwd: root });
    expect(loud.stderr).toBe("blit: warning: source file 'a' specified more than once\n");
    const quiet = blit(["-q", "a", "a", "d"], { cwd: root });
    expect(quiet.stderr).toBe("");
    expect(quiet.exitCode).toBe(0);
    const failing = blit(["-q", "missing", "d"], { cwd: root });
    expect(failing.stderr).toBe("blit: cannot stat 'missing': No such file or directory\n");
    expect(failing.exitCode).toBe(1);
  });
});

describe("special files", () => {
  // What cp does without -r: `cp <(cmd) f` and `cmd | cp /dev/stdin f` copy what the pipe carries.
  const READ_CASES = [
    { what: "a pipe on standard input", command: (tool: string) => `printf 'through a pipe' | ${tool} /dev/stdin out` },
    { what: "a process substitution", command: (tool: string) => `${tool} <(printf 'through a substitution') out` },
    // The writer gives up after a while and holds none of the test's pipes, should the copy never open the fifo.
    { what: "a fifo, with -v", command: (tool: string) => `(timeout 10 sh -c "printf 'through a fifo' > fifo" >/dev/null 2>&1 &) && ${tool} -v fifo out` },
  ];
  test.each(READ_CASES)("without -r, $what is read like a file, as cp reads it", ({ command }) => {
    const root = sandbox("special-read");
    sh("mkdir by-cp by-blit && mkfifo by-cp/fifo by-blit/fifo", root);
    const mine = run(["bash", "-c", command('"$0"'), BLIT], { cwd: `${root}/by-blit`, timeout: 20_000 });
    const theirs = run(["bash", "-c", command("cp")], { cwd: `${root}/by-cp`, timeout: 20_000 });
    expect(mine).toEqual(theirs);
    expect(mine.exitCode).toBe(0);
    expect(snapshot(`${root}/by-blit`)).toEqual(snapshot(`${root}/by-cp`));
    expect(snapshot(`${root}/by-blit`).out?.type).toBe("file");
    expect(readFileSync(`${root}/by-blit/out`, "utf8")).toStartWith("through a ");
  });

  test("fifos and sockets are recreated, never opened for reading", () => {
    const root = sandbox("special");
    sh("mkdir src && mkfifo src/fifo && python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('src/sock')\"", root);
    const r = blit(["-a", "--stats", "src", "dst"], { cwd: root, timeout: 20_000 });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stats(r.stdout)["special files"]).toBe("2");
    const snap = snapshot(`${root}/dst`);
    expect(snap.fifo?.type).toBe("fifo");
    expect(snap.sock?.type).toBe("socket");
  });
});
