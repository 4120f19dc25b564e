import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { componentLogger, createLogger } from '../../../shared/logging/index.js';

/** A logger writing into a buffer, and the lines it wrote so far. */
function capture(): { logger: ReturnType<typeof createLogger>; lines: () => string[] } {
  const sink = new PassThrough();
  let text = '';
  sink.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { logger: createLogger({ level: 'info', destination: sink }), lines: () => text.trim().split('\n') };
}

/** How often `"key":` appears in a JSON line. */
function occurrences(line: string, key: string): number {
  return line.split(`"${key}":`).length - 1;
}

describe('componentLogger', () => {
  it('nested as the agent nests them, a line carries node and component once, the innermost component', () => {
    const { logger, lines } = capture();
    const command = logger.child({ node: 'n1' });
    const agent = componentLogger(command, 'agent', { node: 'n1' });
    const job = componentLogger(agent, 'load-images-job', { node: 'n1', jobId: 'j1' });
    job.info('job finished');
    agent.info('idle');
    const [finished, idle] = lines();
    assert.ok(finished !== undefined && idle !== undefined);
    for (const key of ['node', 'component', 'jobId']) assert.equal(occurrences(finished, key), 1, key);
    assert.equal((JSON.parse(finished) as { component: string }).component, 'load-images-job');
    assert.equal(occurrences(idle, 'component'), 1);
    assert.equal((JSON.parse(idle) as { component: string }).component, 'agent');
  });

  it('binds a key the parent carries with another value, so nothing is lost', () => {
    const { logger, lines } = capture();
    componentLogger(logger.child({ node: 'a' }), 'agent', { node: 'b' }).info('x');
    assert.match(lines()[0] ?? '', /"node":"b"/);
  });
});

describe('createLogger', () => {
  it('stamps records with ISO 8601 times, not epoch milliseconds', () => {
    const { logger, lines } = capture();
    logger.info('hello');
    const record = JSON.parse(lines()[0] ?? '{}') as { time?: unknown };
    assert.match(String(record.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
