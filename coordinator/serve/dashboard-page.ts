import { createHash } from 'node:crypto';

// The page is self-contained (air-gapped sites reach nothing else) and read-only. Every value that
// comes from a node or a run record is written with textContent, never parsed as HTML.

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2430; background: #f7f8fa; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
#conn { font-size: .85rem; color: #666; }
#conn.live::before { content: "\\25CF  "; color: #1a7f37; }
#conn.offline::before { content: "\\25CF  "; color: #cf222e; }
table { border-collapse: collapse; background: #fff; min-width: 40rem; }
th, td { text-align: left; padding: .3rem .7rem; border-bottom: 1px solid #e3e6ea; white-space: nowrap; }
th { font-weight: 600; background: #eef0f3; }
td.problem { white-space: normal; max-width: 40rem; color: #cf222e; }
.healthy, .verified, .done { color: #1a7f37; }
.stale, .running { color: #9a6700; }
.down, .failed { color: #cf222e; font-weight: 600; }
progress { width: 12rem; vertical-align: middle; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; margin: 0; }
dt { color: #666; }
.empty { color: #666; font-style: italic; }
`;

const SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value === undefined || value === null ? "" : String(value);
  if (cls) el.className = cls;
  return el;
}
function cell(row, value, field, cls) {
  const td = text("td", value, cls);
  if (field) td.dataset.field = field;
  row.appendChild(td);
  return td;
}
function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}
function age(ms) {
  const s = Math.round(ms / 1000);
  return s < 120 ? s + "s ago" : s < 7200 ? Math.round(s / 60) + "m ago" : Math.round(s / 3600) + "h ago";
}
function safeClass(value) { return /^[a-z]+$/.test(value) ? value : ""; }
function renderAgents(agents) {
  const body = $("agents");
  body.replaceChildren();
  $("agents-empty").hidden = agents.length > 0;
  for (const a of agents) {
    const row = document.createElement("tr");
    row.dataset.node = a.node;
    cell(row, a.node, "node");
    cell(row, a.health, "health", safeClass(a.health));
    cell(row, a.state, "state");
    cell(row, age(a.ageMs), "age");
    cell(row, a.runtime + (a.runtimeOk ? "" : " (not answering)"), "runtime", a.runtimeOk ? "" : "down");
    cell(row, a.version, "version");
    cell(row, a.refusals, "refusals");
    body.appendChild(row);
  }
}
function renderRun(run, failures) {
  $("run").hidden = !run;
  $("run-empty").hidden = !!run;
  const classes = Object.keys(failures).sort();
  const list = $("failures");
  list.replaceChildren();
  for (const c of classes) list.appendChild(text("li", c + ": " + failures[c]));
  $("failures-empty").hidden = classes.length > 0;
  if (!run) return;
  $("run-id").textContent = run.runId;
  $("run-release").textContent = run.release + " in " + run.namespace + ", chart " + run.chartVersion;
  $("run-phase").textContent = run.phase;
  $("run-phase").className = safeClass(run.phase);
  $("run-started").textContent = run.startedAt;
  $("run-failure").textContent = run.failure ? run.failure.phase + ": " + run.failure.message : "-";
  const body = $("run-nodes");
  body.replaceChildren();
  for (const n of run.nodes) {
    const row = document.createElement("tr");
    row.dataset.node = n.node;
    cell(row, n.node, "node");
    cell(row, n.status, "status", safeClass(n.status));
    cell(row, n.phase, "phase");
    const bar = document.createElement("progress");
    bar.max = Math.max(n.bytesTotal, 1);
    bar.value = Math.min(n.bytesDone, bar.max);
    cell(row, "", "progress").appendChild(bar);
    cell(row, bytes(n.bytesDone) + " / " + bytes(n.bytesTotal), "bytes");
    cell(row, n.verified + "/" + n.expected, "verified");
    cell(row, n.problem || "", "problem", "problem");
    body.appendChild(row);
  }
}
function render(s) {
  $("conn").textContent = (s.live ? "live" : "NATS not connected") + " \\u00b7 updated " + s.at;
  $("conn").className = s.live ? "live" : "offline";
  renderAgents(s.agents);
  renderRun(s.run, s.failures);
}
const events = new EventSource("events");
events.addEventListener("snapshot", (e) => render(JSON.parse(e.data)));
events.onerror = () => {
  $("conn").textContent = "disconnected from airlift serve; reconnecting\\u2026";
  $("conn").className = "offline";
};
`;

const BODY = `
<h1>airlift fleet</h1>
<div id="conn" class="offline">connecting…</div>
<h2>Agents</h2>
<table>
  <thead><tr><th>Node</th><th>Health</th><th>State</th><th>Last heartbeat</th><th>Runtime</th><th>Version</th><th>Refused</th></tr></thead>
  <tbody id="agents"></tbody>
</table>
<p id="agents-empty" class="empty">No agent has announced itself yet: start <code>airlift agent</code> on every node.</p>
<h2>Current run</h2>
<p id="run-empty" class="empty">No run recorded yet.</p>
<section id="run" hidden>
  <dl>
    <dt>Run</dt><dd id="run-id"></dd>
    <dt>Release</dt><dd id="run-release"></dd>
    <dt>Phase</dt><dd id="run-phase"></dd>
    <dt>Started</dt><dd id="run-started"></dd>
    <dt>Failure</dt><dd id="run-failure"></dd>
  </dl>
  <h2>Nodes</h2>
  <table>
    <thead><tr><th>Node</th><th>Status</th><th>Phase</th><th>Progress</th><th>Bytes</th><th>Verified</th><th>Problem</th></tr></thead>
    <tbody id="run-nodes"></tbody>
  </table>
</section>
<h2>Node failures since start</h2>
<ul id="failures"></ul>
<p id="failures-empty" class="empty">None.</p>
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The dashboard page: no data in it (that comes over /events), so it is the same for everyone. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>airlift fleet</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;

/**
 * Only the page's own inline style and script run, it may talk to this server only, and nothing may
 * frame it: a value that slipped through as markup still could not load or send anything.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
