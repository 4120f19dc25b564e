import type { Command, Option } from 'commander';

/**
 * Flags whose variable does not follow the AIRLIFT_<FLAG> rule: --nats keeps the name it always had,
 * and `upgrade --version` (helm's chart version) must not be mistaken for airlift's own version.
 */
const ENV_NAME_EXCEPTIONS: Readonly<Record<string, string>> = {
  nats: 'AIRLIFT_NATS_URL',
  version: 'AIRLIFT_CHART_VERSION',
};

/**
 * Flags of one command that share a name with another command's flag of another meaning: `serve
 * --listen` is the dashboard's HTTP address, `upgrade --listen` the data plane's; one variable for both
 * would move the data plane wherever the dashboard was told to go.
 */
const COMMAND_ENV_NAMES: Readonly<Record<string, string>> = {
  'serve listen': 'AIRLIFT_SERVE_LISTEN',
  // AIRLIFT_CONFIG names airlift's own config file; sync's --config is charts-syncer's load-image.yaml.
  'sync config': 'AIRLIFT_SYNC_CONFIG',
};

/** The config key of an option: its long name without `--` (and without `no-` for `--no-x`). */
export function configKey(option: Option): string | undefined {
  if (option.long === undefined) return undefined;
  const name = option.long.replace(/^--/, '');
  return option.negate ? name.replace(/^no-/, '') : name;
}

/** `AIRLIFT_` and the option's config key in upper snake case: `--piece-size` is AIRLIFT_PIECE_SIZE. */
export function envName(option: Option, command?: Command): string | undefined {
  const key = configKey(option);
  if (key === undefined) return undefined;
  const own = command === undefined ? undefined : COMMAND_ENV_NAMES[`${commandPath(command)} ${key}`];
  return own ?? ENV_NAME_EXCEPTIONS[key] ?? `AIRLIFT_${key.toUpperCase().replace(/-/g, '_')}`;
}

/** The words that run `command` after the program name: `node load`; '' for the program itself. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at = command; at.parent !== null; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** Every command that runs something (has no subcommands), depth first in help order. */
export function leafCommands(command: Command): Command[] {
  if (command.commands.length === 0) return [command];
  return command.commands.flatMap((sub) => leafCommands(sub));
}

/** The options of a leaf command a config file or AIRLIFT_* variable may set, by config key (all but --help). */
export function configurableOptions(command: Command): Map<string, Option> {
  const options = new Map<string, Option>();
  for (const option of command.options) {
    const key = configKey(option);
    if (key !== undefined && key !== 'help') options.set(key, option);
  }
  return options;
}
