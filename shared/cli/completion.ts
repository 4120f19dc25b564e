import { InvalidArgumentError, type Command, type Option } from 'commander';

/** The shells `airlift completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** What the script knows about one command, keyed by its words (`airlift bundle inspect`). */
interface CommandEntry {
  readonly path: string;
  readonly subcommands: readonly string[];
  readonly options: readonly string[];
  /** Flags whose next word is their value, so the walk does not take it for a subcommand. */
  readonly valueOptions: readonly string[];
  readonly choices: ReadonlyMap<string, readonly string[]>;
}

/** Accepts `bash` or `zsh`; anything else is a usage error (commander's argParser contract). */
export function parseCompletionShell(value: string): CompletionShell {
  const shell = COMPLETION_SHELLS.find((known) => known === value);
  if (shell === undefined)
    throw new InvalidArgumentError(`unknown shell: expected ${COMPLETION_SHELLS.join('|')}`);
  return shell;
}

function optionFlags(option: Option): string[] {
  return [option.long, option.short].filter((flag): flag is string => flag !== undefined);
}

// Through commander's Help rather than the raw arrays: hidden options and commands stay hidden, and
// the implicit --help option and help command (absent from `options`/`commands`) are included.
function collectEntries(command: Command, path: string, into: CommandEntry[]): CommandEntry[] {
  const help = command.createHelp();
  const options = help.visibleOptions(command);
  const subcommands = help.visibleCommands(command);
  const choices = new Map<string, readonly string[]>();
  for (const option of options) {
    if (option.argChoices === undefined) continue;
    for (const flag of optionFlags(option)) choices.set(flag, option.argChoices);
  }
  into.push({
    path,
    subcommands: subcommands.map((sub) => sub.name()),
    options: options.flatMap(optionFlags),
    valueOptions: options.filter((option) => option.required).flatMap(optionFlags),
    choices,
  });
  for (const sub of subcommands) collectEntries(sub, `${path} ${sub.name()}`, into);
  return into;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A shell function printing the words of the row whose key is its $1 (a command path). */
function caseFunction(name: string, rows: readonly (readonly [string, readonly string[]])[]): string {
  const arms = rows
    .filter(([, words]) => words.length > 0)
    .map(([key, words]) => `    ${shellQuote(key)}) echo ${shellQuote(words.join(' '))} ;;`);
  return [`${name}() {`, '  case "$1" in', ...arms, '  esac', '}'].join('\n');
}

/**
 * The completion function. It walks COMP_WORDS with its own 0-based counter instead of indexing it,
 * so it reads the same under zsh's bashcompinit, whose arrays may be 1-based.
 */
function completeFunction(fn: string, root: string): string {
  return `${fn}() {
  local cur='' prev='' cmd=${shellQuote(root)} word skip=0 i=0
  for word in "\${COMP_WORDS[@]}"; do
    if [ "$i" -eq "$COMP_CWORD" ]; then cur=$word; break; fi
    if [ "$i" -gt 0 ]; then
      if [ "$skip" -eq 1 ]; then
        skip=0
      else
        case "$word" in
          -*=*) ;;
          -*) case " $(${fn}_value_options "$cmd") " in *" $word "*) skip=1 ;; esac ;;
          *) case " $(${fn}_subcommands "$cmd") " in *" $word "*) cmd="$cmd $word" ;; esac ;;
        esac
      fi
    fi
    prev=$word
    i=$((i + 1))
  done
  if [ "$skip" -eq 1 ]; then
    COMPREPLY=($(compgen -W "$(${fn}_choices "$cmd $prev")" -- "$cur"))
    return 0
  fi
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$(${fn}_options "$cmd")" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(${fn}_subcommands "$cmd")" -- "$cur")) ;;
  esac
}`;
}

function bashScript(program: Command): string {
  const root = program.name();
  const fn = `_${root.replaceAll(/\W/g, '_')}`;
  const entries = collectEntries(program, root, []);
  const choiceRows = entries.flatMap((entry) =>
    [...entry.choices].map(([flag, words]) => [`${entry.path} ${flag}`, words] as const),
  );
  return [
    `# ${root} completion for bash, generated from the command tree by \`${root} completion\``,
    caseFunction(
      `${fn}_subcommands`,
      entries.map((entry) => [entry.path, entry.subcommands]),
    ),
    caseFunction(
      `${fn}_options`,
      entries.map((entry) => [entry.path, entry.options]),
    ),
    caseFunction(
      `${fn}_value_options`,
      entries.map((entry) => [entry.path, entry.valueOptions]),
    ),
    caseFunction(`${fn}_choices`, choiceRows),
    completeFunction(fn, root),
    // -o default: with no candidate of ours (a bundle path, a free value) the shell completes file names.
    `complete -o default -F ${fn} ${shellQuote(root)}`,
    '',
  ].join('\n');
}

/**
 * A completion script for `program` and every subcommand and option under it. zsh gets the bash
 * script behind zsh's own bash-completion emulation (bashcompinit): one generator, one behaviour.
 */
export function completionScript(program: Command, shell: CompletionShell): string {
  const bash = bashScript(program);
  if (shell === 'bash') return bash;
  const load = `# zsh: \`source <(${program.name()} completion zsh)\` in ~/.zshrc, after compinit`;
  return [load, 'autoload -U +X bashcompinit && bashcompinit', bash].join('\n');
}
