// Stat.timeStepNs on Linux (ffi/time-steps.ts): a second --skip-unchanged
// run onto FAT or exFAT, whose kernels round the times blit sets, must find
// the files unchanged. Where this kernel cannot mount vfat or exfat (the
// machine blit is developed on), the same tests run in a VM of Debian's
// kernel (tests/helpers/vm.ts); .github/workflows/linux.yml runs them on
// GitHub's Ubuntu runner.

import { describe, expect } from "bun:test";
import { lstatSync } from "node:fs";
import { blit, sh } from "../helpers/blit.ts";
import { type FatType, fatUnavailable, mountFat } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { runInVm, vmUnavailable } from "../helpers/vm.ts";

const unmountable = { vfat: fatUnavailable("vfat"), exfat: fatUnavailable("exfat") };

describe("--skip-unchanged onto filesystems that keep coarse times", () => {
  // A FAT or exFAT stick: SOURCE's mtime set there lands on the filesystem's step below it
  // (robocopy's /FFT; rsync wants --modify-window). `later` is beyond the step: a change.
  const STEPPED: { type: FatType; step: string; held: bigint; later: string }[] = [
    { type: "vfat", step: "2 s", held: 981173106_000000000n, later: "2001-02-03 04:05:09.5" },
    { type: "exfat", step: "10 ms", held: 981173107_120000000n, later: "2001-02-03 04:05:07.15" },
  ];
  for (const { type, step, held, later } of STEPPED) {
    testIf(unmountable[type])(`on ${type}, which keeps mtimes in ${step} steps: a second run finds every file unchanged; one touched beyond the step is copied`, () => {
      const root = sandbox(`stepped-${type}`);
      const dst = `${mountFat(type)}/dst`;
      sh("mkdir -p src/d && printf one > src/f && printf two > src/d/g && TZ=UTC touch -d '2001-02-03 04:05:07.123456789' src/f src/d/g src/d src", root);
      const again = () => {
        const r = blit(["-rT", "--preserve=timestamps", "--itemize", "--skip-unchanged", "src", dst], { cwd: root, env: { TZ: "UTC" } });
        expect([r.stderr, r.exitCode]).toEqual(["", 0]);
        return r.stdout.split("\n").filter((line) => line.startsWith(">f") || line.startsWith(".f")).sort();
      };
      expect(again()).toEqual([`>f+++++++++ ${dst}/d/g`, `>f+++++++++ ${dst}/f`]);
      // The filesystem rounded the time blit set: without the step, every run would copy both again.
      expect(lstatSync(`${dst}/f`, { bigint: true }).mtimeNs).toBe(held);
      expect(again()).toEqual([`.f          ${dst}/d/g`, `.f          ${dst}/f`]);
      sh(`TZ=UTC touch -d '${later}' src/f`, root);
      expect(again()).toEqual([`.f          ${dst}/d/g`, `>f..t...... ${dst}/f`]);
      // In the VM below, without KVM, each blit takes about a second: 4.7 s of the 5 s default on a quiet machine.
    }, 30_000);
  }
});

describe("in a VM, where this kernel cannot mount them", () => {
  const runsHere = !unmountable.vfat && !unmountable.exfat ? "this kernel mounts vfat and exfat: the tests above ran here" : undefined;
  testIf(runsHere ?? vmUnavailable)("the tests above pass on Debian's kernel, neither skipped", () => {
    const { output, exitCode } = runInVm("./node_modules/.bin/bun test tests/ffi/time-steps.test.ts 2>&1", 600_000);
    const summary = (word: string) => Number(new RegExp(`^ *(\\d+) ${word}$`, "m").exec(output)?.[1] ?? -1);
    // What failed inside, shown with the counts when they are wrong.
    const failures = output.split("\n").filter((line) => /^\(fail\)|^error:|^\s+[-+] |^vm: /.test(line));
    expect({ pass: summary("pass"), fail: summary("fail"), exitCode, failures }).toEqual({ pass: 2, fail: 0, exitCode: 0, failures: [] });
    // Inside, the VM test itself is the one skipped (the kernel mounts both).
    expect(output).toMatch(/1 skip$/m);
  }, 660_000);
});
