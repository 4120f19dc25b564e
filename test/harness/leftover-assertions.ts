import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { isAlive, mountsUnder, processesUsing } from '../helpers/dir-leftovers.js';

/** What an instance must not leave behind once stopped. */
export interface InstanceTraces {
  readonly dir: string;
  readonly pids: readonly number[];
  readonly sockets: readonly string[];
}

/** Asserts that the processes are gone and that nothing is left running in, mounted under, or stored in dir. */
export async function assertNothingLeft(traces: InstanceTraces): Promise<void> {
  // A killed orphan can take a moment to disappear from /proc even after its parent saw it exit.
  const deadline = Date.now() + 2_000;
  while (traces.pids.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of traces.pids) assert.equal(isAlive(pid), false, `pid ${pid} still running`);
  for (const socket of traces.sockets) assert.equal(existsSync(socket), false, `${socket} still exists`);
  assert.deepEqual(mountsUnder(traces.dir), [], `mounts left under ${traces.dir}`);
  assert.deepEqual(processesUsing(traces.dir), [], `processes left using ${traces.dir}`);
  assert.equal(existsSync(traces.dir), false, `${traces.dir} still exists`);
}
