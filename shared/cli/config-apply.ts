import type { EventEmitter } from 'node:events';
import { Help, Option, type Command } from 'commander';
import { ConfigInvalidError } from '../errors/index.js';
import { ConfigFile, DEFAULT_CONFIG_FILE } from './config-file.js';
import { configKey, configurableOptions, envName } from './option-keys.js';
import { OptionValueProblem, optionValue } from './option-value.js';

/** The program option naming the config file. */
export const CONFIG_OPTION = '--config';

/** `--config FILE` for the program. */
export function configOption(): Option {
  return new Option(
    `${CONFIG_OPTION} <file>`,
    `read flag values from this YAML file (env: AIRLIFT_CONFIG; default ${DEFAULT_CONFIG_FILE} when it exists)`,
  );
}

/** Where settings come from besides the command line: the environment, and the default config file. */
export interface SettingsSources {
  readonly env: NodeJS.ProcessEnv;
  readonly defaultConfigFile: string;
}

/**
 * The config file this run reads: --config, else AIRLIFT_CONFIG (either must exist), else the
 * default file if it exists.
 */
export async function readConfig(
  program: Command,
  sources: SettingsSources,
): Promise<ConfigFile | undefined> {
  const given = (program.opts<{ config?: string }>().config ?? sources.env.AIRLIFT_CONFIG) || undefined;
  return ConfigFile.read(given ?? sources.defaultConfigFile, program, given !== undefined);
}

/**
 * Gives `command` (a leaf, before it parses its arguments) its values from the config file and the
 * AIRLIFT_* environment, each through the option's own parser. Precedence: command line > environment
 * > config section of the command > config top level > default. commander lets a command-line value
 * replace an 'env' or 'config' one; for a repeatable flag the value is reset first, so the command
 * line's list replaces the file's instead of adding to it.
 */
export function applySettings(
  command: Command,
  config: ConfigFile | undefined,
  env: NodeJS.ProcessEnv,
): void {
  const before = new Map<Option, { value: unknown; source: string | undefined }>();
  const set = (option: Option, value: unknown, source: 'config' | 'env'): void => {
    const key = option.attributeName();
    if (!before.has(option))
      before.set(option, { value: command.getOptionValue(key), source: command.getOptionValueSource(key) });
    command.setOptionValueWithSource(key, value, source);
  };
  for (const { option, value } of config?.settingsFor(command) ?? []) set(option, value, 'config');
  for (const option of configurableOptions(command).values()) {
    const name = envName(option, command);
    const text = name === undefined ? undefined : env[name];
    if (name === undefined || text === undefined || text === '') continue;
    try {
      set(option, optionValue(option, text), 'env');
    } catch (err) {
      if (err instanceof OptionValueProblem) throw new ConfigInvalidError('environment', name, err.message);
      throw err;
    }
  }
  for (const [option, { value, source }] of before) {
    (command as unknown as EventEmitter).prependListener(`option:${option.name()}`, () => {
      const key = option.attributeName();
      if (command.getOptionValueSource(key) === 'config' || command.getOptionValueSource(key) === 'env')
        command.setOptionValueWithSource(key, value, source);
    });
  }
}

/** Whether the command line asks for help (commander keeps it as rawArgs, untyped). */
function helpAsked(program: Command): boolean {
  const { rawArgs } = program as unknown as { rawArgs: readonly string[] };
  return rawArgs.some((arg) => arg === '--help' || arg === '-h');
}

/**
 * Wires the config file and environment into every command of `program`: each group applies them to
 * the leaf it dispatches to, just before the leaf parses. A bad file or variable is a usage error
 * (exit 2) naming the file and key path, or the variable.
 */
export function installSettings(program: Command, sources: SettingsSources): void {
  let config: Promise<ConfigFile | undefined> | undefined;
  const groups = (command: Command): Command[] =>
    command.commands.length === 0 ? [] : [command, ...command.commands.flatMap(groups)];
  for (const group of groups(program)) {
    group.hook('preSubcommand', async (_group, sub) => {
      // A leaf's --help must work even while the file that would configure it is broken.
      if (sub.commands.length > 0 || helpAsked(program)) return;
      try {
        config ??= readConfig(program, sources);
        applySettings(sub, await config, sources.env);
      } catch (err) {
        if (!(err instanceof ConfigInvalidError)) throw err;
        sub.error(`error: ${err.message}`, { exitCode: 2, code: 'airlift.config' });
      }
    });
  }
}

/**
 * Help that says, for every option of every command, that it is required and which AIRLIFT_*
 * variable sets it (commander's Option.env() is not used: it reads switches by presence, not value).
 */
export function configureOptionHelp(command: Command): void {
  const isLeaf = command.commands.length === 0;
  command.configureHelp({
    optionDescription(option: Option): string {
      const base = Help.prototype.optionDescription.call(this, option);
      const required = option.mandatory ? ' (required)' : '';
      const env =
        isLeaf && configurableOptions(command).has(configKey(option) ?? '')
          ? ` (env: ${envName(option, command) ?? ''})`
          : '';
      return `${base}${required}${env}`;
    },
  });
  command.commands.forEach(configureOptionHelp);
}
