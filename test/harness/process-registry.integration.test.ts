import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { execa } from 'execa';

import { assertNothingLeft } from './leftover-assertions.js';

const SCRIPT = fileURLToPath(new URL('./abandon-instances.js', import.meta.url));

interface Abandoned {
  readonly pids: number[];
  readonly dirs: string[];
  readonly sockets: string[];
}

const firstLine = (output: string): Abandoned => JSON.parse(output.split('\n')[0]!) as Abandoned;

const assertAllGone = async (abandoned: Abandoned): Promise<void> => {
  for (const dir of abandoned.dirs) {
    await assertNothingLeft({ dir, pids: abandoned.pids, sockets: abandoned.sockets });
  }
};

void describe('process registry', () => {
  void it('kills and cleans up instances of a test process that throws without stopping them', async () => {
    const result = await execa('node', [SCRIPT, 'throw'], { reject: false, timeout: 120_000 });
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stderr, /abandoning instances on purpose/);
    assert.match(result.stderr, /test harness: killed dockerd\[.*\] \(pid \d+\), still running at exit/);
    await assertAllGone(firstLine(result.stdout));
  });

  void it('kills and cleans up instances of a test process ended by SIGTERM', async () => {
    const child = execa('node', [SCRIPT, 'wait'], { reject: false, timeout: 120_000 });
    const abandoned = await new Promise<Abandoned>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('\n')) resolve(firstLine(output));
      });
      child.once('exit', () => {
        reject(new Error(`script exited before reporting its instances: ${output}`));
      });
    });
    child.kill('SIGTERM');
    const result = await child;
    assert.equal(result.signal, 'SIGTERM', `the signal still ends the process: ${result.stderr}`);
    await assertAllGone(abandoned);
  });
});
