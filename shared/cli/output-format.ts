import { InvalidArgumentError, Option } from 'commander';
import { stringify } from 'yaml';
import type { CliOutput } from './run-command.js';

/** What `-o, --output` accepts: a human table, or the same object as JSON or YAML. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o, --output table|json|yaml` (`text` is read as `table`), default table. */
export function outputOption(what = 'output format'): Option {
  return new Option('-o, --output <format>', `${what}: ${OUTPUT_FORMATS.join(', ')}`)
    .argParser(parseOutputFormat)
    .default('table' satisfies OutputFormat);
}

/** Reads an output format; `text`, the name it had before YAML came, is `table`. */
export function parseOutputFormat(text: string): OutputFormat {
  if (text === 'text') return 'table';
  const format = OUTPUT_FORMATS.find((f) => f === text);
  if (format === undefined)
    throw new InvalidArgumentError(`Allowed choices are ${OUTPUT_FORMATS.join(', ')}.`);
  return format;
}

/**
 * Prints `value` as JSON or YAML. `compact`: one JSON line, or one YAML document led by `---` (for a
 * stream of reports, as `status --watch` writes).
 */
export function printStructured(
  output: CliOutput,
  format: Exclude<OutputFormat, 'table'>,
  value: unknown,
  compact = false,
): void {
  if (format === 'json') output.out(compact ? JSON.stringify(value) : JSON.stringify(value, null, 2));
  else output.out(`${compact ? '---\n' : ''}${stringify(value).trimEnd()}`);
}
