import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { serveCommand } from '../../../coordinator/cli/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { runCli } from '../../helpers/run-cli.js';

/** The command's full help, as `airlift serve --help` prints it. */
function helpText(): string {
  let text = '';
  const command = serveCommand(
    { out: () => undefined, err: () => undefined },
    silentLogger(),
    () => undefined,
  );
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe('airlift serve command line', { timeout: 30_000 }, () => {
  it('defaults to loopback and ends its help with examples', () => {
    const help = helpText();
    assert.match(help, /--listen <host:port>[\s\S]*default: "127\.0\.0\.1:7485"/);
    assert.match(help, /--identity <file>/);
    assert.match(help, /--nats <urls>/);
    assert.match(
      help,
      /\nExamples:\n {2}\$ airlift serve --identity \/etc\/airlift\/fleet\/coordinator\.json\n/,
    );
    assert.match(help, /\nExamples:\n( {2}\$ airlift serve.*\n)+\n?$/, 'the examples end the help');
  });

  it('exits 2 naming --listen when the address is taken or not host:port, before any NATS connection', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      // Nothing listens on the NATS port: a listen error must come first, and fast.
      const nats = ['--insecure', '--nats', 'nats://127.0.0.1:1'];
      const busy = await runCli(['serve', ...nats, '--listen', `127.0.0.1:${port}`]);
      assert.equal(busy.exitCode, 2, busy.stderr);
      assert.match(busy.stderr, /CONFIG_INVALID.*cannot listen on 127\.0\.0\.1:\d+.*--listen/);
      const bad = await runCli(['serve', ...nats, '--listen', 'nope']);
      assert.equal(bad.exitCode, 2, bad.stderr);
      assert.match(bad.stderr, /cannot listen on nope/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
