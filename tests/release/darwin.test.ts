// The macOS shims (c/darwin/blit_darwin.c, cross-built by zig) cannot be
// loaded here: they are inspected instead. Each is a Mach-O dylib of its
// target's CPU for macOS 13, links libSystem and nothing else, exports
// exactly the functions ffi/darwin/shim.ts binds (so no dlopen on a Mac can
// miss a symbol), and is embedded byte for byte in its target's executable.
// That these functions behave is shown on a Mac (.github/workflows/macos.yml);
// here their POSIX core runs through tests/ffi/contract.test.ts and
// tests/ffi/darwin.test.ts.

import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DARWIN_SYMBOLS } from "../../ffi/darwin/shim.ts";
import { checkShimArchitecture } from "../../ffi/index.ts";
import { ROOT, run } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { lacks, readMachO, unpack } from "./release.ts";

const TARGETS = [
  { target: "darwin-arm64", cpu: "arm64", arch: "arm64" },
  { target: "darwin-x64", cpu: "x86_64", arch: "x64" },
] as const;

const dylibOf = (target: string) => join(ROOT, "build", "shim", target, "libblit.dylib");
const bound = Object.keys(DARWIN_SYMBOLS).map((name) => `_${name}`).sort();
const noNm = lacks("llvm-nm", "reads Mach-O symbol tables");

describe.each(TARGETS)("$target: the macOS shim", ({ target, cpu, arch }) => {
  const dylib = dylibOf(target);
  if (!existsSync(dylib)) throw new Error(`${dylib} is missing: build the release first (npm run release)`);

  test(`a Mach-O dylib for ${cpu}, macOS 13.0 or later, linking /usr/lib/libSystem.B.dylib only${cpu === "arm64" ? ", ad-hoc signed (Apple silicon loads nothing unsigned)" : ""}`, () => {
    const macho = readMachO(readFileSync(dylib));
    expect(macho).toEqual({
      cpu,
      fileType: "dylib",
      platform: "macOS",
      minOS: "13.0",
      libraries: ["/usr/lib/libSystem.B.dylib"],
      codeSignature: cpu === "arm64",
    });
  });

  // The same bytes wherever it is built, and nothing of the builder's in them.
  test("names itself libblit.dylib and holds no path of the machine that built it", () => {
    const bytes = readFileSync(dylib);
    expect(bytes.includes(Buffer.from(ROOT))).toBe(false);
    expect(bytes.includes(Buffer.from("\0libblit.dylib\0"))).toBe(true);
  });

  testIf(noNm)("exports exactly the functions ffi/darwin/shim.ts binds", () => {
    const r = run(["llvm-nm", "--extern-only", "--defined-only", "--just-symbol-name", dylib]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    // The linker's own marker of the image (every dylib has it) is not ours.
    const exported = r.stdout.split("\n").filter((name) => name && name !== "__mh_dylib_header" && name !== "___dso_handle").sort();
    expect(exported).toEqual(bound);
  });

  testIf(noNm)("every function it calls is libSystem's, among them the Apple-only ones blit is built on", () => {
    const r = run(["llvm-nm", "--undefined-only", "-m", dylib]);
    expect(r.stderr).toBe("");
    const imports = r.stdout.split("\n").filter(Boolean);
    // Two-level namespace: each import names the library that must provide it.
    expect(imports.filter((line) => !line.endsWith("(from libSystem)") && !line.includes("dyld_stub_binder"))).toEqual([]);
    const names = imports.map((line) => line.split(" ").filter((word) => word.startsWith("_") || word === "dyld_stub_binder")[0]);
    for (const apple of ["_fclonefileat", "_getattrlistbulk", "_renameatx_np", "_setattrlistat", "_fsetattrlist", "_fchflags", "_acl_get_fd_np", "_acl_set_fd_np", "_fgetxattr", "_fsetxattr", "_flistxattr", "_fcntl", "_mkfifoat", "_mknodat"]) {
      expect(names.some((name) => name === apple || name?.startsWith(`${apple}$`))).toBe(true);
    }
  });

  test(`blit's own check accepts it on ${arch} and refuses it on the other architecture`, () => {
    const other = TARGETS.find((t) => t.target !== target)!;
    const saved = process.arch;
    try {
      Object.defineProperty(process, "arch", { value: arch });
      expect(() => checkShimArchitecture(dylib)).not.toThrow();
      Object.defineProperty(process, "arch", { value: other.arch });
      expect(() => checkShimArchitecture(dylib)).toThrow(/the embedded native shim is for another architecture \(Mach-O cputype 0x/);
    } finally {
      Object.defineProperty(process, "arch", { value: saved });
    }
  });

  test(`the ${target} executable embeds it, byte for byte`, () => {
    const exe = readFileSync(unpack(target, sandbox("unpack")));
    const shim = readFileSync(dylib);
    expect(exe.indexOf(shim)).toBeGreaterThan(0);
  });
});

describe("the macOS workflow", () => {
  const actionlint = join(ROOT, "build", "tools", "bin", "actionlint");
  const missing = existsSync(actionlint) ? lacks("shellcheck", "actionlint checks run: steps with it") : "actionlint is not built (npm run setup builds it into build/tools/bin)";

  testIf(missing)(".github/workflows/macos.yml passes actionlint (with shellcheck on its run: steps)", () => {
    const r = run([actionlint, "-shellcheck=shellcheck", "-no-color", ".github/workflows/macos.yml"], { cwd: ROOT });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });

  test("runs the Mac-only tests on Apple silicon and Intel, with zig pinned as the set-up pins it", () => {
    const yml = readFileSync(join(ROOT, ".github", "workflows", "macos.yml"), "utf8");
    const setup = readFileSync(join(ROOT, ".ci", "setup.sh"), "utf8");
    expect(yml).toContain("runner: [macos-latest, macos-15-intel]");
    expect(yml).toContain("bun test tests/ffi/darwin-native.test.ts");
    const pin = /ziglang==[\d.]+/.exec(setup)?.[0];
    expect(pin).toBeDefined();
    expect(yml).toContain(pin!);
  });
});
