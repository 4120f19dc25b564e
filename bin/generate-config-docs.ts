// `npm run docs:config`: writes docs/configuration.md from the command tree, so it lists every
// command and flag as they are. test/bin/config-docs.test.ts fails when the committed file is stale.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { configDocs } from '../shared/cli/config-docs.js';
import { silentLogger } from '../shared/logging/index.js';
import { buildProgram } from './build-program.js';

const target = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));
const program = buildProgram({
  output: { out: () => undefined, err: () => undefined },
  logger: silentLogger(),
  setExit: () => undefined,
});
await writeFile(target, configDocs(program));
process.stdout.write(`wrote ${target}\n`);
