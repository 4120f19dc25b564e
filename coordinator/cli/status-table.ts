import { formatBytes } from '../../shared/cli/index.js';
import type { AgentRow } from '../fleet/index.js';

const HEADER = [
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

/** What `airlift status` shows as an agent's state: a down agent's last heartbeat says nothing of now. */
export function currentState(row: AgentRow): string {
  return row.health === 'down' ? 'unknown' : row.heartbeat.state;
}

/** One agent as a JSON object: its heartbeat, judged health and age; a down agent's state is `unknown`. */
export function statusJson(row: AgentRow): Record<string, unknown> {
  const json: Record<string, unknown> = { ...row.heartbeat, health: row.health, lastSeenMs: row.ageMs };
  // Top-level `state` must be what holds now; the last reported one is kept for post-mortems.
  if (row.health === 'down') return { ...json, state: 'unknown', heartbeatState: row.heartbeat.state };
  return json;
}

/** The status table as lines, columns padded; a note instead when no agent announced itself. */
export function statusTable(rows: readonly AgentRow[]): string[] {
  if (rows.length === 0) return ['no agent has announced itself yet: start `airlift agent` on every node'];
  const table = [HEADER, ...rows.map(tableRow)];
  const widths = HEADER.map((_, col) => Math.max(...table.map((r) => (r[col] ?? '').length)));
  return table.map((r) =>
    r
      .map((cell, col) => cell.padEnd(widths[col] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

function tableRow(row: AgentRow): string[] {
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
    currentState(row),
    runtime,
    formatBytes(hb.disk.freeBytes),
    hb.agentVersion,
    hb.trust,
    String(hb.refusals.total),
    job,
  ];
}

function age(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}
