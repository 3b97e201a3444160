// blit doctor: the machine, the backend and a filesystem's copy methods.

import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { blit, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";

describe("blit doctor", () => {
  test("on ext4: no reflink, copy_file_range, holes reported; scratch files removed", () => {
    const dir = sandbox("doctor");
    const r = blit(["doctor", dir]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^blit \S+ on linux-x64, \d+ CPUs\n/);
    expect(r.stdout).toContain("backend: linux (native shim over liburing)");
    expect(r.stdout).toMatch(/io_uring: available; ops: nop openat statx read write\n/);
    expect(r.stdout).toContain(`filesystem of '${dir}': ext2/ext3/ext4`);
    expect(r.stdout).toContain("reflink (FICLONE): no (Operation not supported)");
    expect(r.stdout).toContain("copy_file_range: yes");
    expect(r.stdout).toContain("holes (SEEK_DATA): yes (reported)");
    expect(r.stdout).toContain("method for files within this filesystem: kernel (copy_file_range): copied without passing through blit (by the kernel, or by a file server)");
    expect(readdirSync(dir)).toEqual([]);
  });

  // $XDG_CACHE_HOME is the user's: a `##[` in it is a workflow command to GitHub's runner.
  test("the shim's path, under a cache folder named with `##[`, is quoted so that no line holds it whole", () => {
    const dir = sandbox("doctor-cache");
    const r = blit(["doctor", dir], { env: { XDG_CACHE_HOME: `${dir}/##[add-mask]x` } });
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout).toContain(`shim: '${dir}/##'$'\\133''add-mask]x/blit/libblit-`);
    expect(r.stdout).not.toContain("##[");
  });

  test("PATH defaults to the working directory; a file means its directory", () => {
    const dir = sandbox("doctor-file");
    sh("printf x > f", dir);
    const here = blit(["doctor"], { cwd: dir });
    expect(here.stdout).toContain("filesystem of '.': ext2/ext3/ext4");
    const file = blit(["doctor", "f"], { cwd: dir });
    expect(file.stdout).toContain("filesystem of '.': ext2/ext3/ext4");
  });

  test("a read-only place still gets its filesystem type", () => {
    const r = blit(["doctor", "/proc"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("filesystem of '/proc': proc");
    expect(r.stdout).toContain("method for files within this filesystem: unknown (not probed)");
  });

  test("--he is --help, and after -- a PATH may start with '-'", () => {
    const help = blit(["doctor", "--he"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toStartWith("Usage: blit doctor [PATH]\n");
    const dir = sandbox("doctor-dash");
    sh("mkdir ./-d", dir);
    const dashed = blit(["doctor", "--", "-d"], { cwd: dir });
    expect(dashed.stderr).toBe("");
    expect(dashed.exitCode).toBe(0);
    expect(dashed.stdout).toContain("filesystem of '-d': ext2/ext3/ext4");
  });

  test("errors: a missing PATH, an unknown option", () => {
    expect(blit(["doctor", "/nonexistent"])).toEqual({
      stdout: expect.any(String),
      stderr: "blit: cannot stat '/nonexistent': No such file or directory\n",
      exitCode: 1,
    });
    expect(blit(["doctor", "--bogus"])).toEqual({
      stdout: "",
      stderr: "blit: doctor: unrecognized option '--bogus'\nTry 'blit --help' for more information.\n",
      exitCode: 2,
    });
  });
});
