import { readFile } from 'node:fs/promises';
import type { Command, Option } from 'commander';
import { parse } from 'yaml';
import { ConfigInvalidError } from '../errors/index.js';
import { commandPath, configurableOptions, leafCommands } from './option-keys.js';
import { nearest } from './nearest.js';
import { OptionValueProblem, optionValue, type RawValue } from './option-value.js';

/** Where the config file is read from unless --config or AIRLIFT_CONFIG name another. */
export const DEFAULT_CONFIG_FILE = '/etc/airlift/airlift.yaml';

/** One option's value from the config file, already parsed as the command line would parse it. */
export interface ConfigValue {
  readonly option: Option;
  readonly value: unknown;
  /** Where it came from: `piece-size` (top level) or `upgrade.piece-size` (the command's section). */
  readonly keyPath: string;
}

/**
 * A checked config file: top-level keys are long flag names (`piece-size: 4MiB`) for every command
 * that has the flag; a key naming a command path (`upgrade:`, `node load:`) holds a section of that
 * command's flags, which wins over the top level. Every key and value of the whole file is checked
 * against the command tree when it is read, whichever command runs.
 */
export class ConfigFile {
  private readonly leaves: ReadonlyMap<string, Command>;

  private constructor(
    readonly path: string,
    private readonly document: Readonly<Record<string, unknown>>,
    program: Command,
  ) {
    const leaves = new Map(leafCommands(program).map((leaf) => [commandPath(leaf), leaf]));
    this.leaves = leaves;
    const flagKeys = new Set([...leaves.values()].flatMap((leaf) => [...configurableOptions(leaf).keys()]));
    for (const key of Object.keys(document)) {
      if (leaves.has(key) || flagKeys.has(key)) continue;
      throw this.problem(key, `unknown key${suggestion(key, [...flagKeys, ...leaves.keys()])}`);
    }
    for (const [path, leaf] of leaves) this.sectionValues(leaf, path);
  }

  /** Reads and checks `path`; a missing file is no config (undefined) unless `required`. */
  static async read(path: string, program: Command, required: boolean): Promise<ConfigFile | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ConfigInvalidError(path, '', `cannot read the config file (${(err as Error).message})`, err);
    }
    let document: unknown;
    try {
      document = parse(text);
    } catch (err) {
      throw new ConfigInvalidError(path, '', `is not valid YAML: ${(err as Error).message}`, err);
    }
    if (document === null || document === undefined) document = {};
    if (!isMapping(document))
      throw new ConfigInvalidError(
        path,
        '',
        'must be a mapping of flag names (and command sections) to values',
      );
    return new ConfigFile(path, document, program);
  }

  /**
   * The values the file sets for `command` (a leaf), section keys over top-level ones. Top-level
   * values are checked here, for the command that runs: one key may suit one command's flag and not
   * another's (`output: yaml` suits `status`, not `upgrade`).
   */
  settingsFor(command: Command): readonly ConfigValue[] {
    const path = commandPath(command);
    if (this.leaves.get(path) !== command) return [];
    const options = configurableOptions(command);
    const chosen = new Map<string, ConfigValue>();
    for (const [key, raw] of Object.entries(this.document)) {
      const option = options.get(key);
      if (option !== undefined && key !== path) chosen.set(key, this.value(option, raw, key));
    }
    for (const value of this.sectionValues(command, path)) chosen.set(configKeyOf(value), value);
    return [...chosen.values()];
  }

  /** The values of `path`'s section, each checked (whichever command runs). */
  private sectionValues(leaf: Command, path: string): ConfigValue[] {
    const options = configurableOptions(leaf);
    const chosen: ConfigValue[] = [];
    const section = this.document[path];
    if (section === undefined || section === null) return chosen;
    if (!isMapping(section)) throw this.problem(path, `must be a mapping of ${path}'s flags to values`);
    for (const [key, raw] of Object.entries(section)) {
      const option = options.get(key);
      const keyPath = `${path}.${key}`;
      if (option === undefined)
        throw this.problem(keyPath, `${path} has no flag --${key}${suggestion(key, [...options.keys()])}`);
      chosen.push(this.value(option, raw, keyPath));
    }
    return chosen;
  }

  private value(option: Option, raw: unknown, keyPath: string): ConfigValue {
    if (!isRawValue(raw))
      throw this.problem(keyPath, 'must be a string, number, true/false or a list of them');
    try {
      return { option, value: optionValue(option, raw), keyPath };
    } catch (err) {
      if (err instanceof OptionValueProblem) throw this.problem(keyPath, err.message);
      throw err;
    }
  }

  private problem(keyPath: string, message: string): ConfigInvalidError {
    return new ConfigInvalidError(this.path, keyPath, message);
  }
}

function configKeyOf(value: ConfigValue): string {
  return value.keyPath.slice(value.keyPath.lastIndexOf('.') + 1);
}

function suggestion(key: string, candidates: readonly string[]): string {
  const best = nearest(key, candidates);
  return best === undefined ? '' : `; did you mean ${best}?`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRawValue(value: unknown): value is RawValue {
  const scalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number';
  return scalar(value) || typeof value === 'boolean' || (Array.isArray(value) && value.every(scalar));
}
