import type { CliOutput } from '../../../shared/cli/index.js';
import type { Clock } from './fleet-progress.js';
import { JsonRunObserver } from './json-run-observer.js';
import type { RunObserver } from './run-observer.js';
import { TextRunObserver } from './text-run-observer.js';
import { timestampedOutput } from './timestamped-output.js';

/** `-o, --output` of `upgrade` and `resume`. */
export const OUTPUT_FORMATS = ['text', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The run's observer and the output its lines for people go to. */
export interface RunOutput {
  readonly observer: RunObserver;
  /** Where the run writes for people: stdout in text mode, stderr under json. */
  readonly human: CliOutput;
}

/**
 * text: bars on a terminal, else timestamped lines, on stdout. json: only NDJSON events on stdout;
 * the lines for people go to stderr, and each stdout line among them is also a `step` event.
 */
export function runOutput(
  format: OutputFormat,
  output: CliOutput,
  tty: boolean,
  clock: Clock = Date.now,
): RunOutput {
  if (format === 'json') {
    const observer = new JsonRunObserver((line) => {
      output.out(line);
    }, clock);
    const human: CliOutput = {
      out: (line) => {
        output.err(line);
        observer.step(line);
      },
      err: (line) => {
        output.err(line);
      },
    };
    return { observer, human };
  }
  const human = tty ? output : timestampedOutput(output, clock);
  return { observer: new TextRunObserver(human, tty, clock), human };
}
