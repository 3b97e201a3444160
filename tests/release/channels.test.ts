// The ways users get blit, each exercised against the built release: the
// Homebrew formula and the Scoop manifest generated from SHA256SUMS, the
// install script and the GitHub Action's script downloading from a local
// HTTP server on 127.0.0.1 that serves dist/release/ (and a tampered copy,
// which both must refuse), and the release workflow, checked by actionlint.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formula, scoopManifest } from "../../release/channels.ts";
import { downloadBase, REPO, TARGETS, VERSION } from "../../release/targets.ts";
import { BLIT, ROOT, run, type Result, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { mountTmpfs, tmpfsUnavailable } from "../helpers/mounts.ts";
import { testIf } from "../helpers/skip.ts";
import { snapshot } from "../helpers/tree.ts";
import { assetPath, CHANNELS, lacks, RELEASE, releaseSums, TARGET_NAMES, unpack } from "./release.ts";

/** Like run(), but without blocking this thread, which serves the downloads. */
async function runAsync(cmd: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<Result> {
  const proc = Bun.spawn(cmd, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill(), 120_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { stdout, stderr, exitCode };
}

// The server: /good/ is dist/release/ as built; /tampered/ is the same but
// with one byte of blit-linux-x64.tar.gz changed (SHA256SUMS unchanged);
// /slow/ holds a blit-linux-x64.tar.gz whose blit takes 3 s to say its
// version, with its SHA256SUMS: an install to interrupt while it is tried.
let server: ReturnType<typeof Bun.serve> | undefined;
let base = "";
const requests: string[] = [];
let tamperedDir = "";
let slowDir = "";

beforeAll(() => {
  // Not a sandbox(): those are removed after each test.
  tamperedDir = mkdtempSync(join(process.env.BLIT_TEST_TMP ?? tmpdir(), "blit-tampered-"));
  cpSync(RELEASE, tamperedDir, { recursive: true });
  const victim = join(tamperedDir, TARGETS["linux-x64"].asset);
  const bytes = readFileSync(victim);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1; // gzip's length trailer: still a plausible archive
  writeFileSync(victim, bytes);
  slowDir = mkdtempSync(join(process.env.BLIT_TEST_TMP ?? tmpdir(), "blit-slow-"));
  // sleep by its path: the tests' PATH holds only what the scripts use.
  writeFileSync(join(slowDir, "blit"), `#!/bin/sh\n${run(["sh", "-c", "command -v sleep"]).stdout.trim()} 3\necho "blit ${VERSION} (slow)"\n`, { mode: 0o755 });
  sh(`tar -czf ${TARGETS["linux-x64"].asset} blit && sha256sum ${TARGETS["linux-x64"].asset} > SHA256SUMS`, slowDir);
  const roots: Record<string, string> = { good: RELEASE, tampered: tamperedDir, slow: slowDir };
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(path);
      const match = /^\/(good|tampered|slow)\/([A-Za-z0-9._-]+)$/.exec(path);
      const file = match ? join(roots[match[1]!]!, match[2]!) : "";
      return match && existsSync(file) ? new Response(Bun.file(file)) : new Response("not found\n", { status: 404 });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => {
  server?.stop(true);
  rmSync(tamperedDir, { recursive: true, force: true });
  rmSync(slowDir, { recursive: true, force: true });
});

describe("Homebrew formula", () => {
  const rb = () => readFileSync(join(CHANNELS, "Formula", "blit.rb"), "utf8");

  testIf(lacks("ruby", "checks the formula's syntax"))("is valid Ruby (ruby -c)", () => {
    expect(run(["ruby", "-c", join(CHANNELS, "Formula", "blit.rb")])).toEqual({ stdout: "Syntax OK\n", stderr: "", exitCode: 0 });
  });

  test("names each Unix archive of this release with its SHA-256, under on_macos/on_linux × on_arm/on_intel", () => {
    const sums = releaseSums();
    const pairs = [...rb().matchAll(/url "([^"]+)"\n\s+sha256 "([0-9a-f]{64})"/g)].map((m) => [m[1], m[2]]);
    // Homebrew runs on macOS and on glibc Linux: no Windows, no musl.
    const unix = TARGET_NAMES.filter((t) => TARGETS[t].os !== "windows" && TARGETS[t].libc !== "musl");
    expect(pairs.sort()).toEqual(unix.map((t) => [`${downloadBase(VERSION)}/${TARGETS[t].asset}`, sums.get(TARGETS[t].asset)]).sort());
    const blocks = rb().replace(/\n {6}(url|sha256) "[^"]+"/g, "");
    expect(blocks).toContain("  on_macos do\n    on_arm do\n    end\n    on_intel do\n    end\n  end\n");
    expect(blocks).toContain("  on_linux do\n    on_arm do\n    end\n    on_intel do\n    end\n  end\n");
    // on_arm under on_macos is darwin-arm64, and so on.
    expect(rb()).toMatch(/on_macos do\n\s+on_arm do\n\s+url "[^"]+\/blit-darwin-arm64\.tar\.gz"/);
    expect(rb()).toMatch(/on_linux do\n\s+on_arm do\n\s+url "[^"]+\/blit-linux-arm64\.tar\.gz"[\s\S]+on_intel do\n\s+url "[^"]+\/blit-linux-x64\.tar\.gz"/);
  });

  test("installs the binary and tests a copy", () => {
    expect(rb()).toContain(`  version "${VERSION}"\n`);
    // brew audit: a desc under 80 characters, not ending in a period.
    expect(rb()).toMatch(/^ {2}desc "[^"]{1,79}[^."]"$/m);
    expect(rb()).toContain('    bin.install "blit"\n');
    expect(rb()).toContain('    system bin/"blit", testpath/"src.txt", testpath/"dst.txt"\n    assert_equal "copied by blit\\n", (testpath/"dst.txt").read\n');
  });

  test("is exactly what the generator makes of SHA256SUMS (not edited by hand)", () => {
    expect(rb()).toBe(formula(VERSION, releaseSums()));
  });

  // The formula's own test block, as brew would run it, with the x64 Linux binary.
  test("its test block's copy works with the binary it installs", () => {
    const dir = sandbox("brew");
    const exe = unpack("linux-x64", dir);
    writeFileSync(join(dir, "src.txt"), "copied by blit\n");
    expect(run([exe, join(dir, "src.txt"), join(dir, "dst.txt")])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(join(dir, "dst.txt"), "utf8")).toBe("copied by blit\n");
    expect(run([exe, "--version"]).stdout).toStartWith(`blit ${VERSION} `);
  });
});

describe("Scoop manifest", () => {
  const manifestPath = join(CHANNELS, "bucket", "blit.json");
  const manifest = () => JSON.parse(readFileSync(manifestPath, "utf8"));

  // tests/release/scoop-manifest.schema.json restates the rules of Scoop's
  // schema.json (ScoopInstaller/Scoop) for the properties blit's manifest
  // uses, and Scoop's list of allowed top-level properties. SCOOP_SCHEMA may
  // name Scoop's own schema.json to validate against it as well.
  const schemas = [join(import.meta.dir, "scoop-manifest.schema.json"), ...(process.env.SCOOP_SCHEMA ? [process.env.SCOOP_SCHEMA] : [])];
  const validator = `
import json, sys
from jsonschema import Draft7Validator
schema = json.load(open(sys.argv[1]))
Draft7Validator.check_schema(schema)
errors = sorted(Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER).iter_errors(json.load(open(sys.argv[2]))), key=str)
for e in errors: print("/".join(map(str, e.absolute_path)) + ": " + e.message)
sys.exit(1 if errors else 0)
`;
  const noJsonschema = run(["python3", "-c", "import jsonschema"]).exitCode === 0 ? undefined : "python3's jsonschema is not installed (npm run setup installs it)";

  for (const schema of schemas) {
    testIf(noJsonschema)(`is valid against ${schema.endsWith("scoop-manifest.schema.json") ? "Scoop's manifest rules" : schema}`, () => {
      expect(run(["python3", "-c", validator, schema, manifestPath])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    });
  }

  testIf(noJsonschema)("the schema check refuses a manifest with a bad hash or an unknown property", () => {
    const bad = { ...manifest(), architecture: { "64bit": { url: manifest().architecture["64bit"].url, hash: "abc" } }, colour: "blue" };
    const path = join(sandbox("scoop"), "bad.json");
    writeFileSync(path, JSON.stringify(bad));
    const r = run(["python3", "-c", validator, schemas[0]!, path]);
    expect(r.stdout).toContain("Additional properties are not allowed ('colour' was unexpected)");
    expect(r.stdout).toContain("architecture/64bit/hash: ");
    expect(r.exitCode).toBe(1);
  });

  test("names the Windows archive with its SHA-256, bin, checkver and autoupdate from SHA256SUMS", () => {
    const asset = TARGETS["windows-x64"].asset;
    expect(manifest()).toEqual({
      "##": expect.stringContaining("Generated by release/channels.ts"),
      version: VERSION,
      description: expect.any(String),
      homepage: `https://github.com/${REPO}`,
      license: "MIT",
      architecture: { "64bit": { url: `${downloadBase(VERSION)}/${asset}`, hash: releaseSums().get(asset) } },
      bin: "blit.exe",
      checkver: "github",
      autoupdate: {
        architecture: { "64bit": { url: `https://github.com/${REPO}/releases/download/v$version/${asset}` } },
        hash: { url: "$baseurl/SHA256SUMS" },
      },
    });
    expect(readFileSync(manifestPath, "utf8")).toBe(scoopManifest(VERSION, releaseSums()));
  });
});

/** A PATH holding the tools install.sh and the Action's script may use, less `without`, plus fake ones. */
function toolPath(without: string[] = [], fakes: Record<string, string> = {}): string {
  const dir = sandbox("path");
  for (const tool of ["sh", "bash", "uname", "mktemp", "curl", "awk", "wc", "tr", "cut", "sha256sum", "shasum", "perl", "tar", "gzip", "mkdir", "cp", "chmod", "mv", "rm", "sed", "printf", "cat", "sysctl", "dirname", "basename", "sort", "tail", "head", "grep", "readlink", "rmdir"]) {
    if (without.includes(tool)) continue;
    const found = run(["sh", "-c", `command -v ${tool}`]).stdout.trim();
    if (found.startsWith("/")) symlinkSync(found, join(dir, tool));
  }
  for (const [name, body] of Object.entries(fakes)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe("install.sh", () => {
  const script = join(ROOT, "install.sh");

  test("is POSIX sh (shellcheck -s sh) and names this repository", () => {
    expect(run(["shellcheck", "-s", "sh", script])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(script, "utf8")).toContain(`REPO="${REPO}"\n`);
  });

  test("downloads the Linux x64 archive, checks it against SHA256SUMS and installs blit into PREFIX/bin", async () => {
    const prefix = join(sandbox("prefix"), "p");
    const r = await runAsync(["sh", script, "--prefix", prefix], { env: { BLIT_DOWNLOAD_URL: `${base}/good/`, PATH: toolPath() } });
    const hash = releaseSums().get("blit-linux-x64.tar.gz");
    expect(r).toEqual({
      stdout:
        `downloading ${base}/good/blit-linux-x64.tar.gz\n` +
        `checksum OK: ${hash}  blit-linux-x64.tar.gz\n` +
        `installed ${prefix}/bin/blit (blit-linux-x64.tar.gz)\n` +
        `note: ${prefix}/bin is not on your PATH; add it, e.g. export PATH="${prefix}/bin:$PATH"\n`,
      stderr: "",
      exitCode: 0,
    });
    expect(run(["cmp", join(prefix, "bin", "blit"), BLIT]).exitCode).toBe(0);
    expect(readdirSync(join(prefix, "bin"))).toEqual(["blit"]);
  });

  // --prefix tools, run in a home directory: the advice must hold from anywhere. And an older blit first on PATH is what runs.
  test("a relative --prefix is said as the absolute directory; a blit earlier on PATH is named as the one that runs", async () => {
    const home = sandbox("prefix-relative");
    sh("mkdir -p first decoy/tools/bin && printf '#!/bin/sh\\necho old\\n' > first/blit && chmod 755 first/blit", home);
    const bin = join(home, "tools", "bin");
    const notOnPath = await runAsync(["sh", script, "--prefix", "tools"], { cwd: home, env: { BLIT_DOWNLOAD_URL: `${base}/good`, PATH: toolPath() } });
    expect([notOnPath.stdout.split("\n").slice(2).join("\n"), notOnPath.stderr, notOnPath.exitCode]).toEqual([
      `installed ${bin}/blit (blit-linux-x64.tar.gz)\nnote: ${bin} is not on your PATH; add it, e.g. export PATH="${bin}:$PATH"\n`,
      "",
      0,
    ]);
    const shadowed = await runAsync(["sh", script, "--prefix", "tools"], { cwd: home, env: { BLIT_DOWNLOAD_URL: `${base}/good`, PATH: `${home}/first:${bin}:${toolPath()}` } });
    expect([shadowed.stdout.split("\n").slice(2).join("\n"), shadowed.stderr, shadowed.exitCode]).toEqual([
      `installed ${bin}/blit (blit-linux-x64.tar.gz)\nnote: ${home}/first/blit comes before it on your PATH, and is what 'blit' runs; remove it, or put ${bin} first\n`,
      "",
      0,
    ]);
    // First on PATH, however PATH spells it (a trailing slash; CDPATH, which a cd by a relative name would search): nothing more to say.
    for (const spelled of [bin, `${bin}/`]) {
      const first = await runAsync(["sh", script, "--prefix", "tools"], { cwd: home, env: { BLIT_DOWNLOAD_URL: `${base}/good`, PATH: `${spelled}:${home}/first:${toolPath()}`, CDPATH: `${home}/decoy` } });
      expect([first.stdout.split("\n").slice(2).join("\n"), first.exitCode]).toEqual([`installed ${bin}/blit (blit-linux-x64.tar.gz)\n`, 0]);
    }
  }, 30_000);

  // A Mac cannot be had here: uname says Darwin, and the archive it picks then cannot run on this Linux,
  // which is the check every install makes before it replaces anything.
  test("uses shasum -a 256 where sha256sum is missing (macOS), picks the darwin-arm64 archive on an arm64 Mac, and installs none that cannot run", async () => {
    const prefix = sandbox("prefix-mac");
    const PATH = toolPath(["sha256sum", "uname"], { uname: 'case "$1" in -s) echo Darwin ;; -m) echo arm64 ;; esac' });
    const r = await runAsync(["sh", script, `--prefix=${prefix}`], { env: { BLIT_DOWNLOAD_URL: `${base}/good`, PATH } });
    expect(r).toEqual({
      stdout: `downloading ${base}/good/blit-darwin-arm64.tar.gz\nchecksum OK: ${releaseSums().get("blit-darwin-arm64.tar.gz")}  blit-darwin-arm64.tar.gz\n`,
      stderr: "install.sh: the blit in blit-darwin-arm64.tar.gz does not run on this system; nothing was installed\n",
      exitCode: 1,
    });
    // Tried where it was to stay (the temporary directory may be noexec), then removed, with the bin directory made for it.
    expect(readdirSync(prefix)).toEqual([]);
  });

  // An Alpine-like root (busybox, musl's loader) run by chroot: musl is found by
  // its loader, also where gcompat or libc6-compat name it as glibc's; a glibc
  // loader of its own beside it means glibc (Debian with musl installed).
  const chroot = Bun.which("chroot", { PATH: "/usr/sbin:/sbin:/usr/bin:/bin" });
  const alpineMissing = !chroot ? "chroot is not installed" : !process.getuid || process.getuid() !== 0 ? "chroot needs root"
    : !existsSync("/bin/busybox") ? "busybox-static is not installed (npm run setup installs it)"
    : !existsSync("/lib/ld-musl-x86_64.so.1") ? "musl's loader is not installed (musl-tools; npm run setup installs it)" : undefined;
  test.skipIf(alpineMissing !== undefined).each([
    ["musl alone", "blit-linux-x64-musl.tar.gz", "", " (the musl build needs libstdc++; Alpine: apk add libstdc++)"],
    ["gcompat's glibc loader names, links to musl's", "blit-linux-x64-musl.tar.gz", "ln -s ld-musl-x86_64.so.1 lib/ld-linux-x86-64.so.2 && mkdir lib64 && ln -s /lib/ld-linux-x86-64.so.2 lib64/ld-linux-x86-64.so.2", " (the musl build needs libstdc++; Alpine: apk add libstdc++)"],
    ["a glibc loader of its own", "blit-linux-x64.tar.gz", "mkdir lib64 && cp /lib64/ld-linux-x86-64.so.2 lib64/", " (where the C library is musl, BLIT_LIBC=musl picks the musl build)"],
  ])("on an Alpine-like root with %s: %s is picked", async (_, asset, loaders, hint) => {
    const root = sandbox("alpine-root");
    sh(`mkdir -p bin lib tmp dev && chmod 1777 tmp && cp /bin/busybox bin/ && chroot . /bin/busybox --install -s /bin && cp /lib/ld-musl-x86_64.so.1 lib/ &&
      mknod -m 666 dev/null c 1 3 && cp ${JSON.stringify(script)} install.sh ${loaders ? `&& ${loaders}` : ""}`, root);
    const r = await runAsync([chroot!, root, "/bin/sh", "/install.sh", "--prefix", "/opt/blit"], { env: { BLIT_DOWNLOAD_URL: `${base}/good`, PATH: "/bin", BLIT_LIBC: undefined, TMPDIR: "/tmp" } });
    expect(r).toEqual({
      stdout: `downloading ${base}/good/${asset}\nchecksum OK: ${releaseSums().get(asset)}  ${asset}\n`,
      stderr: `install.sh: the blit in ${asset} does not run on this system${hint}; nothing was installed\n`,
      exitCode: 1,
    });
  });

  // Debian has musl's loader but not Alpine's libstdc++: the musl build cannot start here, as on an Alpine without it.
  test("picks the musl build where the C library is musl (BLIT_LIBC=musl, as on Alpine); one that cannot start (no libstdc++) is not installed, and a blit already there stays", async () => {
    const prefix = sandbox("prefix-musl");
    sh(`mkdir -p ${prefix}/bin && printf old > ${prefix}/bin/blit`);
    const r = await runAsync(["sh", script, "--prefix", prefix], { env: { BLIT_DOWNLOAD_URL: `${base}/good`, BLIT_LIBC: "musl", PATH: `${prefix}/bin:${toolPath()}` } });
    expect(r).toEqual({
      stdout: `downloading ${base}/good/blit-linux-x64-musl.tar.gz\nchecksum OK: ${releaseSums().get("blit-linux-x64-musl.tar.gz")}  blit-linux-x64-musl.tar.gz\n`,
      stderr: "install.sh: the blit in blit-linux-x64-musl.tar.gz does not run on this system (the musl build needs libstdc++; Alpine: apk add libstdc++); nothing was installed\n",
      exitCode: 1,
    });
    expect(readdirSync(join(prefix, "bin"))).toEqual(["blit"]);
    expect(readFileSync(join(prefix, "bin", "blit"), "utf8")).toBe("old");
  });

  test("a script cut short in the download runs nothing; HOME unset or a wrong BLIT_LIBC is said plainly", async () => {
    const prefix = sandbox("prefix-cut");
    const text = readFileSync(script, "utf8");
    const cut = text.slice(0, text.indexOf('main "$@"'));
    const r = await runAsync(["sh", "-c", cut, "sh", "--prefix", prefix], { env: { BLIT_DOWNLOAD_URL: `${base}/good`, PATH: toolPath() } });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readdirSync(prefix)).toEqual([]);
    const noHome = await runAsync(["sh", script], { env: { BLIT_DOWNLOAD_URL: `${base}/good`, PATH: toolPath(), HOME: undefined } });
    expect(noHome).toEqual({ stdout: "", stderr: "install.sh: HOME is not set: say where with --prefix DIR\n", exitCode: 1 });
    const libc = await runAsync(["sh", script, "--prefix", prefix], { env: { BLIT_DOWNLOAD_URL: `${base}/good`, PATH: toolPath(), BLIT_LIBC: "gnu" } });
    expect(libc).toEqual({ stdout: "", stderr: "install.sh: BLIT_LIBC must be glibc or musl, not 'gnu'\n", exitCode: 1 });
  });

  test("refuses a tampered archive with a clear message and installs nothing", async () => {
    const prefix = sandbox("prefix-bad");
    const before = requests.length;
    const r = await runAsync(["sh", script, "--prefix", prefix], { env: { BLIT_DOWNLOAD_URL: `${base}/tampered`, PATH: toolPath() } });
    const expected = releaseSums().get("blit-linux-x64.tar.gz");
    const actual = new Bun.CryptoHasher("sha256").update(readFileSync(join(tamperedDir, "blit-linux-x64.tar.gz"))).digest("hex");
    expect(r).toEqual({
      stdout: `downloading ${base}/tampered/blit-linux-x64.tar.gz\n`,
      stderr: `install.sh: checksum mismatch for blit-linux-x64.tar.gz: SHA256SUMS says ${expected}, the download is ${actual}; nothing was installed\n`,
      exitCode: 1,
    });
    expect(readdirSync(prefix)).toEqual([]);
    expect(requests.slice(before)).toEqual(["/tampered/SHA256SUMS", "/tampered/blit-linux-x64.tar.gz"]);
  });

  // A mirror serves one release, whatever version is asked for: the one installed must be the one asked for.
  test("--version X from a mirror installs blit X, and refuses another version with nothing installed", async () => {
    const prefix = sandbox("prefix-version");
    const env = { BLIT_DOWNLOAD_URL: `${base}/good`, PATH: toolPath() };
    const other = await runAsync(["sh", script, "--prefix", prefix, "--version", "9.9.9"], { env });
    expect(other).toEqual({
      stdout: `downloading ${base}/good/blit-linux-x64.tar.gz\nchecksum OK: ${releaseSums().get("blit-linux-x64.tar.gz")}  blit-linux-x64.tar.gz\n`,
      stderr: `install.sh: ${base}/good/blit-linux-x64.tar.gz is blit ${VERSION}, not the 9.9.9 asked for; nothing was installed\n`,
      exitCode: 1,
    });
    expect(readdirSync(prefix)).toEqual([]);
    // Below a prefix that is not there yet, each directory made is removed again.
    const deeper = await runAsync(["sh", script, "--prefix", join(prefix, "a", "b"), "--version", "9.9.9"], { env });
    expect([deeper.exitCode, readdirSync(prefix)]).toEqual([1, []]);
    const same = await runAsync(["sh", script, "--prefix", prefix, `--version=v${VERSION}`], { env });
    expect([same.stderr, same.exitCode, readdirSync(join(prefix, "bin"))]).toEqual(["", 0, ["blit"]]);
  }, 30_000);

  // The new blit is staged beside the old one while it is tried: Ctrl+C, or a terminal gone, must not leave it there.
  test.each([["SIGINT", 130], ["SIGHUP", 129], ["SIGTERM", 143]] as const)("%s while the new blit is tried: nothing left, neither the staged blit nor the temporary directory; the old blit stays", async (signal, status) => {
    const prefix = sandbox("prefix-cut-short");
    const temp = sandbox("tmpdir");
    sh(`mkdir -p ${prefix}/bin && printf old > ${prefix}/bin/blit`);
    const proc = Bun.spawn(["sh", script, "--prefix", prefix], { env: { ...process.env, BLIT_DOWNLOAD_URL: `${base}/slow`, PATH: toolPath(), TMPDIR: temp }, stdout: "pipe", stderr: "pipe" });
    for (let i = 0; i < 500 && !readdirSync(join(prefix, "bin")).some((name) => name.startsWith(".blit.install.")); i++) await Bun.sleep(10);
    expect(readdirSync(join(prefix, "bin")).length).toBe(2);
    proc.kill(signal);
    expect(await proc.exited).toBe(status);
    expect(readdirSync(join(prefix, "bin"))).toEqual(["blit"]);
    expect(readFileSync(join(prefix, "bin", "blit"), "utf8")).toBe("old");
    expect(readdirSync(temp)).toEqual([]);
  });

  testIf(tmpfsUnavailable)("a prefix this user cannot write to is said before anything is downloaded", async () => {
    const readOnly = mountTmpfs("size=1m,ro");
    const before = requests.length;
    const r = await runAsync(["sh", script, "--prefix", `${readOnly}/usr`], { env: { BLIT_DOWNLOAD_URL: `${base}/good`, PATH: toolPath() } });
    expect(r).toEqual({
      stdout: "",
      stderr: `install.sh: cannot write to ${readOnly}: run the script as root for it (curl -fsSL .../install.sh | sudo sh -s -- --prefix ${readOnly}/usr)\n`,
      exitCode: 1,
    });
    expect(requests.length).toBe(before);
  });

  test("says which asset is missing when the server has none", async () => {
    const prefix = sandbox("prefix-404");
    const r = await runAsync(["sh", script, "--prefix", prefix], { env: { BLIT_DOWNLOAD_URL: `${base}/nothing`, PATH: toolPath() } });
    expect(r.stdout).toBe(`downloading ${base}/nothing/blit-linux-x64.tar.gz\n`);
    expect(r.stderr).toBe(`curl: (22) The requested URL returned error: 404\ninstall.sh: cannot download ${base}/nothing/SHA256SUMS\n`);
    expect(r.exitCode).toBe(1);
    expect(readdirSync(prefix)).toEqual([]);
  });
});

describe("GitHub Action", () => {
  /** The action as a workflow checks it out: action.yml, action/run.sh and the pinned checksums. */
  function actionCheckout(): string {
    const dir = sandbox("action");
    copyFileSync(join(ROOT, "action.yml"), join(dir, "action.yml"));
    mkdirSync(join(dir, "action", "checksums"), { recursive: true });
    copyFileSync(join(ROOT, "action", "run.sh"), join(dir, "action", "run.sh"));
    cpSync(join(CHANNELS, "checksums"), join(dir, "action", "checksums"), { recursive: true });
    return dir;
  }

  /** A runner's environment for one step. */
  function runner(inputs: Record<string, string>, extra: Record<string, string> = {}) {
    const home = sandbox("runner");
    for (const sub of ["tool-cache", "temp", "work"]) mkdirSync(join(home, sub));
    writeFileSync(join(home, "output"), "");
    writeFileSync(join(home, "summary"), "");
    const env: Record<string, string> = {
      RUNNER_TOOL_CACHE: join(home, "tool-cache"),
      RUNNER_TEMP: join(home, "temp"),
      GITHUB_OUTPUT: join(home, "output"),
      GITHUB_STEP_SUMMARY: join(home, "summary"),
      // As on a runner: a blit that annotates by itself must not do it twice here.
      GITHUB_ACTIONS: "true",
      BLIT_RUNNER_OS: "Linux",
      BLIT_RUNNER_ARCH: "X64",
      BLIT_DOWNLOAD_BASE: `${base}/good`,
      INPUT_ARGS: "-a",
      INPUT_VERSION: "",
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
      ...extra,
    };
    return { home, work: join(home, "work"), env };
  }
  const outputs = (home: string) => readFileSync(join(home, "output"), "utf8");
  const summary = (home: string) => readFileSync(join(home, "summary"), "utf8");

  test("action.yml runs action/run.sh with the inputs, and exposes files, bytes, seconds and exit-code", () => {
    const yml = readFileSync(join(ROOT, "action.yml"), "utf8");
    expect(yml).toContain('      run: bash "$GITHUB_ACTION_PATH/action/run.sh"\n');
    for (const input of ["source", "destination", "args", "version"]) expect(yml).toContain(`        INPUT_${input.toUpperCase()}: \${{ inputs.${input} }}\n`);
    for (const output of ["files", "bytes", "seconds", "exit-code"]) expect(yml).toContain(`    value: \${{ steps.copy.outputs.${output} }}\n`);
    expect(run(["shellcheck", "-s", "bash", join(ROOT, "action", "run.sh")])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });

  test("downloads the pinned release, checks it, caches it, copies, and writes outputs and a summary", async () => {
    const action = actionCheckout();
    const { home, work, env } = runner({ source: "build", destination: "out" });
    runAsyncSetup(work);
    const before = requests.length;
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    const hash = releaseSums().get("blit-linux-x64.tar.gz");
    expect(r.stderr).toBe("");
    expect(r.stdout).toStartWith(
      `downloading ${base}/good/blit-linux-x64.tar.gz\nchecksum OK: ${hash}  blit-linux-x64.tar.gz\nblit ${VERSION} (commit `,
    );
    expect(r.stdout).toContain("\nfiles: 3\ndirectories: 2\n");
    expect(r.exitCode).toBe(0);
    expect(requests.slice(before)).toEqual(["/good/blit-linux-x64.tar.gz"]);
    expect(outputs(home)).toMatch(/^files=3\nbytes=100006\nseconds=\d+\.\d{3}\nexit-code=0\n$/);
    expect(summary(home)).toMatch(new RegExp(`^### blit: copied\n\n\\| files \\| bytes \\| errors \\| seconds \\| blit \\|\n\\| ---: \\| ---: \\| ---: \\| ---: \\| --- \\|\n\\| 3 \\| 100006 \\| 0 \\| \\d+\\.\\d{3} \\| ${VERSION.replace(/\./g, "\\.")} \\(linux-x64\\) \\|\n$`));
    expect(snapshot(join(work, "out"), { times: true })).toEqual(snapshot(join(work, "build"), { times: true }));
    // In the tool cache, marked complete with the hash it was checked against.
    const cached = join(env.RUNNER_TOOL_CACHE!, "blit", VERSION);
    expect(readdirSync(cached).sort()).toEqual(["linux-x64", "linux-x64.complete"]);
    expect(readFileSync(join(cached, "linux-x64.complete"), "utf8")).toBe(`${hash}\n`);
    expect(run(["cmp", join(cached, "linux-x64", "blit"), BLIT]).exitCode).toBe(0);

    // A second step on the same runner takes it from the cache: no download.
    const again = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env: { ...env, INPUT_DESTINATION: "again" } });
    expect(again.stderr).toBe("");
    expect(again.stdout).toStartWith(`blit ${VERSION} (blit-linux-x64.tar.gz) from the tool cache\n`);
    expect(again.exitCode).toBe(0);
    expect(requests.slice(before)).toEqual(["/good/blit-linux-x64.tar.gz"]);
  });

  test("checks with shasum -a 256 where sha256sum is missing (macOS runners)", async () => {
    const action = actionCheckout();
    const { home, work, env } = runner({ source: "build", destination: "out" }, { PATH: toolPath(["sha256sum"]) });
    runAsyncSetup(work);
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toStartWith(`downloading ${base}/good/blit-linux-x64.tar.gz\nchecksum OK: ${releaseSums().get("blit-linux-x64.tar.gz")}  blit-linux-x64.tar.gz\n`);
    expect(r.exitCode).toBe(0);
    expect(outputs(home)).toMatch(/^files=3\nbytes=100006\nseconds=\d+\.\d{3}\nexit-code=0\n$/);
  });

  test("args over several lines (a YAML block) are all passed on", async () => {
    const action = actionCheckout();
    const { work, env } = runner({ source: "build", destination: "out", args: "-aT\n--exclude=*.bin\n-v" });
    runAsyncSetup(work);
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    // -T: out is the copy itself; --exclude: no big.bin; -v: each file listed.
    expect(readdirSync(join(work, "out", "assets"))).toEqual(["a.js"]);
    expect(r.stdout).toContain("'build/index.html' -> 'out/index.html'\n");
  });

  // The outputs come from blit's --stats, which --json replaces and -q silences: 0 files would be reported.
  test.each([["--json"], ["-aq"], ["-a --quiet"], ["-a --qui"], ["--json=1"]])("args %p is refused on one line before anything is downloaded; -S q is a suffix, not -q", async (args) => {
    const action = actionCheckout();
    const { home, work, env } = runner({ source: "build", destination: "out", args });
    runAsyncSetup(work);
    const before = requests.length;
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    const option = args.split(" ").at(-1)!;
    const named = option.startsWith("--") ? option : `-q (in ${option})`;
    expect(r).toEqual({ stdout: `::error title=blit::args: ${named} is not for this step, which reads blit's --stats for its outputs and summary\n`, stderr: "", exitCode: 1 });
    expect(requests.slice(before)).toEqual([]);
    expect(existsSync(join(work, "out"))).toBe(false);
    expect(outputs(home)).toBe("");
    const suffix = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env: { ...env, INPUT_ARGS: "-a -Sq" } });
    expect([suffix.stderr, suffix.exitCode]).toEqual(["", 0]);
    expect(outputs(home)).toMatch(/^files=3\n/);
  });

  test("refuses a tampered download: an error, exit 1, nothing cached, nothing copied", async () => {
    const action = actionCheckout();
    const { home, work, env } = runner({ source: "build", destination: "out" }, { BLIT_DOWNLOAD_BASE: `${base}/tampered` });
    runAsyncSetup(work);
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    const pinned = releaseSums().get("blit-linux-x64.tar.gz");
    const actual = new Bun.CryptoHasher("sha256").update(readFileSync(join(tamperedDir, "blit-linux-x64.tar.gz"))).digest("hex");
    expect(r).toEqual({
      stdout:
        `downloading ${base}/tampered/blit-linux-x64.tar.gz\n` +
        `::error title=blit::checksum mismatch for blit-linux-x64.tar.gz: this action pins ${pinned} for blit ${VERSION}, the download is ${actual}; not run\n`,
      stderr: "",
      exitCode: 1,
    });
    expect(readdirSync(env.RUNNER_TOOL_CACHE!)).toEqual([]);
    expect(existsSync(join(work, "out"))).toBe(false);
    expect(outputs(home)).toBe("");
    expect(readdirSync(env.RUNNER_TEMP!)).toEqual([]);
  });

  // Debian has musl's loader but not Alpine's libstdc++: the musl build cannot start here, as in an Alpine container without it.
  test("in a musl container (BLIT_LIBC=musl, as Alpine is found): the musl build, cached apart; one that cannot start is said plainly", async () => {
    const action = actionCheckout();
    const { home, work, env } = runner({ source: "build", destination: "out" }, { BLIT_LIBC: "musl" });
    runAsyncSetup(work);
    const before = requests.length;
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    const hash = releaseSums().get("blit-linux-x64-musl.tar.gz");
    expect(r.stdout).toStartWith(`downloading ${base}/good/blit-linux-x64-musl.tar.gz\nchecksum OK: ${hash}  blit-linux-x64-musl.tar.gz\n`);
    expect(r.stdout).toEndWith("::error title=blit::the blit in blit-linux-x64-musl.tar.gz does not run in this container (the musl build needs libstdc++: apk add libstdc++)\n");
    expect(r.exitCode).toBe(1);
    expect(requests.slice(before)).toEqual(["/good/blit-linux-x64-musl.tar.gz"]);
    expect(readdirSync(join(env.RUNNER_TOOL_CACHE!, "blit", VERSION)).sort()).toEqual(["linux-x64-musl", "linux-x64-musl.complete"]);
    expect(existsSync(join(work, "out"))).toBe(false);
    expect(outputs(home)).toBe("");
    const wrong = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env: { ...env, BLIT_LIBC: "gnu" } });
    expect(wrong).toEqual({ stdout: "::error title=blit::BLIT_LIBC must be glibc or musl, not 'gnu'\n", stderr: "", exitCode: 1 });
  });

  test("a version it pins no checksums for is refused before any download", async () => {
    const action = actionCheckout();
    const { env, work } = runner({ source: "build", destination: "out", version: "v9.9.9" });
    const before = requests.length;
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    expect(r).toEqual({ stdout: `::error title=blit::this action pins no checksums for blit 9.9.9 (pinned: ${VERSION} )\n`, stderr: "", exitCode: 1 });
    expect(requests.length).toBe(before);
  });

  test("failed paths become annotations, ten and then a count; outputs carry blit's exit code", async () => {
    const action = actionCheckout();
    const missing = Array.from({ length: 12 }, (_, i) => `missing-${String(i + 1).padStart(2, "0")}`);
    const { home, work, env } = runner({ source: ["build", ...missing].join("\n"), destination: "out" });
    runAsyncSetup(work);
    mkdirSync(join(work, "out"));
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(missing.map((m) => `blit: cannot stat '${m}': No such file or directory\n`).join(""));
    const annotations = r.stdout.split("\n").filter((line) => line.startsWith("::error"));
    expect(annotations).toEqual([
      ...missing.slice(0, 10).map((m) => `::error file=${m},title=blit::cannot stat '${m}': No such file or directory`),
      "::error title=blit::2 more errors not annotated (12 in all; the log above has each)",
    ]);
    expect(outputs(home)).toMatch(/^files=3\nbytes=100006\nseconds=\d+\.\d{3}\nexit-code=1\n$/);
    expect(summary(home)).toStartWith("### blit: failed (exit 1)\n");
    expect(summary(home)).toContain("| 3 | 100006 | 12 |");
    expect(summary(home)).toContain("First errors:\n\n```\nblit: cannot stat 'missing-01': No such file or directory\n");
    // What could be copied was.
    expect(snapshot(join(work, "out", "build"))).toEqual(snapshot(join(work, "build")));
  });

  // The closing line blit writes to stderr with --progress (in a pipe: its
  // plain summary), --fail-fast or a signal is the summary's, not an error.
  test.each<[string, string[], string[], string]>([
    ["-a --progress", [], [], "### blit: copied\n"],
    ["-a --dry-run", [], [], "### blit: dry run, nothing written\n"],
    ["-r --fail-fast", ["missing"], ["::error file=missing,title=blit::cannot stat 'missing': No such file or directory"], "### blit: failed (exit 1)\n"],
  ])("args %p: the annotations are blit's errors alone, and the summary says what the run was", async (args, more, annotations, heading) => {
    const action = actionCheckout();
    const { home, work, env } = runner({ source: ["build", ...more].join("\n"), destination: "out", args });
    runAsyncSetup(work);
    if (more.length > 0) mkdirSync(join(work, "out"));
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    expect(r.stdout.split("\n").filter((line) => line.startsWith("::"))).toEqual(annotations);
    expect(r.exitCode).toBe(more.length > 0 ? 1 : 0);
    expect(summary(home)).toStartWith(heading);
    // The table's row: files, bytes, errors, seconds, version.
    expect(summary(home)).toMatch(new RegExp(`\\n\\| \\d+ \\| \\d+ \\| ${annotations.length} \\| \\d+\\.\\d{3} \\| `));
  });

  test("an input holding a line end cannot start a workflow command; -- in args is refused, the step's own comes before the inputs", async () => {
    const action = actionCheckout();
    const { work, env } = runner({ source: "build", destination: "out", version: "9.9\n::warning title=injected::hello" });
    runAsyncSetup(work);
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    expect(r).toEqual({ stdout: `::error title=blit::this action pins no checksums for blit 9.9%0A::warning title=injected::hello (pinned: ${VERSION} )\n`, stderr: "", exitCode: 1 });
    const dashes = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env: { ...env, INPUT_VERSION: "", INPUT_ARGS: "-a -- extra" } });
    expect(dashes).toEqual({ stdout: "::error title=blit::args: -- is not for this step, which passes the source and destination inputs after its own\n", stderr: "", exitCode: 1 });
    expect(existsSync(join(work, "out"))).toBe(false);
  });

  // blit quotes a name with an apostrophe in double quotes, and writes bytes that are not UTF-8 as $'\377'.
  test("an annotation's file is the path as blit quoted it, read as the shell reads it, with U+FFFD for bytes that are not UTF-8", async () => {
    const action = actionCheckout();
    const { work, env } = runner({ source: "build", destination: "out" });
    // Also an apostrophe beside a $ or a ", which blit writes as '...'\''...', and a control byte, written $'\a'.
    const names = ["it's", "$(printf 'bad-\\377')", "Bob's \\$5 invoice", "it's \\\"final\\\"", "$(printf 'bell\\a')"];
    run(["sh", "-c", ["mkdir -p build", ...names.map((name) => `mkdir -p "out/build/${name}" && printf x > "build/${name}"`)].join(" && ")], { cwd: work });
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    expect(r.exitCode).toBe(1);
    const annotations = r.stdout.split("\n").filter((line) => line.startsWith("::error")).sort();
    expect(annotations).toEqual([
      "::error file=out/build/Bob's $5 invoice,title=blit::cannot overwrite directory 'out/build/Bob'\\''s $5 invoice' with non-directory",
      "::error file=out/build/bad-\uFFFD,title=blit::cannot overwrite directory 'out/build/bad-'$'\\377' with non-directory",
      "::error file=out/build/bell\u0007,title=blit::cannot overwrite directory 'out/build/bell'$'\\a' with non-directory",
      `::error file=out/build/it's "final",title=blit::cannot overwrite directory 'out/build/it'\\''s "final"' with non-directory`,
      `::error file=out/build/it's,title=blit::cannot overwrite directory "out/build/it's" with non-directory`,
    ]);
  });

  test("a usage error's annotation names no file: what it quotes is an option", async () => {
    const action = actionCheckout();
    const { work, env } = runner({ source: "build", destination: "out", args: "-a --bogus" });
    runAsyncSetup(work);
    const r = await runAsync(["bash", join(action, "action", "run.sh")], { cwd: work, env });
    expect(r.exitCode).toBe(2);
    expect(r.stdout.split("\n").filter((line) => line.startsWith("::"))).toEqual(["::error title=blit::unrecognized option '--bogus'"]);
  });
});

/** The build output a workflow would copy: three files in two directories, 100006 bytes. */
function runAsyncSetup(work: string): void {
  run(["sh", "-c", "mkdir -p build/assets && printf hello > build/index.html && printf x > build/assets/a.js && head -c 100000 /dev/urandom > build/assets/big.bin"], { cwd: work });
}

describe("release workflow", () => {
  const actionlint = join(ROOT, "build", "tools", "bin", "actionlint");
  const missing = existsSync(actionlint) ? lacks("shellcheck", "actionlint checks run: steps with it") : "actionlint is not built (npm run setup builds it into build/tools/bin)";

  testIf(missing)(".github/workflows/release.yml, windows.yml, macos.yml and linux.yml pass actionlint (with shellcheck on their run: steps)", () => {
    const workflows = ["release", "windows", "macos", "linux"].map((name) => `.github/workflows/${name}.yml`);
    const r = run([actionlint, "-shellcheck=shellcheck", "-no-color", ...workflows], { cwd: ROOT });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });

  testIf(missing)("actionlint finds a broken workflow (so a pass means something)", () => {
    const dir = sandbox("actionlint");
    mkdirSync(join(dir, ".github", "workflows"), { recursive: true });
    const broken = readFileSync(join(ROOT, ".github", "workflows", "release.yml"), "utf8").replace("needs: build", "needs: biuld");
    writeFileSync(join(dir, ".github", "workflows", "release.yml"), broken);
    const r = run([actionlint, "-no-color", ".github/workflows/release.yml"], { cwd: dir });
    expect(r.stdout).toContain('job "test" needs job "biuld" which does not exist in this workflow');
    expect(r.exitCode).toBe(1);
  });

  test("tests each target on its own runner and publishes every archive with SHA256SUMS", () => {
    const yml = readFileSync(join(ROOT, ".github", "workflows", "release.yml"), "utf8");
    for (const target of TARGET_NAMES) expect(yml).toContain(`target: ${target}, asset: ${TARGETS[target].asset} }`);
    for (const runnerName of ["ubuntu-latest", "ubuntu-24.04-arm", "macos-15-intel", "macos-latest", "windows-latest"]) expect(yml).toContain(`runner: ${runnerName},`);
    expect(yml).toContain("codesign --force --sign - bin/blit");
    expect(yml).toContain('gh release create "$GITHUB_REF_NAME" dist/release/*');
    expect(yml).toContain("./node_modules/.bin/bun release/channels.ts dist/release dist/channels");
    expect(assetPath("linux-x64")).toStartWith(RELEASE);
  });
});
