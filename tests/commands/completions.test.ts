// blit completions SHELL: each script is loaded into its own shell, which is
// asked what it completes; every option blit accepts must be offered.

import { describe, expect, test } from "bun:test";
import { copyArgs } from "../../src/args.ts";
import { blit, hasCommand, run } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";
import { testIf } from "../helpers/skip.ts";

const LONG = Object.keys(copyArgs).filter((name) => name.length > 1).map((name) => `--${name}`);

function script(shell: string): string {
  const r = blit(["completions", shell]);
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

describe("bash", () => {
  /** COMPREPLY for the words typed so far, the last being completed. */
  const complete = (words: string[]) => {
    const root = sandbox("complete-bash");
    const setup = `source /dev/stdin; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _blit; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = run(["bash", "-c", `mkdir -p dir-a dir-b 'dir c' && touch file-c 'file d' 'x[1]' x1 'y*' y2 && ${setup}`], { cwd: root, stdin: script("bash") });
    expect(r.stderr).toBe("");
    return r.stdout.split("\n").filter(Boolean).sort();
  };
  test.each<[string[], string[]]>([
    [["blit", "--ref"], ["--reflink"]],
    [["blit", "--reflink", "=", "a"], ["always", "auto"]],
    [["blit", "--sparse", "="], ["always", "auto", "never"]],
    [["blit", "--backup", "=", "n"], ["never", "nil", "none", "numbered"]],
    [["blit", "--pres"], ["--preserve"]],
    [["blit", "doc"], ["doctor"]],
    // The first word is doctor or a SOURCE: both are offered.
    [["blit", "d"], ["dir c", "dir-a", "dir-b", "doctor"]],
    [["blit", "file"], ["file d", "file-c"]],
    // Names are not patterns: x[1] is offered as itself, y* as itself alone.
    [["blit", "x"], ["x1", "x[1]"]],
    [["blit", "y"], ["y*", "y2"]],
    [["blit", "-t", "dir"], ["dir c", "dir-a", "dir-b"]],
    [["blit", "-a", "fi"], []],
    [["blit", "-t", "dir-"], ["dir-a", "dir-b"]],
    [["blit", "--target-directory", "=", "dir-"], ["dir-a", "dir-b"]],
  ])("%j offers %j", (words, expected) => {
    expect(complete(words)).toEqual(expected);
  });

  test("every long option is offered after --", () => {
    expect(complete(["blit", "--"])).toEqual([...LONG].sort());
  });
});

describe("zsh", () => {
  testIf(hasCommand("zsh") ? undefined : "zsh is not installed (npm run setup installs it)")("the script parses, names every option, and registers _blit", () => {
    const text = script("zsh");
    expect(run(["zsh", "-n"], { stdin: text })).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    for (const option of LONG) expect(text).toContain(`'${option}`);
    const loaded = run(["zsh", "-c", "autoload -U compinit && compinit -u -D && source /dev/stdin && print -r -- $_comps[blit]"], { stdin: text });
    expect(loaded).toEqual({ stdout: "_blit\n", stderr: "", exitCode: 0 });
  });
});

describe("fish", () => {
  const fishMissing = hasCommand("fish") ? undefined : "fish is not installed (npm run setup installs it)";
  const complete = (line: string) => {
    const r = run(["fish", "-c", `source; complete -C '${line}'`], { stdin: script("fish") });
    expect(r.stderr).toBe("");
    return r.stdout.split("\n").filter(Boolean).map((entry) => entry.split("\t")[0]!).sort();
  };
  testIf(fishMissing)("options, their values and doctor", () => {
    expect(complete("blit --ref")).toEqual(["--reflink", "--reflink="]);
    expect(complete("blit --reflink=")).toEqual(["--reflink=always", "--reflink=auto", "--reflink=never"]);
    expect(complete("blit doc")).toContain("doctor");
    expect(complete("blit --")).toEqual(expect.arrayContaining(LONG));
  });
});

describe("powershell", () => {
  // No PowerShell in Debian: the script is checked for what it must hold.
  test("registers a native completer for blit and blit.exe with every option", () => {
    const text = script("powershell");
    expect(text).toContain("Register-ArgumentCompleter -Native -CommandName blit, blit.exe -ScriptBlock {");
    for (const option of LONG) expect(text).toContain(`@('${option}', '`);
  });
});

describe("usage", () => {
  test.each([["--help"], ["-h"], ["--he"]])("%s: what it takes, exit 0, as blit doctor --help", (flag) => {
    expect(blit(["completions", flag])).toEqual({
      stdout: "Usage: blit completions bash|zsh|fish|powershell\n\nPrints the completion script for that shell (the README says where each goes).\n",
      stderr: "",
      exitCode: 0,
    });
  });

  test.each([
    [[], "blit: completions: missing shell (one of: bash, zsh, fish, powershell)"],
    [["tcsh"], "blit: completions: unknown shell 'tcsh' (one of: bash, zsh, fish, powershell)"],
    [["bash", "zsh"], "blit: completions: extra operand 'zsh'"],
  ])("%j", (args, message) => {
    expect(blit(["completions", ...args])).toEqual({ stdout: "", stderr: `${message}\nTry 'blit --help' for more information.\n`, exitCode: 2 });
  });
});
