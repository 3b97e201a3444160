// The Windows backend (ffi/windows/, c/windows/blit_windows.c) through the
// release's blit.exe under Wine, on real files in a Linux sandbox (Wine's Z:
// drive is /). Every tree is checked from the Linux side: names as bytes,
// contents, times, hard links. What Wine cannot do (symlinks: Wine 8 makes no
// reparse points; block cloning) is said where it matters; the Windows-only
// paths are compiled and exercised by the workflow on a real Windows runner.

import { afterAll, describe, expect } from "bun:test";
import { closeSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { hasCommand, run, sh } from "../helpers/blit.ts";
import { mountTmpfs, tmpfsUnavailable } from "../helpers/mounts.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";
import { snapshot, tree } from "../helpers/tree.ts";
import { contractExe, holderExe, securityExe, startWine, type Wine, wineMissing, winPath } from "../helpers/wine.ts";
import { CASES } from "./windows-contract.ts";

const testWine = testIf(wineMissing);
/** Wine runs a program slowly the first time (the prefix); the deep tree takes ~15 s under Wine. */
const SLOW = 180_000;

let session: Wine | undefined;
function wine(): Wine {
  if (session === undefined) {
    // Imported here: the release module refuses to load where no release was built.
    const { unpack } = require("../release/release.ts") as typeof import("../release/release.ts");
    session = startWine((dir) => unpack("windows-x64", dir));
  }
  return session;
}
afterAll(() => session?.end());

const blit = (args: string[], options: { cwd?: string } = {}) => wine().blit(args, options);

/** Contents and types of a tree, compared between Linux-made sources and Windows-made copies. */
function shape(root: string) {
  return Object.fromEntries(Object.entries(snapshot(root)).map(([path, e]) => [path, { type: e.type, size: e.size, sha256: e.sha256 }]));
}

/** Nothing of blit's temporary files left in a directory. */
const temporaries = (dir: string) => readdirSync(dir).filter((name) => name.startsWith(".blit-"));

describe("blit.exe under Wine", () => {
  testWine("doctor reports the native Windows backend, its DLL extracted once under %LOCALAPPDATA%\\blit, nothing in %TEMP%", () => {
    const dir = sandbox("win-doctor");
    const w = wine();
    const r = w.blit(["doctor", winPath(dir)]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /^blit \S+ on win32-x64, \d+ CPUs\nbackend: windows \(native shim over ntdll\)\n {2}shim: C:\\users\\[^\\]+\\AppData\\Local\\blit\\libblit-[0-9a-f]{16}\.dll\n {2}windows: \d+\.\d+\.\d+\n {2}paths: opened relative to open directories as NT paths: no MAX_PATH limit, long-path setting not needed\n/,
    );
    // Wine's Z: drive says NTFS, without block cloning or reparse points.
    expect(r.stdout).toContain(`filesystem of '${winPath(dir)}': NTFS\n  block clone (FSCTL_DUPLICATE_EXTENTS_TO_FILE): no (the volume does not share blocks)\n`);
    expect(r.stdout).toContain("  server-side copy (FSCTL_SRV_COPYCHUNK_WRITE): no (a local volume: nothing to hand to a server)\n");
    expect(r.stdout).toContain("  symbolic links: no (the volume has no reparse points)\n");
    // Wine's drive does not say so in its flags, but makes them, as the copy finds: tried on scratch files.
    expect(r.stdout).toContain("  hard links: yes (kept (-a, --preserve=links))\n");
    expect(r.stdout).toMatch(/\n {2}sparse files: (yes \(holes kept: [^)]*\)|no \(the volume has none: holes are written out as zeros\))\n/);
    // Wine's token holds every privilege.
    expect(r.stdout).toContain("  security descriptors: yes (owner, group and DACL kept with -a, any owner, as SeRestorePrivilege is held; the SACL too, as SeSecurityPrivilege is held)\n");
    expect(r.stdout).toContain(
      "  case-sensitive names: no (names differing only by case are one here: of two such names in one source directory, the second is reported and not copied)\n",
    );
    expect(r.stdout).toEndWith(
      "method for files within this filesystem: read_write (NtReadFile/NtWriteFile): reads and writes\nacross filesystems: kernel (FSCTL_SRV_COPYCHUNK_WRITE) where it allows it, else read_write (NtReadFile/NtWriteFile): reads and writes\n",
    );
    // The DLL is a PE image for x86-64, and it is the only thing blit put in the profile.
    const users = join(w.prefix, "drive_c", "users");
    const user = readdirSync(users).find((name) => existsSync(join(users, name, "AppData", "Local", "blit")))!;
    const cache = join(users, user, "AppData", "Local", "blit");
    const dlls = readdirSync(cache);
    expect(dlls).toEqual([expect.stringMatching(/^libblit-[0-9a-f]{16}\.dll$/)]);
    expect(sh(`file -b '${join(cache, dlls[0]!)}'`)).toMatch(/^PE32\+ executable \(DLL\).*x86-64/);
    const temp = join(users, user, "AppData", "Local", "Temp");
    expect(existsSync(temp) ? readdirSync(temp).filter((name) => /\.(dll|so|tmp)$/i.test(name)) : []).toEqual([]);
    // A second run reuses it.
    const again = w.blit(["doctor", winPath(dir)]);
    expect(again.exitCode).toBe(0);
    expect(readdirSync(cache)).toEqual(dlls);
  }, SLOW);

  testWine("--help shows its examples with Windows paths", () => {
    const r = blit(["--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(
      "Examples:\n  blit -aT build D:\\srv\\www\\build      build becomes D:\\srv\\www\\build, all kept\n  blit -r photos backup\\               copy photos into backup\\ (backup\\photos)\n",
    );
    expect(r.stdout).toContain("  blit doctor D:\\mnt\\archive           which copy methods D:\\mnt\\archive has\n");
    // Each line fits an 80-column console, Windows' longer paths too.
    expect(r.stdout.split(/\r?\n/).filter((line) => line.length >= 80)).toEqual([]);
  }, SLOW);

  testWine("-r copies a tree: nested and empty directories, non-ASCII and emoji names, empty files, a 100 MiB file", () => {
    const root = sandbox("win-tree");
    sh(`mkdir -p src/sub/deeper src/empty 'src/dossier Ω' && printf hello > src/a.txt && : > src/zero && : > src/sub/deeper/empty.log &&
      printf café > 'src/café.txt' && printf emoji > 'src/dossier Ω/😀 party.txt' && printf kanji > 'src/sub/日本語.md' &&
      head -c 104857600 /dev/urandom > src/sub/big.bin && head -c 70000 /dev/urandom > 'src/sub/deeper/with space.bin'`, root);
    const r = blit(["-r", "--stats", winPath(`${root}/src`), winPath(`${root}/dst`)]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toStartWith("files: 8\ndirectories: 5\nsymlinks: 0\n");
    expect(r.stdout).toContain(`bytes: ${104857600 + 70000 + 5 + 5 + 5 + 5}\n`);
    expect(r.stdout).toContain("errors: 0\n");
    expect(r.stdout).toContain("method read_write (NtReadFile/NtWriteFile): 8\n");
    expect(r.stdout).toContain("backend: windows\n");
    expect(r.stdout).toMatch(/\nnative calls: [1-9]\d*\n/);
    expect(shape(`${root}/dst`)).toEqual(shape(`${root}/src`));
    expect(temporaries(`${root}/dst/sub`)).toEqual([]);
  }, SLOW);

  testWine("a bare drive as DEST (\"Z:\") is that drive's current directory, not its root, as cmd's copy takes it", () => {
    const root = sandbox("win-drive");
    // A name of its own: the old reading wrote it at Z:\ (Linux's /).
    const name = `blit-drive-${process.pid}-${Date.now()}`;
    sh(`mkdir -p sub/${name}.d && printf f > sub/${name} && printf t > sub/${name}.d/in`, root);
    try {
      const r = blit([`sub\\${name}`, "Z:"], { cwd: root });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      const t = blit(["-r", `sub\\${name}.d`, "-t", "Z:"], { cwd: root });
      expect(t.stderr).toBe("");
      expect(t.exitCode).toBe(0);
      expect(readFileSync(`${root}/${name}`, "utf8")).toBe("f");
      expect(readFileSync(`${root}/${name}.d/in`, "utf8")).toBe("t");
    } finally {
      const atRoot = [`/${name}`, `/${name}.d`].filter((path) => existsSync(path));
      for (const path of atRoot) rmSync(path, { recursive: true, force: true });
      expect(atRoot).toEqual([]);
    }
  }, SLOW);

  // cmd and PowerShell pass * and ? to the program, as they pass them to copy and robocopy.
  testWine("* and ? in an operand's last name are expanded as FindFirstFile matches them (letters in either case); one that matches nothing is not found", () => {
    const root = sandbox("win-wildcards");
    sh("mkdir -p sub out out2 && printf a > a.tar && printf b > B.TAR && printf c > c.txt && printf x > sub/x.tar && printf y > sub/y1.tar", root);
    expect(blit(["-v", "*.tar", "out\\"], { cwd: root })).toEqual({ stdout: "'a.tar' -> 'out\\a.tar'\n'B.TAR' -> 'out\\B.TAR'\n", stderr: "", exitCode: 0 });
    expect(blit(["sub\\?1.*", "sub/x.t?r", "out2"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readdirSync(`${root}/out2`).sort()).toEqual(["x.tar", "y1.tar"]);
    // Said as a missing file is (not as a name with a wildcard in it, "invalid").
    const missing = blit(["missing", "out"], { cwd: root }).stderr.replace("blit: cannot stat 'missing': ", "").trimEnd();
    const none = blit(["*.zip", "nodir\\*.txt", "out"], { cwd: root });
    expect(none).toEqual({ stdout: "", stderr: `blit: cannot stat '*.zip': ${missing}\nblit: cannot stat 'nodir\\*.txt': ${missing}\n`, exitCode: 1 });
  }, SLOW);

  // Any path but one taken as written loses such a name's trailing dot or space, and names x instead.
  testWine("a name a wildcard finds that ends in a dot or a space (made on Linux) is that entry: it cannot be made in DEST, said as for a tree, never x copied in its place", () => {
    const root = sandbox("win-wildcard-trailing");
    sh("mkdir src out one par && printf X > src/x && printf D > src/x. && printf S > 'src/x ' && printf D > one/y.", root);
    const r = blit(["-v", "src\\*", "out"], { cwd: root });
    expect([r.stdout, r.exitCode]).toEqual(["'src\\x' -> 'out\\x'\n", 1]);
    expect(r.stderr.split("\n").filter(Boolean).map((line) => line.replace(/: [^:]*$/, "")).sort()).toEqual(["blit: cannot create regular file 'out\\x '", "blit: cannot create regular file 'out\\x.'"]);
    expect([readdirSync(`${root}/out`), readFileSync(`${root}/out/x`, "utf8")]).toEqual([["x"], "X"]);
    // Alone, it is still found, and copied under a name Windows can hold.
    expect(blit(["one\\*", "out\\y2"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(`${root}/out/y2`, "utf8")).toBe("D");
    // --parents makes the directories an operand names: the name is refused as written, none of its path made.
    const parents = blit(["--parents", "src\\*", "par"], { cwd: root });
    expect([parents.stdout, parents.exitCode]).toEqual(["", 1]);
    expect(parents.stderr.split("\n").filter(Boolean).map((line) => line.replace(/: [^:]*$/, "")).sort()).toEqual(["blit: cannot stat 'src\\x '", "blit: cannot stat 'src\\x.'"]);
    expect(readdirSync(`${root}/par`, { recursive: true }).map(String).sort()).toEqual(["src", "src/x"]);
  }, SLOW);

  // FsRtlIsNameInExpression's DOS wildcards, which FindFirstFile (and so setargv) matches by.
  const DOS_PATTERNS: [pattern: string, matches: string[]][] = [
    ["src\\*.*", ["a.txt", "ab.txt", "README", "report.txt", "report1", "report2", "rreport1", "x.t"]],
    ["src\\report*.", ["report1", "report2"]],
    ["src\\*.", ["README", "report1", "report2", "rreport1"]],
    ["src\\report* ", ["report.txt", "report1", "report2"]],
    ["src\\README.*", ["README"]],
    ["src\\??.txt", ["a.txt", "ab.txt"]],
    ["src\\x.t?", ["x.t"]],
  ];
  testWine("DOS wildcards as FindFirstFile has them: *.* is *, a trailing . means no extension, ? may match nothing before a . or at the end", () => {
    const root = sandbox("win-dos-wildcards");
    sh("mkdir src && cd src && for f in a.txt ab.txt README report.txt report1 report2 rreport1 x.t; do printf x > $f; done", root);
    for (const [pattern, matches] of DOS_PATTERNS) {
      sh("rm -rf out && mkdir out", root);
      const r = blit([pattern, "out"], { cwd: root });
      expect([pattern, r.stderr, r.exitCode, readdirSync(`${root}/out`).sort()]).toEqual([pattern, "", 0, [...matches].sort()]);
    }
  }, SLOW);

  testWine("an operand's trailing dots and spaces are dropped, as Windows drops them: \"d\\x.\" is d\\x, never a new \"x.\"", () => {
    const root = sandbox("win-dots");
    sh("mkdir -p d src/in && printf old > d/x && printf new > f && printf other > g && printf t > src/in/t", root);
    const r = blit(["f", "d\\x."], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const n = blit(["-n", "g", "d\\x "], { cwd: root });
    expect(n.stderr).toBe("");
    expect(n.exitCode).toBe(0);
    const tree = blit(["-r", "src.", "d"], { cwd: root });
    expect(tree.stderr).toBe("");
    expect(tree.exitCode).toBe(0);
    expect(readdirSync(`${root}/d`).sort()).toEqual(["src", "x"]);
    expect(readFileSync(`${root}/d/x`, "utf8")).toBe("new");
    expect(readFileSync(`${root}/d/src/in/t`, "utf8")).toBe("t");
  }, SLOW);

  testWine("paths in the device namespace, resolved as Win32 resolves them: \\\\.\\ with '..' and '/', //./ and //?/", () => {
    const root = sandbox("win-device-paths");
    sh("mkdir sub && printf data > f", root);
    const w = winPath(root);
    const forms: [string, string][] = [
      [`\\\\.\\${w}\\sub\\..\\f`, "a"],
      ["f", `\\\\.\\${w}\\sub\\..\\b`],
      ["f", `\\\\.\\${w}/c`],
      ["f", `//./${w.replaceAll("\\", "/")}/d`],
      [`//?/${w.replaceAll("\\", "/")}/f`, "e"],
      ["f", `\\\\?\\${w}\\g`],
    ];
    for (const [src, dst] of forms) expect([src, dst, blit([src, dst], { cwd: root })]).toEqual([src, dst, { stdout: "", stderr: "", exitCode: 0 }]);
    for (const name of ["a", "b", "c", "d", "e", "g"]) expect(readFileSync(`${root}/${name}`, "utf8")).toBe("data");
  }, SLOW);

  // The NT calls would make them as files, which Explorer and most programs cannot then open or delete.
  testWine("a name Windows keeps for a device (NUL, aux.c, con) or strips (a trailing dot or space) is refused, as an operand and in a tree, and by a dry run; the rest is copied", () => {
    const root = sandbox("win-devices");
    sh("mkdir -p src/con src/d && printf a > src/aux.c && printf b > src/ok.c && printf c > src/d/x && printf c > src/con/in && printf f > f && printf t > src/trail. && printf s > 'src/d/sp '", root);
    const operand = blit(["f", "NUL"], { cwd: root });
    expect(operand.stderr).toMatch(/^blit: cannot create regular file 'NUL': \S.*\n$/);
    expect(operand.exitCode).toBe(1);
    // A dry run says so too, in the same words.
    expect(blit(["--dry-run", "f", "com1.txt"], { cwd: root })).toEqual({ stdout: "", stderr: operand.stderr.replace("'NUL'", "'com1.txt'"), exitCode: 1 });
    // With a colon, as Windows resolves NUL: to the device too; and any name with one, which names a stream of another file.
    for (const dst of ["NUL:", "con:", "LPT1:", ".\\NUL:", "nul.txt:", "src\\d\\x:y"]) {
      expect(blit(["f", dst], { cwd: root })).toEqual({ stdout: "", stderr: operand.stderr.replace("'NUL'", `'${dst}'`), exitCode: 1 });
    }
    const dry = blit(["-rv", "--dry-run", "src", "out"], { cwd: root });
    expect(dry.exitCode).toBe(1);
    expect(dry.stdout.split("\n").filter((line) => /aux|con|trail|sp /.test(line))).toEqual([]);
    const tree = blit(["-r", "src", "out"], { cwd: root });
    expect(tree.stderr.split("\n").sort()).toEqual(dry.stderr.split("\n").sort());
    // --json's reason is the message's, said by the worker that failed (not the main thread's default words).
    const events = blit(["-r", "--json", "src", "jout"], { cwd: root }).stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { type: string; message: string; reason?: string });
    const errors = events.filter((event) => event.type === "error");
    expect(errors.length).toBe(4);
    for (const error of errors) expect(error.message.endsWith(`: ${error.reason}`)).toBe(true);
    expect(tree.stderr.split("\n").map((line) => line.replace(/: [^:]*$/, "")).sort()).toEqual(["", "blit: cannot create directory 'out\\con'", "blit: cannot create regular file 'out\\aux.c'", "blit: cannot create regular file 'out\\d\\sp '", "blit: cannot create regular file 'out\\trail.'"]);
    expect(tree.exitCode).toBe(1);
    expect(readdirSync(root).sort()).toEqual(["f", "jout", "out", "src"]);
    expect(readdirSync(`${root}/out`).sort()).toEqual(["d", "ok.c"]);
    expect(readFileSync(`${root}/out/d/x`, "utf8")).toBe("c");
  }, SLOW);

  testWine("-a keeps modification and access times to Windows' 100 ns, and hard links as hard links", () => {
    const root = sandbox("win-archive");
    sh(`mkdir -p src/d && printf one > src/f && printf two > src/d/g && ln src/f src/d/f-again &&
      touch -m -d '2001-02-03 04:05:06.123456789' src/f && touch -a -d '2002-03-04 05:06:07.987654321' src/f &&
      touch -d '1999-12-31 23:59:59.5' src/d/g src/d`, root);
    const r = blit(["-a", winPath(`${root}/src`), winPath(`${root}/dst`)]);
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const ns = (path: string) => statSync(join(root, path), { bigint: true });
    // Windows keeps time in 100 ns steps: the last two digits are gone.
    expect(ns("dst/f").mtimeNs).toBe(981173106123456700n);
    expect(ns("dst/f").atimeNs).toBe(1015218367987654300n);
    expect(ns("dst/d/g").mtimeNs).toBe(946684799500000000n);
    // A directory's times come after its contents.
    expect(ns("dst/d").mtimeNs).toBe(946684799500000000n);
    expect(tree(`${root}/dst`).hardlinks).toEqual([["d/f-again", "f"]]);
    expect(shape(`${root}/dst`)).toEqual(shape(`${root}/src`));
  }, SLOW);

  // Wine keeps read-only as the Unix mode's write bits and hidden/system in
  // the user.DOSATTRIB xattr: both are read back from the Linux side.
  testWine("-a keeps read-only and hidden on files and directories; -r keeps neither, as cp -r keeps no mode", () => {
    const root = sandbox("win-attributes");
    sh(`mkdir -p src/hidden-dir && printf r > src/read-only && printf h > src/hidden && chmod 444 src/read-only &&
      setfattr -n user.DOSATTRIB -v '"0x2"' src/hidden && setfattr -n user.DOSATTRIB -v '"0x2"' src/hidden-dir`, root);
    const dosAttributes = (path: string) => sh(`getfattr --only-values -n user.DOSATTRIB '${path}' 2>/dev/null || true`, root);
    expect(blit(["-a", winPath(`${root}/src`), winPath(`${root}/archive`)])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(statSync(`${root}/archive/read-only`).mode & 0o222).toBe(0);
    expect(dosAttributes("archive/hidden")).toBe("0x2");
    expect(dosAttributes("archive/hidden-dir")).toBe("0x2");
    expect(blit(["-r", winPath(`${root}/src`), winPath(`${root}/plain`)])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(statSync(`${root}/plain/read-only`).mode & 0o200).toBe(0o200);
    expect(dosAttributes("plain/hidden")).toBe("");
    expect(dosAttributes("plain/hidden-dir")).toBe("");
  }, SLOW);

  testWine("a hidden or system file replaced without -a stays hidden or system, as cp, writing into it, leaves it; with -a it gets SOURCE's", () => {
    const root = sandbox("win-attributes-replaced");
    sh(`printf new > new && printf old > hidden && printf old > system && printf old > plain && printf old > kept &&
      setfattr -n user.DOSATTRIB -v '"0x2"' hidden && setfattr -n user.DOSATTRIB -v '"0x6"' system && setfattr -n user.DOSATTRIB -v '"0x2"' kept`, root);
    const dosAttributes = (path: string) => sh(`getfattr --only-values -n user.DOSATTRIB '${path}' 2>/dev/null || true`, root);
    for (const name of ["hidden", "system", "plain"]) expect(blit(["new", name], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(blit(["-a", "new", "kept"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(["hidden", "system", "plain", "kept"].map((name) => [name, readFileSync(`${root}/${name}`, "utf8"), Number(dosAttributes(name) || 0) & 0x6])).toEqual([
      ["hidden", "new", 0x2],
      ["system", "new", 0x6],
      ["plain", "new", 0],
      ["kept", "new", 0],
    ]);
  }, SLOW);

  // A backslash ends a directory's name as a slash does: no second separator after it.
  testWine("--itemize: DEST given with a trailing backslash gets no '/' after it", () => {
    const root = sandbox("win-itemize-slash");
    sh("mkdir -p src && printf x > src/f", root);
    const dst = `${winPath(`${root}/out`)}\\`;
    const r = blit(["-r", "--itemize", winPath(`${root}/src`), dst]);
    expect({ ...r, stdout: r.stdout.split("\n").filter(Boolean).sort() }).toEqual({ stdout: [`>f+++++++++ ${dst}f`, `cd+++++++++ ${dst}`], stderr: "", exitCode: 0 });
  }, SLOW);

  // rsync -a's quick check sets what differs on a file it leaves; so does
  // --skip-unchanged with Windows' attributes, a change of them told as p.
  testWine("--skip-unchanged gives a copy left in place SOURCE's hidden and read-only, copies one whose time differs, then finds nothing to set", () => {
    const root = sandbox("win-attributes-again");
    sh(`mkdir -p src && printf h > src/hidden && printf s > src/shown && printf r > src/read-only && printf w > src/writable && printf t > src/timed &&
      chmod 444 src/read-only && setfattr -n user.DOSATTRIB -v '"0x2"' src/hidden`, root);
    const [src, archive] = [winPath(`${root}/src`), winPath(`${root}/archive`)];
    const hidden = (path: string) => (Number.parseInt(sh(`getfattr --only-values -n user.DOSATTRIB '${path}' 2>/dev/null || echo 0`, root), 16) & 2) !== 0;
    const again = () => {
      const r = blit(["-aT", "--itemize", "--skip-unchanged", src, archive]);
      return { ...r, stdout: r.stdout.split("\n").filter(Boolean).sort() };
    };
    const at = (name: string) => `${archive}\\${name}`;
    // --itemize lists a file or directory left as it was with spaces, as rsync's -ii does.
    const allLeft = { stdout: [`.d          ${archive}/`, ...["hidden", "read-only", "shown", "timed", "writable"].map((name) => `.f          ${at(name)}`)], stderr: "", exitCode: 0 };
    expect(blit(["-a", src, archive])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(again()).toEqual(allLeft);
    sh(`setfattr -x user.DOSATTRIB archive/hidden && setfattr -n user.DOSATTRIB -v '"0x2"' archive/shown &&
      chmod 644 archive/read-only && chmod 444 archive/writable && touch -m -d '2001-02-03 04:05:06' archive/timed`, root);
    expect([hidden("archive/hidden"), hidden("archive/shown")]).toEqual([false, true]);
    expect(again()).toEqual({
      // Wine makes a DACL of the mode it keeps read-only in: that changes too. A time changed is a copy, as with rsync.
      stdout: [`.d          ${archive}/`, `.f...p..... ${at("hidden")}`, `.f...p..... ${at("shown")}`, `.f...p...a. ${at("read-only")}`, `.f...p...a. ${at("writable")}`, `>f..t...... ${at("timed")}`],
      stderr: "",
      exitCode: 0,
    });
    expect([hidden("archive/hidden"), hidden("archive/shown")]).toEqual([true, false]);
    expect([statSync(`${root}/archive/read-only`).mode & 0o222, statSync(`${root}/archive/writable`).mode & 0o200]).toEqual([0, 0o200]);
    expect(statSync(`${root}/archive/timed`, { bigint: true }).mtimeNs).toBe(statSync(`${root}/src/timed`, { bigint: true }).mtimeNs / 100n * 100n);
    expect(again()).toEqual(allLeft);
  }, SLOW);

  // Wine 8 keeps no descriptor of its own (measured with security.exe): it
  // makes a file's DACL from its Unix mode (owner, group, others; SYSTEM
  // always) and turns a DACL set into that mode; a new owner or group, and
  // the protected bit, it takes without keeping. So here the DACLs that
  // differ as modes differ are what -a can be seen to keep, read back by
  // Windows' own GetFileSecurityW; other owners are checked on Windows (the
  // workflow).
  testWine("-a and --preserve=mode keep a file's and a directory's DACL, read back as SDDL; -r gives the copy the destination's default", () => {
    const root = sandbox("win-security");
    sh("mkdir -p src/d && printf x > src/f && printf y > src/d/g", root);
    const w = wine();
    // Once more if Wine itself crashed running the reader (seen once in a few runs: "wine: Unhandled
    // page fault ... starting debugger" from security.exe, whose output was the same as ever on
    // the runs before and after): a fault of the test's tool, not of blit.exe, which is never retried.
    const security = (...args: string[]) => {
      const r = run(["wine", securityExe(), ...args], { env: w.env });
      return r.stderr.includes("wine: Unhandled page fault") ? run(["wine", securityExe(), ...args], { env: w.env }) : r;
    };
    const sddl = (path: string) => {
      const r = security("get", winPath(`${root}/${path}`));
      expect({ path, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ path, stderr: "", exitCode: 0 });
      return r.stdout.trim();
    };
    const user = /^O:(S-[\d-]+)G:/.exec(sddl("src/f"))?.[1];
    expect(user).toMatch(/^S-1-5-21-/);
    // Only the owner (and SYSTEM) may touch them: no entry for Everyone, which a new file gets here.
    for (const [path, inherit] of [["src/f", ""], ["src/d", "OICI"], ["src/d/g", ""]] as const) {
      expect(security("set", winPath(`${root}/${path}`), `D:P(A;${inherit};FA;;;${user})`).exitCode).toBe(0);
    }
    const source = { f: sddl("src/f"), d: sddl("src/d"), g: sddl("src/d/g") };
    expect(source.f).not.toContain(";;;WD)");
    expect(source.f).toContain(`(A;;FA;;;${user})`);
    expect(blit(["-a", winPath(`${root}/src`), winPath(`${root}/archive`)])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect({ f: sddl("archive/f"), d: sddl("archive/d"), g: sddl("archive/d/g") }).toEqual(source);
    expect(blit(["-r", "--preserve=mode", winPath(`${root}/src`), winPath(`${root}/modes`)])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect({ f: sddl("modes/f"), d: sddl("modes/d"), g: sddl("modes/d/g") }).toEqual(source);
    // The same seen from Linux: Wine's mode, made from the DACL, lets others nothing.
    expect(statSync(`${root}/archive/f`).mode & 0o7).toBe(0);
    expect(blit(["-r", winPath(`${root}/src`), winPath(`${root}/plain`)])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sddl("plain/f")).toContain(";;;WD)");
    expect(sddl("plain/f")).not.toBe(source.f);
    // A copy left in place whose DACL differs: --skip-unchanged sets SOURCE's again, and copies no data.
    expect(security("set", winPath(`${root}/archive/f`), `D:(A;;FA;;;${user})(A;;FR;;;WD)`).exitCode).toBe(0);
    expect(sddl("archive/f")).not.toBe(source.f);
    const again = blit(["-aT", "--stats", "--skip-unchanged", winPath(`${root}/src`), winPath(`${root}/archive`)]);
    expect([again.stderr, again.exitCode]).toEqual(["", 0]);
    expect(again.stdout).toStartWith("files: 0\n");
    expect(again.stdout).toContain("\nattributes set on unchanged: 1\n");
    expect({ f: sddl("archive/f"), d: sddl("archive/d"), g: sddl("archive/d/g") }).toEqual(source);
    // Alike now: nothing set again.
    expect(blit(["-aT", "--stats", "--skip-unchanged", winPath(`${root}/src`), winPath(`${root}/archive`)]).stdout).toContain("\nattributes set on unchanged: 0\n");
    // Ownership asked for by name: the owner is the caller's own, set without a privilege.
    const r = blit(["--preserve=ownership", winPath(`${root}/src/f`), winPath(`${root}/owned`)]);
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(sddl("owned").slice(0, sddl("owned").indexOf("D:"))).toBe(source.f.slice(0, source.f.indexOf("D:")));
  }, SLOW);

  // A volume Wine takes for FAT: Wine types a drive by the superblock of its
  // device (dosdevices\f:: -> a FAT image made by mkfs.vfat), and then says
  // FAT with no ACLs, as Windows does of a FAT stick. Its files are this
  // sandbox's (f: -> a directory), which keep times exactly: this checks
  // what blit does on a volume that says FAT, not FAT's own 2 s rounding
  // (this kernel has no vfat; fusefat, a FUSE FAT, resets a file's time as
  // it is closed and refuses the chmod Wine makes of attributes). The real
  // thing runs in .github/workflows/windows.yml on a FAT32 VHD.
  testIf(wineMissing ?? (hasCommand("mkfs.vfat") ? undefined : "mkfs.vfat is not installed (dosfstools; npm run setup installs it)"))(
    "a volume that says FAT: no descriptor to set and times 2 s apart are one, so a second --skip-unchanged run changes nothing; 3 s apart is a change",
    () => {
      const root = sandbox("win-fat");
      sh("truncate -s 8M fat.img && mkfs.vfat fat.img >/dev/null && mkdir -p volume src/d && printf one > src/f && printf two > src/d/g && touch -d '2001-02-03 04:05:07.123456789' src/f src/d/g src/d", root);
      const w = wine();
      const devices = join(w.prefix, "dosdevices");
      symlinkSync(`${root}/volume`, join(devices, "f:"));
      symlinkSync(`${root}/fat.img`, join(devices, "f::"));
      // Wine's mount manager reads the drives as it starts.
      w.restartServer();
      try {
        const doctor = blit(["doctor", "F:\\"]);
        expect(doctor.stdout).toContain("filesystem of 'F:\\': FAT\n");
        expect(doctor.stdout).toContain("  security descriptors: no (the volume keeps no ACLs: none to keep)\n");
        const src = winPath(`${root}/src`);
        const again = () => {
          const r = blit(["-aT", "--itemize", "--skip-unchanged", src, "F:\\dst"]);
          expect([r.stderr, r.exitCode]).toEqual(["", 0]);
          return r.stdout.split("\n").filter(Boolean).sort();
        };
        expect(again()).toEqual([">f+++++++++ F:\\dst\\d\\g", ">f+++++++++ F:\\dst\\f", "cd+++++++++ F:\\dst/", "cd+++++++++ F:\\dst\\d/"]);
        // Before: `.f.......ax` for each file on every run (the descriptor FAT cannot hold, set again).
        expect(again()).toEqual([".d          F:\\dst/", ".d          F:\\dst\\d/", ".f          F:\\dst\\d\\g", ".f          F:\\dst\\f"]);
        sh("touch -d '2001-02-03 04:05:08.623456789' volume/dst/f && touch -d '2001-02-03 04:05:10.2' volume/dst/d/g", root);
        expect(again()).toEqual([".d          F:\\dst/", ".d          F:\\dst\\d/", ".f          F:\\dst\\f", ">f..t...... F:\\dst\\d\\g"]);
        expect(statSync(`${root}/volume/dst/d/g`, { bigint: true }).mtimeNs).toBe(981173107123456700n);
      } finally {
        rmSync(join(devices, "f:"));
        rmSync(join(devices, "f::"));
        w.restartServer();
      }
    },
    SLOW,
  );

  // Wine reaches a file through its whole Unix path, so it stops at Linux's
  // PATH_MAX (4096 bytes; seen: STATUS_INVALID_HANDLE at level 291 of
  // 14-byte names). 400 levels of 4-byte names are 2,000 characters: far
  // beyond Windows' MAX_PATH (260), which blit never meets (every open is
  // relative to an open directory).
  testWine("a tree 400 levels deep copies whole (beyond MAX_PATH)", () => {
    const root = sandbox("win-deep");
    sh(`python3 -c "
import os
fd = os.open('src', os.O_RDONLY) if os.path.isdir('src') else (os.mkdir('src'), os.open('src', os.O_RDONLY))[1]
for i in range(400):
    os.mkdir('d%03d' % i, dir_fd=fd)
    fd = os.open('d%03d' % i, os.O_RDONLY, dir_fd=fd)
f = os.open('leaf.txt', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
os.write(f, b'the bottom')
"`, root);
    const r = blit(["-r", winPath(`${root}/src`), winPath(`${root}/dst`)]);
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const leaf = Array.from({ length: 400 }, (_, i) => `d${String(i).padStart(3, "0")}`).join("/");
    expect(`${root}/dst/${leaf}/leaf.txt`.length).toBeGreaterThan(2000);
    expect(readFileSync(`${root}/dst/${leaf}/leaf.txt`, "utf8")).toBe("the bottom");
    // An operand that long too: Windows' path rules, no MAX_PATH.
    const operand = winPath(`${root}/src/${leaf}/leaf.txt`);
    expect(operand.length).toBeGreaterThan(2000);
    expect(blit([operand, winPath(`${root}/leaf-copy`)])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(`${root}/leaf-copy`, "utf8")).toBe("the bottom");
  }, SLOW);

  testWine("an existing file is replaced in one step (a new file renamed over it), not rewritten in place", () => {
    const root = sandbox("win-replace");
    writeFileSync(`${root}/new`, "new contents");
    writeFileSync(`${root}/dst`, "old contents");
    // Another name of the old file: written in place, it would change too.
    linkSync(`${root}/dst`, `${root}/other-name`);
    const before = statSync(`${root}/dst`).ino;
    const r = blit([winPath(`${root}/new`), winPath(`${root}/dst`)]);
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(`${root}/dst`, "utf8")).toBe("new contents");
    expect(statSync(`${root}/dst`).ino).not.toBe(before);
    expect(readFileSync(`${root}/other-name`, "utf8")).toBe("old contents");
    expect(temporaries(root)).toEqual([]);
  }, SLOW);

  // Wine 8 makes no sparse files (FSCTL_SET_SPARSE succeeds without effect,
  // FSCTL_QUERY_ALLOCATED_RANGES fails): that the holes stay holes is checked
  // by the workflow on NTFS. Here: a source with holes, which goes through
  // the extent path, is copied whole and exact.
  testWine("a Linux-made file with holes is copied exact, its size and every byte", () => {
    const root = sandbox("win-sparse");
    const data = Buffer.alloc(4096, "blit");
    sh(`truncate -s 64M '${root}/src'`);
    const fd = openSync(`${root}/src`, "r+");
    for (const at of [1 << 20, 40 << 20]) writeSync(fd, data, 0, data.length, at);
    closeSync(fd);
    expect(statSync(`${root}/src`).blocks * 512).toBeLessThan(64 << 20);
    const r = blit([winPath(`${root}/src`), winPath(`${root}/dst`)]);
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(statSync(`${root}/dst`).size).toBe(64 << 20);
    expect(readFileSync(`${root}/dst`).equals(readFileSync(`${root}/src`))).toBe(true);
    expect(temporaries(root)).toEqual([]);
  }, SLOW);

  // Wine turns a SIGINT sent to it into the console's Ctrl+C event, which
  // Bun delivers to blit as SIGINT, as Windows does for Ctrl+C.
  testWine("Ctrl+C: the copy stops, exit status 130, one line saying what was copied, no temporary file left, every file there complete", async () => {
    const root = sandbox("win-ctrl-c");
    sh("mkdir src && for i in 1 2 3 4 5 6 7 8; do head -c 67108864 /dev/zero > src/f$i; done", root);
    const w = wine();
    const proc = Bun.spawn(["wine", w.exe, "-r", winPath(`${root}/src`), winPath(`${root}/dst`)], {
      env: { ...process.env, ...w.env },
      stdout: "pipe",
      stderr: "pipe",
    });
    // Signalled once a file is being written (a temporary file is there).
    while (!existsSync(`${root}/dst`) || temporaries(`${root}/dst`).length === 0) await Bun.sleep(20);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(await new Response(proc.stdout).text()).toBe("");
    expect(await new Response(proc.stderr).text()).toMatch(/^blit: interrupted by SIGINT: copied \d+ files? \(\d+ bytes\), 1 directory in [\d.:]+( s)? \([\d.]+ (B|KiB|MiB|GiB)\/s\), 0 errors; the rest was not copied\n$/);
    expect(temporaries(`${root}/dst`)).toEqual([]);
    const copied = readdirSync(`${root}/dst`);
    expect(copied.length).toBeLessThan(8);
    for (const name of copied) expect(statSync(`${root}/dst/${name}`).size).toBe(67108864);
  }, SLOW);

  testWine("a temporary file left by a run that was killed is removed by the next run into that directory", () => {
    const root = sandbox("win-leftover");
    sh("mkdir -p src dst/src && printf x > src/f && printf stale > dst/src/.blit-999999-0badc0de-0-0.tmp", root);
    expect(blit(["-r", winPath(`${root}/src`), winPath(`${root}/dst`)])).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readdirSync(`${root}/dst/src`)).toEqual(["f"]);
  }, SLOW);

  testIf(wineMissing ?? tmpfsUnavailable)("a copy that fails (disk full) leaves no partial file under its name, and the file it would replace as it was", () => {
    const src = sandbox("win-full");
    sh("head -c 4194304 /dev/urandom > big", src);
    const full = mountTmpfs("size=1m");
    writeFileSync(`${full}/kept`, "old contents");
    const r = blit([winPath(`${src}/big`), winPath(`${full}/kept`)]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^blit: error writing '${winPath(`${full}/kept`).replaceAll("\\", "\\\\")}': [^\\n]+\\n$`));
    expect(r.exitCode).toBe(1);
    expect(readFileSync(`${full}/kept`, "utf8")).toBe("old contents");
    const fresh = blit([winPath(`${src}/big`), winPath(`${full}/fresh`)]);
    expect(fresh.exitCode).toBe(1);
    expect(existsSync(`${full}/fresh`)).toBe(false);
    expect(readdirSync(full)).toEqual(["kept"]);
  }, SLOW);

  testWine("a source another program holds without sharing: one line naming it and Windows' reason, nothing written", async () => {
    const root = sandbox("win-held");
    writeFileSync(`${root}/busy`, "in use");
    const w = wine();
    const holder = Bun.spawn(["wine", holderExe(), "deny", winPath(`${root}/busy`)], { env: { ...process.env, ...w.env }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    try {
      const reader = holder.stdout.getReader();
      const first = await reader.read();
      // printf in a console program writes CRLF.
      expect(new TextDecoder().decode(first.value)).toBe("held\r\n");
      const r = w.blit([winPath(`${root}/busy`), winPath(`${root}/copy`)]);
      expect(r).toEqual({ stdout: "", stderr: `blit: cannot open '${winPath(`${root}/busy`)}' for reading: Sharing violation\n`, exitCode: 1 });
      expect(readdirSync(root)).toEqual(["busy"]);
    } finally {
      holder.stdin.end();
      await holder.exited;
    }
  }, SLOW);

  // Wine shows a Unix symlink as the file it names (Wine 8 has no reparse
  // points), so this is the rename's doing: the name is replaced, whatever it is.
  testWine("a symlink in DEST where a file goes is replaced by the copy; the file it named, outside DEST, is untouched", () => {
    const root = sandbox("win-link-out");
    sh("mkdir -p src dst outside && printf copy > src/f && printf precious > outside/f && ln -s ../outside/f dst/f", root);
    const r = blit(["-r", `${winPath(`${root}/src`)}\\.`, winPath(`${root}/dst`)]);
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(lstatSync(`${root}/dst/f`).isFile()).toBe(true);
    expect(readFileSync(`${root}/dst/f`, "utf8")).toBe("copy");
    expect(readFileSync(`${root}/outside/f`, "utf8")).toBe("precious");
  }, SLOW);

  testWine("refusals and errors: one line each naming the path, with cp's exit codes", () => {
    const root = sandbox("win-errors");
    sh("mkdir -p d/sub && printf x > f", root);
    const p = (name: string) => winPath(`${root}/${name}`);
    const cases: [args: string[], stderr: string, exitCode: number][] = [
      [[p("missing"), p("x")], `blit: cannot stat '${p("missing")}': File not found\n`, 1],
      [[p("d"), p("x")], `blit: -r not specified; omitting directory '${p("d")}'\n`, 1],
      [["-r", p("d"), p("d\\sub")], `blit: cannot copy a directory, '${p("d")}', into itself, '${p("d\\sub\\d")}'\n`, 1],
      [["-r", p("f"), p("d\\sub\\")], "", 0],
      [["--no-such-option", p("f"), p("x")], "blit: unrecognized option '--no-such-option'\nTry 'blit --help' for more information.\n", 2],
    ];
    for (const [args, stderr, exitCode] of cases) {
      expect({ args, ...blit(args) }).toEqual({ args, stdout: "", stderr, exitCode });
    }
    expect(readFileSync(`${root}/d/sub/f`, "utf8")).toBe("x");
  }, SLOW);

  testWine("operands as Windows users write them: relative, with / or \\, trailing separators, -t and -T", () => {
    const root = sandbox("win-paths");
    sh("mkdir -p src/in t1 t2 t3 && printf a > src/in/a && printf b > src/b", root);
    const cases: [args: string[], made: string][] = [
      [["-r", "src\\in", "t1\\"], "t1/in/a"],
      [["-r", "src/in/", "t2"], "t2/in/a"],
      [["-t", "t3", "src\\b"], "t3/b"],
      [["-rT", "src\\in", "t4"], "t4/a"],
      [["-r", `${winPath(root)}\\src\\b`, ".\\t5"], "t5"],
      [["-r", `\\\\?\\${winPath(root)}\\src\\in`, `\\\\?\\${winPath(root)}\\t6`], "t6/a"],
      [["src/b", `${winPath(root).slice(0, 2)}${winPath(root).slice(2).replaceAll("\\", "/")}/t7`], "t7"],
    ];
    for (const [args, made] of cases) {
      expect({ args, ...blit(args, { cwd: root }) }).toEqual({ args, stdout: "", stderr: "", exitCode: 0 });
      expect(existsSync(`${root}/${made}`)).toBe(true);
    }
    expect(readFileSync(`${root}/t4/a`, "utf8")).toBe("a");
    expect(readFileSync(`${root}/t5`, "utf8")).toBe("b");
  }, SLOW);

  // Wine looks names up ignoring case, as Windows does, over a Linux
  // directory that can hold both "A" and "a". The listing order decides
  // which of two such names is copied; the other is reported.
  testWine("names differing only by case in one Linux-made directory: one copied, the other reported on one line naming both, nothing merged or overwritten", () => {
    const root = sandbox("win-case");
    sh(`mkdir -p src/D src/d src/sub && printf upper > src/A && printf lower > src/a && printf X > src/D/x && printf y > src/d/y &&
      printf acute-upper > src/sub/ÉTÉ && printf acute-lower > src/sub/été && printf sharp > src/sub/ß && printf double > src/sub/SS &&
      printf iota-lower > src/sub/ᾳ && printf iota-capital > src/sub/ᾼ &&
      printf plain > src/sub/other`, root);
    const s = winPath(`${root}/src`);
    const d = winPath(`${root}/dst`);
    // Each pair, and the directory it is in below SOURCE and DEST.
    const pairs: [dir: string, names: [string, string]][] = [["", ["A", "a"]], ["", ["D", "d"]], ["\\sub", ["ÉTÉ", "été"]], ["\\sub", ["ᾼ", "ᾳ"]]];
    const linux = (dir: string) => dir.replaceAll("\\", "/");
    /** The line for each pair: the name found in DEST is the one copied. */
    const expectedLines = () =>
      pairs.map(([dir, names]) => {
        const there = names.filter((name) => existsSync(`${root}/dst${linux(dir)}/${name}`));
        expect({ names, there: there.length }).toEqual({ names, there: 1 });
        const [kept] = there;
        const left = names.find((name) => name !== kept)!;
        return `blit: will not overwrite just-created '${d}${dir}\\${kept}' with '${s}${dir}\\${left}': the names differ only by case, which '${d}${dir}' ignores`;
      });
    const check = (r: { stdout: string; stderr: string; exitCode: number }) => {
      expect({ stdout: r.stdout, stderr: r.stderr.split("\n").filter(Boolean).sort(), exitCode: r.exitCode }).toEqual({ stdout: "", stderr: expectedLines().sort(), exitCode: 1 });
      // Each name there holds its own source's data, never the other's; a directory only its own files.
      for (const name of ["A", "a", "sub/ÉTÉ", "sub/été", "sub/ᾼ", "sub/ᾳ"]) {
        if (existsSync(`${root}/dst/${name}`)) expect(readFileSync(`${root}/dst/${name}`, "utf8")).toBe(readFileSync(`${root}/src/${name}`, "utf8"));
      }
      const dirs = readdirSync(`${root}/dst`).filter((name) => name === "D" || name === "d");
      expect(readdirSync(`${root}/dst/${dirs[0]}`)).toEqual(readdirSync(`${root}/src/${dirs[0]}`));
      // "ß" and "SS" are two names on Windows too: both copied.
      expect(readdirSync(`${root}/dst/sub`).filter((name) => !["ÉTÉ", "été", "ᾼ", "ᾳ"].includes(name)).sort()).toEqual(["SS", "other", "ß"]);
      expect(readFileSync(`${root}/dst/sub/ß`, "utf8")).toBe("sharp");
      expect(readFileSync(`${root}/dst/sub/SS`, "utf8")).toBe("double");
      expect(temporaries(`${root}/dst`)).toEqual([]);
      expect(temporaries(`${root}/dst/sub`)).toEqual([]);
    };
    // A dry run says what the copy will say, and makes nothing.
    const dry = blit(["-r", "--dry-run", s, d]);
    expect(existsSync(`${root}/dst`)).toBe(false);
    const real = blit(["-r", s, d]);
    check(real);
    expect(dry).toEqual(real);
    const before = shape(`${root}/dst`);
    // Again into the copy, which exists now: the same answer, and nothing there changes.
    check(blit(["-rT", s, d]));
    expect(shape(`${root}/dst`)).toEqual(before);
  }, SLOW);

  // Windows finds an entry by its 8.3 short name too (Wine makes them as
  // NTFS does): a SOURCE name that is another DEST entry's short name would
  // replace that entry. Wine's short names are its own hash, asked of it here.
  testWine("a name that is another entry's 8.3 short name is refused, and that entry kept", () => {
    const root = sandbox("win-short-name");
    mkdirSync(`${root}/probe`);
    writeFileSync(`${root}/probe/Document Long Name.doc`, "");
    const listed = run(["wine", "cmd", "/c", "dir", "/x", winPath(`${root}/probe`)], { env: wine().env }).stdout;
    const short = listed.match(/ (\S+~\S+) +Document Long Name\.doc/)?.[1];
    expect(short).toMatch(/^[A-Z0-9]{1,6}~[A-Z0-9]+\.DOC$/);
    mkdirSync(`${root}/src`);
    writeFileSync(`${root}/src/Document Long Name.doc`, "precious");
    writeFileSync(`${root}/src/${short}`, "other file");
    writeFileSync(`${root}/src/notes.txt~`, "a long name with a tilde");
    const refused = (dst: string) => `blit: cannot create regular file '${winPath(`${root}/${dst}`)}\\${short}': the name is another entry's short (8.3) name in this directory\n`;
    expect(blit(["-r", winPath(`${root}/src`), winPath(`${root}/dst`)])).toEqual({ stdout: "", stderr: refused("dst"), exitCode: 1 });
    expect(readdirSync(`${root}/dst`).sort()).toEqual(["Document Long Name.doc", "notes.txt~"]);
    expect(readFileSync(`${root}/dst/Document Long Name.doc`, "utf8")).toBe("precious");
    // Into a DEST that has the long name already, SOURCE having only the short one.
    rmSync(`${root}/src/Document Long Name.doc`);
    expect(blit(["-rT", winPath(`${root}/src`), winPath(`${root}/dst`)])).toEqual({ stdout: "", stderr: refused("dst"), exitCode: 1 });
    expect(readFileSync(`${root}/dst/Document Long Name.doc`, "utf8")).toBe("precious");
    expect(temporaries(`${root}/dst`)).toEqual([]);
  }, SLOW);

  testWine("-b f F: one entry where names ignore case, refused as the same file, as -b f f is (SOURCE was renamed to its backup name)", () => {
    const root = sandbox("win-backup-case");
    writeFileSync(`${root}/f`, "source data");
    for (const args of [["-b"], ["--backup=numbered"], ["-bf"]]) {
      expect(blit([...args, "f", "F"], { cwd: root })).toEqual({ stdout: "", stderr: "blit: 'f' and 'F' are the same file\n", exitCode: 1 });
    }
    expect(blit(["-b", "f", winPath(`${root}/F`)], { cwd: root })).toEqual({ stdout: "", stderr: `blit: 'f' and '${winPath(`${root}/F`)}' are the same file\n`, exitCode: 1 });
    expect(readdirSync(root)).toEqual(["f"]);
    expect(readFileSync(`${root}/f`, "utf8")).toBe("source data");
  }, SLOW);

  testWine("numbered backups where names ignore case: D's backup is numbered above d.~1~ and never replaces it", () => {
    const root = sandbox("win-backup-numbers");
    sh("mkdir bk && echo v1 > bk/d && echo v2 > bk/s2 && echo v3 > bk/s3 && echo v4 > bk/s4", root);
    expect(blit(["--backup=numbered", "-v", "bk\\s2", "bk\\d"], { cwd: root })).toEqual({ stdout: "'bk\\s2' -> 'bk\\d' (backup: 'bk\\d.~1~')\n", stderr: "", exitCode: 0 });
    expect(blit(["--backup=numbered", "-v", "bk\\s3", "bk\\D"], { cwd: root })).toEqual({ stdout: "'bk\\s3' -> 'bk\\D' (backup: 'bk\\D.~2~')\n", stderr: "", exitCode: 0 });
    // -b's default (existing): numbered, as a numbered backup of the name is there.
    expect(blit(["-b", "-v", "bk\\s4", "bk\\D"], { cwd: root })).toEqual({ stdout: "'bk\\s4' -> 'bk\\D' (backup: 'bk\\D.~3~')\n", stderr: "", exitCode: 0 });
    const contents = Object.fromEntries(readdirSync(`${root}/bk`).filter((n) => n.toLowerCase().startsWith("d")).map((n) => [n.toLowerCase(), readFileSync(`${root}/bk/${n}`, "utf8")]));
    expect(contents).toEqual({ d: "v4\n", "d.~1~": "v1\n", "d.~2~": "v2\n", "d.~3~": "v3\n" });
  }, SLOW);

  testWine("operands whose names differ only by case, copied into one directory: the first copied, the second refused on one line, as cp refuses a name it just made", () => {
    const root = sandbox("win-case-operands");
    sh("mkdir -p x y z dst dst2 && printf first > x/Notes && printf second > y/NOTES && printf third > y/other && printf fourth > z/Notes", root);
    const p = (name: string) => winPath(`${root}/${name}`);
    const r = blit(["-t", p("dst"), p("x\\Notes"), p("y\\NOTES"), p("y\\other")]);
    expect(r).toEqual({
      stdout: "",
      stderr: `blit: will not overwrite just-created '${p("dst\\Notes")}' with '${p("y\\NOTES")}': the names differ only by case, which '${p("dst")}' ignores\n`,
      exitCode: 1,
    });
    expect(readdirSync(`${root}/dst`).sort()).toEqual(["Notes", "other"]);
    expect(readFileSync(`${root}/dst/Notes`, "utf8")).toBe("first");
    // Spelt alike, as cp says it.
    const again = blit(["-t", p("dst2"), p("x\\Notes"), p("z\\Notes")]);
    expect(again).toEqual({ stdout: "", stderr: `blit: will not overwrite just-created '${p("dst2\\Notes")}' with '${p("z\\Notes")}'\n`, exitCode: 1 });
    expect(readFileSync(`${root}/dst2/Notes`, "utf8")).toBe("first");
  }, SLOW);

  testWine("--parents: SOURCE names whose copies differ only by case are refused as operands are, the first copy kept", () => {
    const root = sandbox("win-case-parents");
    sh("mkdir -p x X y dst && printf first > x/Notes && printf second > X/NOTES && printf third > y/other", root);
    const r = blit(["--parents", "x\\Notes", "X\\NOTES", "y\\other", "dst"], { cwd: root });
    expect(r).toEqual({
      stdout: "",
      stderr: "blit: will not overwrite just-created 'dst\\x\\Notes' with 'X\\NOTES': the names differ only by case, which 'dst\\x' ignores\n",
      exitCode: 1,
    });
    expect([readdirSync(`${root}/dst`).sort(), readdirSync(`${root}/dst/x`)]).toEqual([["x", "y"], ["Notes"]]);
    expect(readFileSync(`${root}/dst/x/Notes`, "utf8")).toBe("first");
    expect(readFileSync(`${root}/dst/y/other`, "utf8")).toBe("third");
  }, SLOW);

  testWine("--parents with an absolute SOURCE: its root (drive, \\\\?\\) is not a directory made below DEST, as /etc/hosts goes to D/etc/hosts", () => {
    const root = sandbox("win-parents-root");
    sh("mkdir -p in/sub pp && printf data > in/sub/f", root);
    const rel = `${root}/in/sub/f`.slice(1).replaceAll("/", "\\");
    for (const src of [winPath(`${root}/in/sub/f`), `\\\\?\\${winPath(`${root}/in/sub/f`)}`]) {
      expect(blit(["--parents", src, "pp"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    }
    expect(readFileSync(`${root}/pp/${rel.replaceAll("\\", "/")}`, "utf8")).toBe("data");
    expect(readdirSync(`${root}/pp`)).toEqual([root.split("/")[1]!]);
  }, SLOW);

  testWine("-s with an absolute Windows SOURCE is not refused as relative (cp's rule is for relative names only)", () => {
    const root = sandbox("win-symlink-absolute");
    sh("mkdir ln && printf data > f", root);
    for (const src of [winPath(`${root}/f`), `\\\\?\\${winPath(`${root}/f`)}`]) {
      const r = blit(["-s", src, "ln\\soft"], { cwd: root });
      // Wine cannot make Windows symlinks on a Linux filesystem: its refusal, not cp's "relative symbolic links only".
      expect(r.stderr).not.toContain("can make relative symbolic links only");
      expect(r.exitCode === 0 || r.stderr === `blit: cannot create symbolic link 'ln\\soft' to '${src}': Request not supported\n`).toBe(true);
    }
    // A relative one still is, as cp refuses it.
    expect(blit(["-s", "f", "ln\\rel"], { cwd: root })).toEqual({ stdout: "", stderr: "blit: 'ln\\rel': can make relative symbolic links only in current directory\n", exitCode: 1 });
  }, SLOW);

  // 3,400 short names are two chunks of the listing (64 KiB each), and 400
  // subdirectories send the rest of it to the pool after the first
  // (CHILDREN_HELD): pairs split between chunks and workers are found too.
  testWine("names differing only by case across the chunks of a large listing: each pair found once, one of each copied", () => {
    const root = sandbox("win-case-many");
    sh(`python3 -c "
import os
os.mkdir('src')
for i in range(1500):
    for name in ('f%04d' % i, 'F%04d' % i):
        open('src/' + name, 'w').write(name)
for i in range(400):
    os.mkdir('src/d%03d' % i)
"`, root);
    const r = blit(["-r", "--stats", winPath(`${root}/src`), winPath(`${root}/dst`)]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toStartWith("files: 1500\ndirectories: 401\n");
    expect(r.stdout).toContain("errors: 1500\n");
    const lines = r.stderr.split("\n").filter(Boolean);
    expect(lines.length).toBe(1500);
    const kept = new Set(readdirSync(`${root}/dst`));
    expect(kept.size).toBe(1900);
    for (let i = 0; i < 1500; i++) {
      const names = [`f${String(i).padStart(4, "0")}`, `F${String(i).padStart(4, "0")}`];
      const there = names.filter((name) => kept.has(name));
      expect({ names, there: there.length }).toEqual({ names, there: 1 });
      expect(readFileSync(`${root}/dst/${there[0]}`, "utf8")).toBe(there[0]!);
    }
    expect(lines.every((line) => line.startsWith("blit: will not overwrite just-created ") && line.endsWith(" ignores"))).toBe(true);
  }, SLOW);

  testWine("--verify: every file flushed and read back past the cache, compared and verified; one that reads otherwise the second time fails on one line, nothing left", () => {
    const root = sandbox("win-verify");
    // Sizes off the 4 KiB sectors the read-back goes by, a 1 MiB step and an empty file.
    sh("mkdir -p src/sub && : > src/empty && printf x > src/one && head -c 3000001 /dev/urandom > src/sub/large && for i in 1 2 3; do head -c 5000 /dev/urandom > src/sub/s$i; done", root);
    const r = blit(["-a", "--verify", "--stats", winPath(`${root}/src`), winPath(`${root}/dst`)]);
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout).toStartWith("files: 6\n");
    expect(r.stdout).toContain("\nverified: 6\n");
    expect(shape(`${root}/dst`)).toEqual(shape(`${root}/src`));
    // Wine reads Linux's /proc/self/io as blit.exe's own: its counters grow between the copy and the read-back.
    mkdirSync(`${root}/out`);
    const bad = blit(["--verify", winPath("/proc/self/io"), winPath("/proc/version"), winPath(`${root}/out`)]);
    expect(bad).toEqual({ stdout: "", stderr: `blit: verification failed: '${winPath(`${root}/out/io`)}' differs from '${winPath("/proc/self/io")}'\n`, exitCode: 1 });
    expect(readdirSync(`${root}/out`)).toEqual(["version"]);
  }, SLOW);

  testWine("the portable fallback (no DLL: its cache folders are files) takes Z:\\ paths: a tree copied and listed with Windows separators, errors in the C library's words", () => {
    // A prefix of its own: blocking the DLL's folders in the shared one would send every other test to the fallback.
    const { unpack } = require("../release/release.ts") as typeof import("../release/release.ts");
    const own = startWine((dir) => unpack("windows-x64", dir));
    try {
      const users = join(own.prefix, "drive_c", "users");
      const user = readdirSync(users).find((name) => existsSync(join(users, name, "AppData", "Local")))!;
      for (const blocked of [join(users, user, "AppData", "Local", "blit"), join(users, user, "Temp", "blit-user")]) {
        rmSync(blocked, { recursive: true, force: true });
        writeFileSync(blocked, "not a folder: the DLL cannot be written here\n");
      }
      expect(own.blit(["doctor", "Z:\\"]).stdout).toContain("\nbackend: portable (Bun's node:fs; slower)\n");
      const root = sandbox("win-portable");
      sh("mkdir -p src/sub && printf hello > src/a.txt && printf deeper > src/sub/b.txt", root);
      const [s, d] = [winPath(`${root}/src`), winPath(`${root}/dst`)];
      const fallback = /^blit: warning: native copy engine unavailable \(.+\); copying with Bun's fs, which is slower and, working by path, not proof against a directory swapped for a symlink meanwhile\n/;
      const r = own.blit(["-rv", s, d]);
      expect(r.stderr).toMatch(fallback);
      expect(r.stderr.replace(fallback, "")).toBe("");
      expect([r.stdout, r.exitCode]).toEqual([`'${s}' -> '${d}'\n'${s}\\a.txt' -> '${d}\\a.txt'\n'${s}\\sub' -> '${d}\\sub'\n'${s}\\sub\\b.txt' -> '${d}\\sub\\b.txt'\n`, 0]);
      expect(shape(`${root}/dst`)).toEqual(shape(`${root}/src`));
      const missing = own.blit(["-r", winPath(`${root}/nope`), d]);
      expect([missing.stderr.replace(fallback, ""), missing.exitCode]).toEqual([`blit: cannot stat '${winPath(`${root}/nope`)}': No such file or directory\n`, 1]);
    } finally {
      own.end();
    }
  }, SLOW);

  testWine("-v lists each copy with Windows separators", () => {
    const root = sandbox("win-verbose");
    mkdirSync(`${root}/src/sub`, { recursive: true });
    writeFileSync(`${root}/src/sub/f`, "x");
    const r = blit(["-rv", winPath(`${root}/src`), winPath(`${root}/dst`)]);
    const s = winPath(`${root}/src`);
    const d = winPath(`${root}/dst`);
    expect(r).toEqual({ stdout: `'${s}' -> '${d}'\n'${s}\\sub' -> '${d}\\sub'\n'${s}\\sub\\f' -> '${d}\\sub\\f'\n`, stderr: "", exitCode: 0 });
  }, SLOW);

  testWine("a second run with --skip-unchanged --delete --exclude: nothing copied again, extras removed and listed with Windows separators", () => {
    const root = sandbox("win-again");
    mkdirSync(`${root}/src/sub`, { recursive: true });
    writeFileSync(`${root}/src/a`, "a");
    writeFileSync(`${root}/src/sub/b`, "b");
    writeFileSync(`${root}/src/x.log`, "l");
    const [s, d] = [winPath(`${root}/src`), winPath(`${root}/dst`)];
    expect(blit(["-a", s, d]).exitCode).toBe(0);
    mkdirSync(`${root}/dst/old`);
    writeFileSync(`${root}/dst/old/y`, "y");
    const r = blit(["-aTv", "--stats", "--skip-unchanged", "--delete", "--exclude=*.log", s, d]);
    expect([r.stderr, r.exitCode]).toEqual(["", 0]);
    expect(r.stdout.split("\n").filter((l) => l.startsWith("removed"))).toEqual([`removed '${d}\\old\\y'`, `removed directory '${d}\\old'`]);
    expect(r.stdout).toContain("\nunchanged: 2\n");
    expect(readdirSync(`${root}/dst`).sort()).toEqual(["a", "sub", "x.log"]);
    // With -b what goes is kept under its backup name, said with the path's own separators.
    writeFileSync(`${root}/dst/sub/z`, "z");
    const backedUp = blit(["-aTv", "--skip-unchanged", "--delete", "-b", "--exclude=*.log", s, d]);
    expect(backedUp).toEqual({ stdout: `removed '${d}\\sub\\z' (backup: '${d}\\sub\\z~')\n`, stderr: "", exitCode: 0 });
    expect(readdirSync(`${root}/dst/sub`).sort()).toEqual(["b", "z~"]);
  }, SLOW);

  testWine("-F and ': ../NAME': the rules files above SOURCE found along a Windows path (drive, backslashes), anchored lines matched from their own directory", () => {
    const root = sandbox("win-filter-above");
    sh("mkdir -p top/src/d && printf -- '- a\\n- /src/d/x\\n' > top/.rsync-filter && printf -- '- b\\n' > top/src/d/.rsync-filter && touch top/src/a top/src/b top/src/c top/src/d/a top/src/d/b top/src/d/x top/src/d/y", root);
    // The NAME's directory is cut at its last `/`, as rsync's: the part before may be a Windows path.
    // On Windows `\\` separates NAME's directories too: cut at `/` alone, the whole NAME was looked for and no rule read.
    const forms = [
      [["-F"], "f"],
      [["--filter=: ../.rsync-filter"], "rel"],
      [[`--filter=: ${winPath(`${root}/top`)}/.rsync-filter`], "abs"],
      [["--filter=: ..\\.rsync-filter"], "rel-backslash"],
      [[`--filter=: ${winPath(`${root}/top`)}\\.rsync-filter`], "abs-backslash"],
    ] as const;
    for (const [args, dst] of forms) {
      const r = blit(["-aT", ...args, "top\\src", dst], { cwd: root });
      expect([args, r]).toEqual([args, { stdout: "", stderr: "", exitCode: 0 }]);
      expect([args, readdirSync(`${root}/${dst}`, { recursive: true }).map(String).sort()]).toEqual([args, ["b", "c", "d", "d/.rsync-filter", "d/y"]]);
    }
  }, SLOW);

  testWine("--exclude and --include match letters of either case, as robocopy's /XF and /XD match names", () => {
    const root = sandbox("win-filter-case");
    sh("mkdir -p src/Sub src/keep && printf a > src/a.TXT && printf b > src/b.txt && printf c > src/c.Log && printf d > src/Sub/d && printf k > src/keep/K.txt", root);
    const r = blit(["-r", "--include=KEEP/***", "--exclude=*.txt", "--exclude=*.[l]og", "--exclude=sub/", "src", "dst"], { cwd: root });
    expect(r).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readdirSync(`${root}/dst`, { recursive: true }).map(String).sort()).toEqual(["keep", "keep/K.txt"]);
  }, SLOW);

  testWine("a per-directory NAME ending in '\\' is refused as one ending in '/'", () => {
    const root = sandbox("win-filter-name");
    sh("mkdir src && printf a > src/a", root);
    expect(blit(["-rT", "--filter=: rules\\", "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "blit: per-directory file name 'rules\\' ends in '\\'\nTry 'blit --help' for more information.\n", exitCode: 2 });
    expect(readdirSync(root)).toEqual(["src"]);
  }, SLOW);

  // As on the command line: such a line would match nothing, and --delete would remove what it was written to keep.
  testWine("a per-directory rules file holding a pattern written as a Windows path: the error names the file and line, the directory is not copied, nothing in its DEST deleted", () => {
    const root = sandbox("win-filter-perdir-backslash");
    sh("mkdir -p src/logs dst/logs && printf a > src/a && printf k > dst/logs/keep.txt && printf -- '- x\\n- logs\\\\keep.txt\\n' > src/.rules", root);
    const r = blit(["-rT", "--delete", "--filter=: .rules", "src", "dst"], { cwd: root });
    const file = "src\\.rules";
    expect(r).toEqual({
      stdout: "",
      stderr: `blit: '${file}' line 2: pattern 'logs\\keep.txt' matches nothing on Windows, whose names hold no '\\': as in rsync, '\\' escapes the character after it, and '/' separates directories ('logs/keep.txt'); 'src' not copied\n`,
      exitCode: 1,
    });
    expect(readdirSync(`${root}/dst`, { recursive: true }).map(String).sort()).toEqual(["logs", "logs/keep.txt"]);
  }, SLOW);

  // cmd's "C:\out\" reaches a program as C:\out" (a \ before the closing quote keeps it): said plainly, nothing made.
  testWine("an operand holding a '\"' (a quoted path ending in '\\') is a usage error that says why, before anything is made", () => {
    const root = sandbox("win-quote-trap");
    sh("printf x > f", root);
    const said = (operand: string) => ({
      stdout: "",
      stderr: `blit: '${operand}' holds a '"', which no Windows name can: a '\\' just before a closing quote keeps the quote ("C:\\out\\" is read as C:\\out"); leave that '\\' out\nTry 'blit --help' for more information.\n`,
      exitCode: 2,
    });
    expect(blit(["f", 'my backup"'], { cwd: root })).toEqual(said('my backup"'));
    expect(blit(["-t", 'out" f', "f"], { cwd: root })).toEqual(said('out" f'));
    expect(readdirSync(root)).toEqual(["f"]);
  }, SLOW);

  // Such an exclude would match nothing, and --delete would remove what it was written to keep.
  testWine("a pattern written as a Windows path (logs\\keep.txt) is refused before anything is copied or deleted; '\\' before a wildcard still escapes it", () => {
    const root = sandbox("win-filter-backslash");
    sh("mkdir -p src/logs dst/logs && printf a > src/a && printf k > dst/logs/keep.txt && printf 'x\\nlogs\\\\keep.txt\\n' > rules", root);
    const usage = (message: string) => ({ stdout: "", stderr: `blit: ${message}\nTry 'blit --help' for more information.\n`, exitCode: 2 });
    const said = (pattern: string, where: string, slashed: string) =>
      usage(`pattern '${pattern}'${where} matches nothing on Windows, whose names hold no '\\': as in rsync, '\\' escapes the character after it, and '/' separates directories ('${slashed}')`);
    expect(blit(["-rT", "--delete", "--exclude=logs\\keep.txt", "src", "dst"], { cwd: root })).toEqual(said("logs\\keep.txt", "", "logs/keep.txt"));
    expect(blit(["-rT", "--delete", "--filter=- logs\\", "src", "dst"], { cwd: root })).toEqual(said("logs\\", "", "logs/"));
    expect(blit(["-rT", "--delete", "--exclude-from=rules", "src", "dst"], { cwd: root })).toEqual(said("logs\\keep.txt", " in 'rules'", "logs/keep.txt"));
    expect(readdirSync(`${root}/dst`, { recursive: true }).map(String).sort()).toEqual(["logs", "logs/keep.txt"]);
    // An escaped wildcard is a pattern of its own, as rsync reads it; the path written with '/' keeps the file.
    expect(blit(["-rT", "--delete", "--exclude=logs/keep.txt", "--exclude=\\*", "src", "dst"], { cwd: root })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readdirSync(`${root}/dst`, { recursive: true }).map(String).sort()).toEqual(["a", "logs", "logs/keep.txt"]);
  }, SLOW);
});

// The contract suite's cases (tests/ffi/contract.test.ts runs them in-process
// for Linux and the portable backend) cannot run in this Linux process for
// Windows: windows-contract.ts is compiled into a Windows executable that
// runs them inside Wine against the very DLL blit.exe extracted, one JSON
// line per case.
describe("the backend contract inside Windows (contract.exe under Wine)", () => {
  // Run once, while the tests are collected: a case the machine cannot run
  // (symlinks under Wine 8) is then skipped with its reason.
  const results = new Map<string, { error?: string; skipped?: string }>();
  if (wineMissing === undefined) {
    const w = wine();
    const home = sandbox("win-contract-home");
    const doctor = w.blit(["doctor", winPath(home)]);
    const shim = /^ {2}shim: (.+)$/m.exec(doctor.stdout)?.[1];
    if (shim === undefined) throw new Error(`blit.exe doctor named no shim: ${doctor.stdout}${doctor.stderr}`);
    const root = sandbox("win-contract");
    const r = run(["wine", contractExe(), shim, winPath(root)], { env: w.env, timeout: SLOW });
    if (r.exitCode !== 0) throw new Error(`contract.exe failed (${r.exitCode}): ${r.stderr}`);
    for (const line of r.stdout.trim().split("\n")) {
      const { name, ...result } = JSON.parse(line) as { name: string; error?: string; skipped?: string };
      results.set(name, result);
    }
  }

  for (const [name] of CASES) {
    testIf(wineMissing ?? results.get(name)?.skipped)(name, () => {
      expect(results.get(name)).toEqual({});
    });
  }
});
