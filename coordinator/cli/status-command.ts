import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { connectBus } from '../../shared/bus/index.js';
import {
  addNatsOptions,
  addTrustOptions,
  ExitCode,
  formatBytes,
  resolveTrust,
  runCommand,
  type CliOutput,
  type TrustFlags,
} from '../../shared/cli/index.js';
import { FleetRegistry, type AgentRow } from '../fleet/index.js';

/** `airlift status`: one row per agent from the fleet registry, healthy / stale / down. */
export function statusCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('status')
    .description('show fleet health from the registry: one row per agent')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'));
  addTrustOptions(command, 'coordinator');
  return addNatsOptions(command).action(async (flags: TrustFlags & { output: 'text' | 'json' }) => {
    setExit(
      await runCommand(output, async () => {
        const setup = await resolveTrust(flags, 'coordinator', 'airlift-status', output);
        const bus = await connectBus({ ...setup.nats, name: 'airlift-status' }, logger);
        try {
          const rows = await (await FleetRegistry.open(bus, setup.trust.policy, undefined, logger)).list();
          if (flags.output === 'json') output.out(JSON.stringify(rows.map(toJson), null, 2));
          else printTable(rows, output);
          return ExitCode.Ok;
        } finally {
          await bus.drain();
        }
      }),
    );
  });
}

function toJson(row: AgentRow): Record<string, unknown> {
  return { ...row.heartbeat, health: row.health, lastSeenMs: row.ageMs };
}

function printTable(rows: readonly AgentRow[], output: CliOutput): void {
  if (rows.length === 0) {
    output.out('no agent has announced itself yet: start `airlift agent` on every node');
    return;
  }
  const header = [
    'NODE',
    'HEALTH',
    'LAST SEEN',
    'STATE',
    'RUNTIME',
    'FREE DISK',
    'VERSION',
    'TRUST',
    'REFUSED',
    'JOB',
  ];
  const table = [
    header,
    ...rows.map((row) => {
      const hb = row.heartbeat;
      const runtime = `${hb.runtime.kind} ${hb.runtime.version}${hb.runtime.ok ? '' : ' (not answering)'}`;
      const job =
        hb.job === undefined
          ? '-'
          : `${hb.job.runId} ${hb.job.phase} ${formatBytes(hb.job.bytesDone)}/${formatBytes(hb.job.bytesTotal)}`;
      return [
        row.node,
        row.health,
        age(row.ageMs),
        hb.state,
        runtime,
        formatBytes(hb.disk.freeBytes),
        hb.agentVersion,
        hb.trust,
        String(hb.refusals.total),
        job,
      ];
    }),
  ];
  const widths = header.map((_, col) => Math.max(...table.map((r) => (r[col] ?? '').length)));
  for (const r of table)
    output.out(
      r
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}

function age(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}
