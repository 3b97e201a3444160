// --help: the usage forms, the options table (from the citty definitions in
// args.ts, so it cannot drift from what is parsed), examples and exit codes.

import type { PathRules } from "../ffi/backend.ts";
import { copyArgs, OPTIONAL_VALUES } from "./args.ts";
import { VERSION } from "./version.ts";

const HEADER = `blit ${VERSION}: copy files and directory trees, fast and safely.

Usage:
  blit [OPTIONS] SOURCE DEST           copy SOURCE to DEST
  blit [OPTIONS] SOURCE... DIRECTORY   copy each SOURCE into DIRECTORY
  blit [OPTIONS] -t DIRECTORY SOURCE...
  blit doctor [PATH]                   what this machine and PATH support
  blit completions bash|zsh|fish|powershell   a completion script for the shell`;

/** The examples, paths written as POSIX writes them; shown in the running OS's own spelling (pathExample). */
const EXAMPLES: [command: string, what: string][] = [
  ["blit -aT build /srv/www/build", "build becomes /srv/www/build, all kept"],
  ["blit -r photos backup/", "copy photos into backup/ (backup/photos)"],
  ["blit --reflink=always vm.img vm2.img", "clone, or fail if the filesystem cannot"],
  ["blit -v -j 4 *.tar /mnt/archive/", "up to 4 workers, list each file copied"],
  ["blit doctor /mnt/archive", "which copy methods /mnt/archive has"],
];

/** A POSIX path in an example, as this OS writes it: its separator, and its sample root for an absolute one. */
function pathExample(text: string, rules: PathRules): string {
  const rooted = rules.sampleRoot !== undefined ? text.replace(/(^| |\()\/(?=\w)/g, `$1${rules.sampleRoot}`) : text;
  return rules.separator === "/" ? rooted : rooted.replace(/(?<=\w)\/(?=\w|\)| |$)/g, rules.separator);
}

const FOOTER = `Options follow GNU cp. Files are written under a temporary name and renamed
into place when complete, so a failed or interrupted copy never leaves a
partial file under its final name (--inplace writes cp's way). Existing
files are replaced atomically; a symlink in the way below DEST is replaced,
never followed. Everything is done relative to open directories: no path
length limit, and a directory swapped for a symlink during the copy cannot
lead reads or writes elsewhere (the native engine; not its fallback).

Exit status:
  0    everything was copied
  1    some files could not be copied (each reported), or a SOURCE was refused
  2    the command line was wrong (nothing was copied)
  24   everything else was copied, but some source files vanished meanwhile
  25   --max-delete: more would have been deleted than it allows, so nothing
       was; the rest was copied
  129  hung up (SIGHUP), 130 interrupted (SIGINT), 131 quit (SIGQUIT),
       143 terminated (SIGTERM): temporary files removed`;

const OPTION_COLUMN = 30;
/** Lines end before this column, as cp's and rsync's --help keep to 79 for an 80-column terminal. */
const WIDTH = 80;

/** Text broken at spaces into lines that end before WIDTH, each after the first indented to `indent`. */
function wrapped(text: string, indent: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && indent + line.length + 1 + word.length >= WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

function optionsTable(): string {
  const lines: string[] = [];
  for (const [name, def] of Object.entries(copyArgs)) {
    const aliases: readonly string[] = "alias" in def ? def.alias : [];
    const letters = (name.length === 1 ? [name, ...aliases] : aliases).map((a) => `-${a}`);
    const hint = def.type === "string" ? (OPTIONAL_VALUES.has(name) ? `[=${def.valueHint}]` : `=${def.valueHint}`) : "";
    const spelling = (name.length === 1 ? letters : [...letters, `--${name}${hint}`]).join(", ");
    const left = `  ${letters.length ? "" : "    "}${spelling}`;
    const description = wrapped(def.description, OPTION_COLUMN);
    lines.push(left.length < OPTION_COLUMN ? `${left.padEnd(OPTION_COLUMN)}${description}` : `${left}\n${" ".repeat(OPTION_COLUMN)}${description}`);
  }
  return lines.join("\n");
}

/** --help, its examples' paths spelled by the running OS's rules. */
export function helpText(rules: PathRules): string {
  const examples = EXAMPLES.map(([command, what]) => `  ${pathExample(command, rules).padEnd(37)}${pathExample(what, rules)}`).join("\n");
  return `${HEADER}\n\nOptions:\n${optionsTable()}\n\nExamples:\n${examples}\n\n${FOOTER}`;
}
