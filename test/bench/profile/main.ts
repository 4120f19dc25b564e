// `npm run bench:profile -- DIR [--top N]`: where the CPU went in the .cpuprofile files in DIR (as
// `AIRLIFT_BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"` writes them for every agent of a
// bench:fleet run), by stage: each sample of the bundled CLI is mapped through dist/airlift.mjs.map to
// the source file it ran in (agent/pieces/piece-store.ts, node_modules/@grpc/grpc-js…), the rest to
// Node's own categories (garbage collector, node:internal…, native). The profiles are sampled on the
// wall clock, so idle time is left out and the shares are of the time the thread was running. Not a test.
import { readdir, readFile } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join } from 'node:path';
import { AIRLIFT_BIN } from '../../helpers/paths.js';
import { summarizeProfiles, type CpuProfile } from './summarize.js';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: npm run bench:profile -- DIR [--top N]\n');
  process.exit(2);
}
const topAt = process.argv.indexOf('--top');
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;

const names = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).sort();
const profiles = await Promise.all(
  names.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as CpuProfile),
);
const map = new SourceMap(JSON.parse(await readFile(`${AIRLIFT_BIN}.map`, 'utf8')) as SourceMapPayload);
const summary = summarizeProfiles(profiles, (line, column) => map.findEntry(line, column));

const ms = (us: number): string => (us / 1000).toFixed(0).padStart(8);
const share = (us: number): string => ((100 * us) / summary.runningUs).toFixed(1).padStart(5);
process.stdout.write(
  `${names.length} profiles: ${ms(summary.runningUs).trim()} ms running, ${ms(summary.idleUs).trim()} ms idle\n\n`,
);
process.stdout.write('by stage (source file or Node category)      ms   share\n');
for (const [stage, us] of summary.byStage.slice(0, top)) {
  process.stdout.write(`${stage.padEnd(42).slice(0, 42)} ${ms(us)} ${share(us)} %\n`);
}
process.stdout.write('\nby function (self time)\n');
for (const [fn, us] of summary.byFunction.slice(0, top)) {
  process.stdout.write(`${fn.padEnd(70).slice(0, 70)} ${ms(us)} ${share(us)} %\n`);
}
