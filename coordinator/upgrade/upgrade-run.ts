import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Bundle, describeHintProblems } from '../../shared/bundle/index.js';
import type { Bus } from '../../shared/bus/bus.js';
import { ExitCode, type CliOutput } from '../../shared/cli/index.js';
import { COORDINATOR_NAME, type RunState } from '../../shared/control/index.js';
import type { DataPlaneTls } from '../../shared/data-plane/index.js';
import { AirliftError, KubePhaseError } from '../../shared/errors/index.js';
import { describeLoadable, planImportParts } from '../../shared/image-archive/index.js';
import { planRetags } from '../../shared/node-job/index.js';
import type { TrustContext } from '../../shared/trust/index.js';
import { FleetRegistry } from '../fleet/index.js';
import { chartRef, formatArgv, plan as kubePlan, runKubePhase, type KubeTools } from '../kube/index.js';
import { buildPieceManifest, toWirePieceManifest } from '../../shared/pieces/index.js';
import { fileDigestOnWorker } from './file-digest.js';
import { planSources, servesTo, type PlannedNode } from './distribution-plan.js';
import { distribute, type NodeOutcome } from './distribute.js';
import { printDryRun } from './dry-run-plan.js';
import { checkRegistryOnNodes, registryPayload } from './registry-images.js';
import { preflight } from './preflight.js';
import { nodeResults, type ResultsContext, type RunObserver } from './progress/index.js';
import { newRunId } from './run-id.js';
import { RunLock } from './run-lock.js';
import { RunStore } from './run-store.js';
import { UPGRADE_DEFAULTS, type UpgradeRequest } from './upgrade-request.js';

/** The archive server as the run uses it: serve images.tar from the bundle file, say where. */
export interface ArchiveSource {
  /**
   * Serves images.tar as archive `id`, in pieces of `pieceSize`, to the run's `nodes` (with mutual
   * TLS, no other certificate gets it).
   */
  register(
    id: string,
    source: ReturnType<Bundle['imagesSource']>,
    pieceSize: number,
    nodes: ReadonlySet<string>,
  ): void;
  unregister(id: string): boolean;
  /** host:port agents dial. */
  readonly advertisedAddress: string;
}

/** The run's connections, opened by the CLI. */
export interface UpgradeDeps {
  readonly bus: Bus;
  readonly kube: KubeTools;
  /** Signs the jobs; decides whose acks, events and heartbeats count. */
  readonly trust: TrustContext;
  readonly archives: ArchiveSource;
  /**
   * The coordinator's data-plane certificate, with which preflight pings every agent's data plane;
   * undefined under --insecure (plaintext).
   */
  readonly dataPlaneTls: DataPlaneTls | undefined;
  /** The run's lines for people (stderr under `--output json`). */
  readonly output: CliOutput;
  /** Live progress, the kube steps and the final results: as text or as JSON events. */
  readonly observer: RunObserver;
  /**
   * SIGINT/SIGTERM. Before the kube phase it stops the run at once (nodes keep what they verified);
   * in the kube phase it stops the run at the next step boundary, never killing helm or kubectl.
   * Its reason's message (`interrupted by SIGINT`) is what the run records.
   */
  readonly signal: AbortSignal;
  /** The helm/kubectl command the run now waits for (undefined when none): a second signal says so. */
  readonly onWaitingFor?: (command: string | undefined) => void;
  readonly logger: Logger;
}

/** The reason a run was interrupted, as recorded: `interrupted by SIGINT`. */
function interruptReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : 'interrupted';
}

/**
 * `airlift upgrade`: preflight, distribute to every node, barrier, then the kube phase. Returns the
 * exit code; every failure is printed with the node or step it belongs to.
 */
export async function runUpgrade(request: UpgradeRequest, deps: UpgradeDeps): Promise<number> {
  const bundle = await Bundle.open(request.bundlePath);
  try {
    if (!hintsAcceptable(bundle, request, deps.output)) return ExitCode.BadBundle;
    const fleet = await FleetRegistry.open(deps.bus, deps.trust.policy, undefined, deps.logger);
    const checks = await runPreflight(bundle, fleet, request, deps);
    if (deps.signal.aborted) {
      deps.output.err(`airlift: ${interruptReason(deps.signal)} during preflight; nothing was changed`);
      return ExitCode.Interrupted;
    }
    const prepared = prepareRun(bundle, fleet, checks, request, deps);
    if (request.dryRun) {
      printDryRun(deps.output, bundle.info, checks, prepared.retags, kubePlan(prepared.kubeTarget));
      return checks.failures.length === 0 ? ExitCode.Ok : ExitCode.PreflightFailed;
    }
    if (checks.failures.length > 0 || checks.imageRegistry === undefined) {
      deps.output.err('airlift: preflight failed; nothing was changed:');
      for (const f of checks.failures)
        deps.output.err(`  ${f.check}${f.node === undefined ? '' : ` ${f.node}`}: ${f.message}`);
      return ExitCode.PreflightFailed;
    }
    // One run at a time: a second coordinator must not hand the same nodes other bytes meanwhile.
    // A resume takes its own run's lease back at once: that run's coordinator stopped or died.
    const lock = await RunLock.acquire(
      deps.bus,
      prepared.runId,
      deps.logger,
      request.resumes === undefined ? {} : { takeOverFrom: request.resumes },
    );
    try {
      return await execute(request, deps, prepared);
    } finally {
      await lock.release();
    }
  } finally {
    await bundle.close();
  }
}

/** Prints hints.yaml's mismatches with images.tar; false when they stop the run. */
function hintsAcceptable(bundle: Bundle, request: UpgradeRequest, output: CliOutput): boolean {
  const hintProblems = describeHintProblems(bundle.info.crossCheck);
  for (const line of hintProblems)
    output.err(`airlift: ${request.allowHintMismatch ? 'warning' : 'error'}: ${line}`);
  if (hintProblems.length > 0 && !request.allowHintMismatch) {
    output.err('airlift: nothing ran; fix the bundle, or pass --allow-hint-mismatch');
    return false;
  }
  return true;
}

function runPreflight(
  bundle: Bundle,
  fleet: FleetRegistry,
  request: UpgradeRequest,
  deps: UpgradeDeps,
): ReturnType<typeof preflight> {
  return preflight({
    fleet,
    kube: deps.kube,
    release: request.release,
    namespace: request.namespace,
    nodes: request.nodes,
    requiredDiskBytes: bundle.info.imagesTar.length * UPGRADE_DEFAULTS.diskFactor,
    requiredSpoolBytes: bundle.info.imagesTar.length,
    dataPlane: { tls: deps.dataPlaneTls },
    signal: deps.signal,
    logger: deps.logger,
    ...(request.imageRegistry === undefined ? {} : { imageRegistry: request.imageRegistry }),
    ...(request.fromRepo === undefined || request.version === undefined
      ? {}
      : { fromRepo: { source: request.fromRepo, version: request.version, dryRun: request.dryRun } }),
  });
}

/** The run's id, directory, retag plan, kube commands and targets, from the preflight's findings. */
function prepareRun(
  bundle: Bundle,
  fleet: FleetRegistry,
  checks: Awaited<ReturnType<typeof preflight>>,
  request: UpgradeRequest,
  deps: UpgradeDeps,
): Prepared {
  const runId = newRunId();
  const runDir = resolve(request.runDir ?? join('airlift-runs', runId));
  // registry.invalid only where preflight failed or in a dry run that could not learn the registry.
  const registry = checks.imageRegistry ?? 'registry.invalid';
  const retags = planRetags(bundle.info.archive.images, { kind: 'registry', registry });
  return {
    bundle,
    fleet,
    runId,
    runDir,
    registry,
    retags,
    kubeTarget: {
      tools: deps.kube,
      bundle,
      release: request.release,
      namespace: request.namespace,
      imageRegistry: registry,
      runDir,
      ...(request.version === undefined ? {} : { version: request.version }),
      ...(request.fromRepo === undefined ? {} : { fromRepo: request.fromRepo }),
    },
    revisionBefore: request.revisionBefore ?? checks.release?.revision,
    nodes: checks.targets.map((t) => t.node),
    targets: checks.targets.map((t) => ({ node: t.node, grpcAddress: t.heartbeat.grpcAddress })),
  };
}

interface Prepared {
  readonly bundle: Bundle;
  readonly fleet: FleetRegistry;
  readonly runId: string;
  readonly runDir: string;
  readonly registry: string;
  readonly retags: ReturnType<typeof planRetags>;
  readonly kubeTarget: Parameters<typeof runKubePhase>[0];
  /** The release's revision before this run (or the run it resumes) changed anything. */
  readonly revisionBefore: number | undefined;
  readonly nodes: readonly string[];
  /** The nodes with the gRPC address each serves pieces on, in chain order. */
  readonly targets: readonly PlannedNode[];
}

async function execute(request: UpgradeRequest, deps: UpgradeDeps, p: Prepared): Promise<number> {
  const { output } = deps;
  const info = p.bundle.info;
  await mkdir(p.runDir, { recursive: true });
  deps.observer.runStarted({
    runId: p.runId,
    release: request.release,
    namespace: request.namespace,
    bundle: { name: info.name, version: info.version },
    chartVersion: info.chart.version,
    nodes: p.nodes,
    bytesTotal: info.imagesTar.length,
    imagesExpected: p.retags.entries.length,
    runDir: p.runDir,
  });
  output.out(
    `run ${p.runId}: ${info.name} ${info.version} to ${p.nodes.length} node(s), images retagged to ${p.registry}`,
  );
  output.out(`run directory ${p.runDir}`);
  const store = await RunStore.create(deps.bus, initialState(request, p, info.chart.version), deps.logger);
  const results: ResultsContext = {
    startedAt: Date.now(),
    imagesExpected: p.retags.entries.length,
    coordinatorAddress: deps.archives.advertisedAddress,
  };
  const finish = async (outcomes: readonly NodeOutcome[]): Promise<void> => {
    await record(store, p.runDir, outcomes);
    deps.observer.results(nodeResults(outcomes, results), store.current.failure);
  };
  let outcomes: NodeOutcome[] = [];
  try {
    outcomes = await distributeToNodes(request, deps, p, store);
  } catch (err) {
    if (!deps.signal.aborted) throw err;
  }
  if (deps.signal.aborted) {
    const message = `${interruptReason(deps.signal)} during distribute; nodes keep the images and pieces they verified, and the cluster was not touched`;
    store.phase('failed', { phase: 'distribute', message });
    await finish(outcomes);
    output.err(`airlift: ${message}`);
    output.err(`airlift: run ${p.runId}; to carry on: airlift resume ${p.runId}`);
    return ExitCode.Interrupted;
  }
  return afterDistribute(request, deps, p, { store, outcomes, finish });
}

/** Hashes images.tar, serves it and sends every node its job; the outcomes per node. */
async function distributeToNodes(
  request: UpgradeRequest,
  deps: UpgradeDeps,
  p: Prepared,
  store: RunStore,
): Promise<NodeOutcome[]> {
  if (request.images === 'registry') {
    return checkRegistryOnNodes({
      ...deps,
      fleet: p.fleet,
      store,
      runId: p.runId,
      nodes: p.nodes,
      payload: registryPayload(request, p.retags),
    });
  }
  const info = p.bundle.info;
  // One pass over images.tar: the whole digest and one per piece, which every receiver checks.
  const images = p.bundle.imagesSource();
  const { file } = images;
  const manifest = await buildPieceManifest(
    images,
    request.pieceSize,
    deps.signal,
    file === undefined ? undefined : () => fileDigestOnWorker(file, deps.signal),
  );
  const archiveId = manifest.sha256.slice('sha256:'.length);
  const wireManifest = toWirePieceManifest(manifest);
  deps.archives.register(archiveId, p.bundle.imagesSource(), manifest.pieceSize, new Set(p.nodes));
  const sources = planSources(p.targets, deps.archives.advertisedAddress, request.distribution, {
    stripes: request.stripes,
  });
  const serves = servesTo(sources);
  // The import names every target itself (a tag call less per image on every node), and runs in parts
  // that each start once their members are held, so nodes unpack while the archive still arrives.
  const importParts = planImportParts(info.archive, p.retags.entries);
  const loadable = {
    ...describeLoadable(info.archive, p.retags.entries),
    ...(importParts === undefined ? {} : { importParts }),
  };
  store.phase('distributing');
  const view = deps.observer.distribution(p.nodes, info.imagesTar.length);
  try {
    return await distribute({
      bus: deps.bus,
      trust: deps.trust,
      fleet: p.fleet,
      store,
      runId: p.runId,
      nodes: p.nodes,
      payloadFor: (node) => ({
        archive: {
          id: archiveId,
          size: info.imagesTar.length,
          sha256: manifest.sha256,
          ...loadable,
          manifest: wireManifest,
          stripes: sources.get(node) ?? [
            [{ address: deps.archives.advertisedAddress, name: COORDINATOR_NAME }],
          ],
          servesTo: serves.get(node) ?? [],
        },
        plan: { entries: [...p.retags.entries], unnamedImages: [...p.retags.unnamedImages] },
        skipIfVerified: !request.forceLoad,
        timeoutMs: request.timeoutMs,
      }),
      timeoutMs: request.timeoutMs,
      ackTimeoutMs: UPGRADE_DEFAULTS.ackTimeoutMs,
      livenessCheckMs: UPGRADE_DEFAULTS.livenessCheckMs,
      signal: deps.signal,
      logger: deps.logger,
      onEvent: (event) => {
        view.event(event);
      },
      onNotice: (node, message) => {
        deps.output.err(`airlift: ${node}: ${message}`);
      },
    });
  } finally {
    view.close();
    deps.archives.unregister(archiveId);
  }
}

/** The distribution's outcomes, the run's record, and how to write both down at the end. */
interface Distributed {
  readonly store: RunStore;
  readonly outcomes: readonly NodeOutcome[];
  readonly finish: (outcomes: readonly NodeOutcome[]) => Promise<void>;
}

/** The barrier, then the kube phase. */
async function afterDistribute(
  request: UpgradeRequest,
  deps: UpgradeDeps,
  p: Prepared,
  { store, outcomes, finish }: Distributed,
): Promise<number> {
  const { output } = deps;
  const info = p.bundle.info;
  store.phase('barrier');
  const failed = outcomes.filter((o) => !o.ok);
  for (const o of outcomes) {
    const verified = o.report?.images.filter((i) => i.verified).length ?? 0;
    output.out(
      `  ${o.ok ? 'ok  ' : 'FAIL'} ${o.node}: ${verified}/${p.retags.entries.length} references verified${o.problem === undefined ? '' : ` — ${o.problem}`}`,
    );
  }
  if (failed.length > 0) {
    const message = `${failed.length} of ${outcomes.length} node(s) did not verify every image: ${failed.map((o) => o.node).join(', ')}`;
    store.phase('failed', { phase: 'barrier', message });
    await finish(outcomes);
    output.err(`airlift: barrier: ${message}`);
    output.err(
      `airlift: the cluster was not touched (no helm or kubectl command ran); fix those nodes, then: airlift resume ${p.runId}`,
    );
    return ExitCode.BarrierFailed;
  }
  output.out(`barrier passed: every node holds every image; starting the kube phase`);
  try {
    // Not `signal`: a signal never kills helm or kubectl, it stops the phase at the next step boundary.
    await runKubePhase({
      ...p.kubeTarget,
      interrupt: deps.signal,
      onCommand: (argv) => deps.onWaitingFor?.(argv === undefined ? undefined : formatArgv(argv)),
      logger: deps.logger,
      onStep: (step, phase, detail) => {
        if (phase === 'start')
          store.phase(
            step === 'backup-values'
              ? 'backup'
              : step === 'apply-crds'
                ? 'crds'
                : step === 'helm-upgrade'
                  ? 'upgrade'
                  : store.current.phase,
          );
        deps.observer.kubeStep(step, phase, detail);
      },
    });
  } catch (err) {
    const message = err instanceof AirliftError ? err.message : String(err);
    store.phase('failed', { phase: err instanceof KubePhaseError ? err.step : 'kube', message });
    await finish(outcomes);
    output.err(`airlift: ${message}`);
    if (deps.signal.aborted) {
      output.err(`airlift: run ${p.runId}; to carry on: airlift resume ${p.runId}`);
    } else {
      output.err(`airlift: run ${p.runId}; to retry after fixing the cause: airlift resume ${p.runId}`);
      if (err instanceof KubePhaseError && err.step === 'helm-upgrade' && p.revisionBefore !== undefined)
        output.err(
          `airlift: to go back to revision ${p.revisionBefore} (the release before this run): airlift rollback ${p.runId}`,
        );
    }
    if (err instanceof KubePhaseError && err.stderr.trim() !== '')
      output.err(`--- stderr of ${err.argv?.[0] ?? 'the command'} ---\n${err.stderr.trim()}`);
    return deps.signal.aborted ? ExitCode.Interrupted : ExitCode.KubePhaseFailed;
  }
  store.phase('done');
  await finish(outcomes);
  output.out(
    `upgrade of ${request.release} in ${request.namespace} to ${request.fromRepo === undefined ? info.chart.version : `${chartRef(request.fromRepo)} ${request.version ?? ''}`} done: ${p.nodes.length} node(s) verified, helm upgrade succeeded`,
  );
  return ExitCode.Ok;
}

function initialState(request: UpgradeRequest, p: Prepared, chartVersion: string): RunState {
  const now = new Date().toISOString();
  const nodeState = {
    status: 'pending' as const,
    phase: 'pending',
    bytesDone: 0,
    bytesTotal: p.bundle.info.imagesTar.length,
    verified: 0,
    expected: p.retags.entries.length,
  };
  return {
    v: 1,
    runId: p.runId,
    release: request.release,
    namespace: request.namespace,
    bundle: resolve(request.bundlePath),
    chartVersion,
    ...(request.version === undefined ? {} : { version: request.version }),
    imageRegistry: p.registry,
    runDir: p.runDir,
    parameters: {
      timeoutMs: request.timeoutMs,
      distribution: request.distribution,
      stripes: request.stripes,
      pieceSize: request.pieceSize,
      allowHintMismatch: request.allowHintMismatch,
      ...request.session,
      ...(request.fromRepo === undefined ? {} : { fromRepo: chartRef(request.fromRepo) }),
      ...(request.fromRepo?.repoUrl === undefined ? {} : { repoUrl: request.fromRepo.repoUrl }),
      ...(request.images === 'registry'
        ? {
            images: 'registry' as const,
            prePull: request.prePull === true,
            registryPlainHttp: request.registryPlainHttp === true,
          }
        : {}),
    },
    ...(p.revisionBefore === undefined ? {} : { revisionBefore: p.revisionBefore }),
    startedAt: now,
    updatedAt: now,
    phase: 'preflight',
    nodes: Object.fromEntries(p.nodes.map((node) => [node, nodeState])),
  };
}

/** Flushes the run's state and writes run.json. */
async function record(store: RunStore, runDir: string, outcomes: readonly NodeOutcome[]): Promise<void> {
  await store.flush();
  await writeFile(
    join(runDir, 'run.json'),
    `${JSON.stringify({ state: store.current, outcomes }, null, 2)}\n`,
  );
}
