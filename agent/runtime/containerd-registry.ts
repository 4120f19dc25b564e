import { createHash } from 'node:crypto';
import {
  RegistryImageNotFoundError,
  RegistryPullError,
  type AirliftError,
} from '../../shared/errors/index.js';
import { formatName, formatReference, parseReference } from '../../shared/reference/index.js';
import { hostPlatform, type Platform } from '../../shared/image-archive/index.js';
import type { RegistryPullOptions, ResolvedImage } from './container-runtime.js';

/** Runs `ctr <args>` against this runtime's socket and namespace. */
export type CtrCall = (
  args: readonly string[],
  signal: AbortSignal | undefined,
  timeoutMs?: number,
) => Promise<{ stdout: string }>;

interface ManifestDoc {
  readonly config?: { readonly digest?: string };
  readonly manifests?: readonly {
    readonly digest: string;
    readonly platform?: { readonly os?: string; readonly architecture?: string };
  }[];
}

/** ctr's registry flags: plain HTTP when asked, the hosts directory (hosts.toml: mirrors, CAs, auth). */
export function registryArgs(options: RegistryPullOptions): string[] {
  return [
    ...(options.plainHttp === true ? ['--plain-http'] : []),
    ...(options.hostsDir === undefined ? [] : ['--hosts-dir', options.hostsDir]),
  ];
}

/**
 * Resolves a reference as containerd's resolver does for a pull (`ctr content fetch-object`: a manifest
 * HEAD and GET through hosts.toml), without creating an image record kubelet could mistake for a
 * pulled image. Through an index to this platform's manifest, for its config digest.
 */
export async function resolveWithCtr(
  ctr: CtrCall,
  reference: string,
  options: RegistryPullOptions,
  signal?: AbortSignal,
  platform: Platform = hostPlatform(),
): Promise<ResolvedImage> {
  const ref = parseReference(reference);
  const name = formatReference(ref);
  const top = await fetchObject(ctr, name, options, signal);
  const digest = ref.digest ?? sha256(top);
  let doc = parseDoc(top);
  for (
    let depth = 0;
    depth < 2 && doc?.config?.digest === undefined && doc?.manifests !== undefined;
    depth++
  ) {
    const next =
      doc.manifests.find(
        (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture,
      ) ?? doc.manifests[0];
    if (next === undefined) break;
    doc = parseDoc(await fetchObject(ctr, `${formatName(ref)}@${next.digest}`, options, signal));
  }
  const configDigest = doc?.config?.digest;
  return configDigest === undefined ? { digest } : { digest, configDigest };
}

/** Pulls and unpacks a reference with `ctr images pull`, as kubelet's CRI plugin would. */
export async function pullWithCtr(
  ctr: CtrCall,
  reference: string,
  options: RegistryPullOptions & { readonly snapshotterArgs: readonly string[]; readonly timeoutMs: number },
  signal?: AbortSignal,
): Promise<void> {
  const name = formatReference(parseReference(reference));
  try {
    await ctr(
      ['images', 'pull', ...registryArgs(options), ...options.snapshotterArgs, name],
      signal,
      options.timeoutMs,
    );
  } catch (err) {
    throw registryProblem('pull', name, err);
  }
}

async function fetchObject(
  ctr: CtrCall,
  name: string,
  options: RegistryPullOptions,
  signal?: AbortSignal,
): Promise<string> {
  try {
    return (await ctr(['content', 'fetch-object', ...registryArgs(options), name], signal)).stdout;
  } catch (err) {
    throw registryProblem('resolve', name, err);
  }
}

/** ctr's failure, named: "not found" from the registry is a missing image, anything else a pull problem. */
function registryProblem(action: 'resolve' | 'pull', name: string, err: unknown): AirliftError {
  const stderr = (err as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr !== '' ? stderr : (err as Error).message;
  const detail =
    text
      .split('\n')
      .filter((line) => line.startsWith('ctr:'))
      .at(-1)
      ?.replace(/^ctr: /, '') ??
    text.trim().split('\n').at(-1) ??
    'no detail';
  if (/: not found$/.test(detail)) return new RegistryImageNotFoundError('containerd', name, detail, err);
  return new RegistryPullError('containerd', action, name, detail, err);
}

function parseDoc(text: string): ManifestDoc | undefined {
  try {
    return JSON.parse(text) as ManifestDoc;
  } catch {
    return undefined;
  }
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
