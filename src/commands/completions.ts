// `blit completions bash|zsh|fish|powershell`: a completion script for the
// shell, generated from the option table (src/args.ts), so it cannot drift
// from what blit accepts: every option, the values of those that take a
// word from a list, the `doctor` command, and file names everywhere else.

import { loadBackend } from "../../ffi/index.ts";
import { copyArgs, OPTIONAL_VALUES } from "../args.ts";
import { ExitCode } from "../exit-codes.ts";
import { say, writeStdoutThrough } from "../log.ts";
import { quoteArgument } from "../quote.ts";
import { usageFailure } from "./copy.ts";

const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;
type Shell = (typeof SHELLS)[number];

/** The words an option's value is one of (cp's argmatch lists). */
const CHOICES: Partial<Record<keyof typeof copyArgs, readonly string[]>> = {
  reflink: ["auto", "always", "never"],
  sparse: ["auto", "always", "never"],
  update: ["all", "none", "none-fail", "older"],
  backup: ["none", "off", "simple", "never", "existing", "nil", "numbered", "t"],
  preserve: ["mode", "ownership", "timestamps", "links", "context", "xattr", "all"],
  "no-preserve": ["mode", "ownership", "timestamps", "links", "context", "xattr", "all"],
};

interface Option {
  long: string | undefined;
  letters: string[];
  takesValue: boolean;
  optionalValue: boolean;
  choices: readonly string[] | undefined;
  /** Its value is a directory (-t). */
  directory: boolean;
  description: string;
}

function options(): Option[] {
  return Object.entries(copyArgs).map(([name, def]) => {
    const aliases: readonly string[] = "alias" in def ? def.alias : [];
    const single = name.length === 1;
    return {
      long: single ? undefined : name,
      letters: single ? [name, ...aliases] : [...aliases],
      takesValue: def.type === "string",
      optionalValue: OPTIONAL_VALUES.has(name),
      choices: CHOICES[name as keyof typeof copyArgs],
      directory: name === "target-directory",
      description: def.description,
    };
  });
}

function bash(all: Option[]): string {
  const words = all.flatMap((o) => [...o.letters.map((l) => `-${l}`), ...(o.long ? [`--${o.long}`] : [])]);
  const choiceCases = all
    .filter((o) => o.choices)
    .map((o) => `      --${o.long}) COMPREPLY=($(compgen -W "${o.choices!.join(" ")}" -- "$value")); return ;;`)
    .join("\n");
  return `# blit completion for bash. Load it with: eval "$(blit completions bash)"
# or save it as ~/.local/share/bash-completion/completions/blit

# COMPREPLY from compgen's lines, each name whole (spaces) and not taken as
# a pattern; quoted as file names where bash can (compopt: bash 4 and later).
_blit_names() {
  local name
  COMPREPLY=()
  while IFS= read -r name; do COMPREPLY+=("$name"); done
  compopt -o filenames 2>/dev/null
}
_blit() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local option="" value=""
  # bash splits --reflink=al into "--reflink" "=" "al".
  if [ "$cur" = "=" ]; then
    option=$prev value=""
  elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ]; then
    option=\${COMP_WORDS[COMP_CWORD-2]} value=$cur
  fi
  if [ -n "$option" ]; then
    case "$option" in
${choiceCases}
      --target-directory) _blit_names < <(compgen -d -- "$value"); return ;;
    esac
    return
  fi
  case "$prev" in
    -t) _blit_names < <(compgen -d -- "$cur"); return ;;
    -S|-j) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "${words.join(" ")}" -- "$cur"))
    return
  fi
  # doctor, or the file a first SOURCE names (-o default offers files only
  # where nothing matched). bash 3.2 (macOS's) cannot quote them (no
  # compopt): doctor alone there, and -o default's files where it does not match.
  if [ "$COMP_CWORD" -eq 1 ]; then
    if type compopt >/dev/null 2>&1; then
      _blit_names < <(compgen -W "doctor" -- "$cur"; compgen -f -- "$cur")
    else
      COMPREPLY=($(compgen -W "doctor" -- "$cur"))
    fi
  fi
}
complete -o default -o bashdefault -F _blit blit
`;
}

/** A description inside zsh's [...] and single quotes. */
const zshText = (text: string) => text.replace(/([[\]:\\])/g, "\\$1").replace(/'/g, "'\\''");

function zsh(all: Option[]): string {
  const specs = all.flatMap((o) => {
    const help = `[${zshText(o.description)}]`;
    const value = !o.takesValue ? "" : o.choices ? `:${o.long}:(${o.choices.join(" ")})` : o.directory ? ":directory:_files -/" : `:${o.long ?? "value"}: `;
    const longSpec = o.long ? `--${o.long}${o.takesValue ? (o.optionalValue ? "=-" : "=") : ""}` : undefined;
    // One-letter forms take no value where the long form's is optional (-u, -b, -Z), as cp's.
    const letterSpecs = o.letters.map((l) => `-${l}${o.takesValue && !o.optionalValue ? "+" : ""}`);
    const letterValue = o.takesValue && !o.optionalValue ? value : "";
    return [
      ...letterSpecs.map((spec) => `    '${spec}${help}${letterValue}'`),
      ...(longSpec ? [`    '${longSpec}${help}${value}'`] : []),
    ];
  });
  return `#compdef blit
# blit completion for zsh. Save it as _blit in a directory on $fpath,
# or load it with: source <(blit completions zsh)
_blit() {
  _arguments -s -S \\
${specs.join(" \\\n")} \\
    '1: :->first' \\
    '*:file:_files'
  if [[ $state == first ]]; then
    _alternative 'commands:command:(doctor)' 'files:file:_files'
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _blit "$@"
else
  compdef _blit blit
fi
`;
}

/** A description inside fish's single quotes. */
const fishText = (text: string) => text.replace(/\\/g, "\\\\").replace(/'/g, "\\'");

function fish(all: Option[]): string {
  const lines = all.map((o) => {
    const parts = ["complete -c blit"];
    for (const l of o.letters) parts.push(`-s ${l}`);
    if (o.long) parts.push(`-l ${o.long}`);
    if (o.takesValue) parts.push(o.optionalValue ? "" : "-r");
    if (o.choices) parts.push(`-f -a '${o.choices.join(" ")}'`);
    if (o.directory) parts.push("-f -a '(__fish_complete_directories)'");
    parts.push(`-d '${fishText(o.description)}'`);
    return parts.filter(Boolean).join(" ");
  });
  return `# blit completion for fish. Save it as ~/.config/fish/completions/blit.fish
# or load it with: blit completions fish | source
complete -c blit -n __fish_is_first_arg -a doctor -d 'Show what this machine and a filesystem support'
${lines.join("\n")}
`;
}

/** A text inside PowerShell's single quotes. */
const psText = (text: string) => text.replace(/'/g, "''");

function powershell(all: Option[]): string {
  const entries = all.flatMap((o) => [
    ...(o.long ? [`--${o.long}`] : []),
    ...o.letters.map((l) => `-${l}`),
  ].map((word) => `    @('${word}', '${psText(o.description)}')`));
  return `# blit completion for PowerShell. Add to your profile:
#   blit completions powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName blit, blit.exe -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $options = @(
${entries.join(",\n")}
  )
  if ($wordToComplete -like '-*') {
    foreach ($o in $options) {
      if ($o[0] -like "$wordToComplete*") {
        [System.Management.Automation.CompletionResult]::new($o[0], $o[0], 'ParameterName', $o[1])
      }
    }
  } elseif ($commandAst.CommandElements.Count -le 2 -and 'doctor' -like "$wordToComplete*") {
    [System.Management.Automation.CompletionResult]::new('doctor', 'doctor', 'Command', 'Show what this machine and a filesystem support')
  }
}
`;
}

const GENERATORS: Record<Shell, (all: Option[]) => string> = { bash, zsh, fish, powershell };

/** Whether `arg` asks for help: -h, --help, or a prefix of it as getopt_long allows (--he). */
const asksForHelp = (arg: string) => arg === "-h" || (arg.length > 2 && "--help".startsWith(arg));

export async function runCompletions(argv: string[]): Promise<number> {
  const [shell, extra] = argv;
  if (shell !== undefined && asksForHelp(shell)) {
    say(`Usage: blit completions ${SHELLS.join("|")}\n\nPrints the completion script for that shell (the README says where each goes).`);
    return ExitCode.ok;
  }
  if (shell === undefined) return usageFailure(`completions: missing shell (one of: ${SHELLS.join(", ")})`);
  if (!SHELLS.includes(shell as Shell)) return usageFailure(`completions: unknown shell ${quoteArgument(shell)} (one of: ${SHELLS.join(", ")})`);
  if (extra !== undefined) return usageFailure(`completions: extra operand ${quoteArgument(extra)}`);
  // Through the backend's writes: a closed or full stdout is a write error, as for a copy.
  writeStdoutThrough((await loadBackend()).backend);
  say(GENERATORS[shell as Shell](options()).trimEnd());
  return ExitCode.ok;
}
