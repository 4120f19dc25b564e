import { resolve } from 'node:path';
import { parseDuration } from '../../shared/cli/index.js';
import type { RunState } from '../../shared/control/index.js';
import { parseRepoChart } from '../kube/index.js';
import type { SessionSettings, UpgradeRequest } from '../upgrade/upgrade-request.js';
import { parsePieceSize, parseStripes, type SessionFlags } from './upgrade-session.js';

/** The flags of `airlift resume`: the session flags plus its own. */
export interface ResumeFlags extends SessionFlags {
  timeout: string;
  forceLoad: boolean;
  force: boolean;
}

/** The session flags a run records as given: addresses and paths. */
type SessionTextFlag =
  'listen' | 'advertise' | 'streamListen' | 'helm' | 'kubectl' | 'kubeconfig' | 'kubeContext';

/** Commander's names of the flags whose values a run records. */
export type RecordedFlag = SessionTextFlag | 'timeout' | 'distribution' | 'stripes' | 'pieceSize';

/**
 * The request `airlift resume` runs: every parameter recorded with the run, except the flags the
 * operator gave on the resume command line (`explicit`), which win. Records written before
 * parameters were stored fall back to the resume flags, defaults included.
 */
export function resumeRequest(
  state: RunState,
  flags: ResumeFlags,
  explicit: (flag: RecordedFlag) => boolean,
): UpgradeRequest {
  const recorded = state.parameters ?? {};
  // A path given here is relative to this command's directory, and recorded again with the resumed run.
  const here = absoluteSessionPaths({ ...flags });
  const pick = (flag: SessionTextFlag, given: string | undefined): string | undefined =>
    explicit(flag) ? here[flag] : (recorded[flag] ?? given);
  const listen = pick('listen', flags.listen) ?? flags.listen;
  const helm = pick('helm', flags.helm) ?? flags.helm;
  const kubectl = pick('kubectl', flags.kubectl) ?? flags.kubectl;
  const optional = {
    advertise: pick('advertise', flags.advertise),
    streamListen: pick('streamListen', flags.streamListen),
    kubeconfig: pick('kubeconfig', flags.kubeconfig),
    kubeContext: pick('kubeContext', flags.kubeContext),
  };
  return {
    bundlePath: state.bundle,
    release: state.release,
    namespace: state.namespace,
    imageRegistry: state.imageRegistry,
    nodes: Object.keys(state.nodes),
    timeoutMs:
      explicit('timeout') || recorded.timeoutMs === undefined
        ? parseDuration(flags.timeout, '--timeout')
        : recorded.timeoutMs,
    runDir: state.runDir,
    dryRun: false,
    // The first run's preflight accepted the bundle under this flag; resume must not refuse it now.
    allowHintMismatch: recorded.allowHintMismatch ?? false,
    // Not reused: a resume exists to skip nodes that already verified everything.
    forceLoad: flags.forceLoad,
    distribution:
      explicit('distribution') || recorded.distribution === undefined
        ? flags.distribution
        : recorded.distribution,
    stripes:
      explicit('stripes') || recorded.stripes === undefined ? parseStripes(flags.stripes) : recorded.stripes,
    pieceSize:
      explicit('pieceSize') || recorded.pieceSize === undefined
        ? parsePieceSize(flags.pieceSize)
        : recorded.pieceSize,
    resumes: state.runId,
    session: { listen, helm, kubectl, ...definedOnly(optional) },
    ...(state.version === undefined ? {} : { version: state.version }),
    ...(recorded.fromRepo === undefined
      ? {}
      : { fromRepo: parseRepoChart(recorded.fromRepo, recorded.repoUrl) }),
    ...(state.revisionBefore === undefined ? {} : { revisionBefore: state.revisionBefore }),
    ...(recorded.images === 'registry'
      ? {
          images: 'registry' as const,
          prePull: recorded.prePull === true,
          registryPlainHttp: recorded.registryPlainHttp === true,
        }
      : {}),
  };
}

/**
 * The session's paths made absolute against `cwd`, so a run recorded here resumes from any directory:
 * kubeconfig always, helm and kubectl when given as a path (a bare name is looked up on PATH).
 */
export function absoluteSessionPaths<T extends Partial<SessionSettings>>(session: T, cwd = process.cwd()): T {
  const tool = (path: string | undefined): string | undefined =>
    path === undefined || !path.includes('/') ? path : resolve(cwd, path);
  const { helm, kubectl, kubeconfig } = session;
  return {
    ...session,
    ...(helm === undefined ? {} : { helm: tool(helm) }),
    ...(kubectl === undefined ? {} : { kubectl: tool(kubectl) }),
    ...(kubeconfig === undefined ? {} : { kubeconfig: resolve(cwd, kubeconfig) }),
  };
}

function definedOnly<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]?: string } {
  const out: { [K in keyof T]?: string } = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) out[key as keyof T] = value;
  }
  return out;
}
