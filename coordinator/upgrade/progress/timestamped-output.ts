import type { CliOutput } from '../../../shared/cli/index.js';
import type { Clock } from './fleet-progress.js';

/** `output` with every stdout line prefixed by its ISO-8601 time, for logs and CI; stderr as is. */
export function timestampedOutput(output: CliOutput, clock: Clock = Date.now): CliOutput {
  return {
    out: (line) => {
      const at = new Date(clock()).toISOString();
      for (const part of line.split('\n')) output.out(`${at} ${part}`);
    },
    err: (line) => {
      output.err(line);
    },
  };
}
