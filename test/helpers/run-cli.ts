import { execa } from 'execa';
import { AIRLIFT_BIN } from './paths.js';

/** What one CLI run printed and how it exited. */
export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `airlift` CLI as an operator would, bounded in time. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const result = await execa(process.execPath, [AIRLIFT_BIN, ...args], {
    reject: false,
    timeout: 120_000,
    env,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}
