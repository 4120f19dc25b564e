import { InvalidArgumentError, type Option } from 'commander';

/** Why a value from a config file or AIRLIFT_* variable does not fit its option (no value in it is secret). */
export class OptionValueProblem extends Error {}

/** A value as the YAML of a config file holds it, or the text of an environment variable. */
export type RawValue = string | number | boolean | readonly (string | number)[];

const BOOLEAN_TEXT: Readonly<Record<string, boolean>> = { true: true, false: false };

/**
 * The value `option` gets for `raw`, made exactly as from the command line: through the option's own
 * argParser (units, choices). A switch takes true or false (as YAML or as the text `true`/`false`),
 * `--no-x` under its key `x` included; `--watch [interval]` takes true or a value; a list only
 * where the flag may be repeated (its default is a list). Throws OptionValueProblem.
 */
export function optionValue(option: Option, raw: RawValue): unknown {
  const switchOnly = !option.required && !option.optional;
  if (switchOnly || (option.optional && (raw === true || raw === 'true'))) {
    const value = typeof raw === 'string' ? BOOLEAN_TEXT[raw] : raw;
    if (typeof value !== 'boolean')
      throw new OptionValueProblem(`${JSON.stringify(raw)} is not true or false`);
    if (!value && option.optional) throw new OptionValueProblem('false is not allowed: leave the key out');
    return value;
  }
  if (typeof raw === 'boolean') throw new OptionValueProblem(`takes a value, not ${String(raw)}`);
  if (Array.isArray(raw)) {
    if (!Array.isArray(option.defaultValue))
      throw new OptionValueProblem('takes one value, not a list (the flag is not repeatable)');
    return raw.reduce<unknown>(
      (previous, item) => parsed(option, String(item), previous),
      option.defaultValue,
    );
  }
  return parsed(option, String(raw), option.defaultValue);
}

function parsed(option: Option, text: string, previous: unknown): unknown {
  if (option.parseArg === undefined) return text;
  try {
    return option.parseArg(text, previous);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    const quoted = JSON.stringify(text);
    throw new OptionValueProblem(
      err.message.includes(quoted) ? err.message : `${quoted} is invalid: ${err.message}`,
    );
  }
}
