import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { LogFormatError, logFormatFor, loggerForArgs } from '../../../shared/cli/log-setup.js';

describe('logFormatFor', () => {
  it('defaults to JSON for the agent and text for the one-shot commands', () => {
    assert.equal(logFormatFor(['agent', '--node', 'n1'], {}), 'json');
    assert.equal(logFormatFor(['status'], {}), 'text');
  });

  it('takes --log-format before the command over AIRLIFT_LOG_FORMAT', () => {
    assert.equal(logFormatFor(['--log-format', 'text', 'agent'], { AIRLIFT_LOG_FORMAT: 'json' }), 'text');
    assert.equal(logFormatFor(['--log-format=json', 'status'], {}), 'json');
    assert.equal(logFormatFor(['agent'], { AIRLIFT_LOG_FORMAT: 'text' }), 'text');
  });

  it('refuses a format it does not know', () => {
    assert.throws(() => logFormatFor(['--log-format', 'xml', 'agent'], {}), LogFormatError);
    assert.throws(() => logFormatFor(['agent'], { AIRLIFT_LOG_FORMAT: 'yaml' }), LogFormatError);
  });
});

describe('loggerForArgs', () => {
  it('writes human lines, not JSON, under text', async () => {
    const sink = new PassThrough();
    let text = '';
    sink.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const logger = await loggerForArgs(['--log-format', 'text', 'agent'], {}, sink);
    logger.info({ node: 'n1' }, 'running');
    assert.match(text, /INFO.*running/);
    assert.doesNotMatch(text, /^\{/);
  });
});
