import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bundle } from '../../shared/bundle/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import type { ChartRepoConfig, LoadImageConfig } from '../../shared/reference/index.js';
import {
  createChartPublisher,
  packageChart,
  relocateChart,
  type PublishResult,
  type ValueChange,
} from '../chart-publish/index.js';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../registry/index.js';
import { pushBundleImages, type PushImagesResult, type PushProgress } from './push-bundle-images.js';
import { pushChartOci } from './push-chart-oci.js';

/** How `airlift sync` reaches the registry, beyond what load-image.yaml says. */
export interface SyncTransport {
  readonly plainHttp: boolean;
  readonly caFile?: string;
  readonly skipTlsVerify: boolean;
  readonly concurrency: number;
}

/** One bundle's outcome: the images pushed and, when the file names a repo, the chart published. */
export interface BundleSyncResult {
  readonly bundle: string;
  readonly name: string;
  readonly version: string;
  readonly images: PushImagesResult;
  readonly chart?: { readonly changes: readonly ValueChange[]; readonly published: PublishResult };
}

/** What a sync needs. */
export interface SyncInput {
  readonly config: LoadImageConfig;
  readonly configFile: string;
  readonly bundles: readonly string[];
  readonly transport: SyncTransport;
  readonly onProgress?: (bundle: string, progress: PushProgress) => void;
  readonly onStep?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** The bundles a sync works on: the one given, else every `*.bundle.tar` in intermediateBundlesPath. */
export async function bundlesToSync(
  given: string | undefined,
  config: LoadImageConfig,
  file: string,
): Promise<string[]> {
  if (given !== undefined) return [given];
  const dir = config.intermediateBundlesPath;
  if (dir === undefined) {
    throw new ConfigInvalidError(
      file,
      'source.intermediateBundlesPath',
      'is not set and no bundle was given: name a bundle, or the directory that holds them',
    );
  }
  const names = await readdir(dir).catch((err: unknown): string[] => {
    throw new ConfigInvalidError(file, 'source.intermediateBundlesPath', `cannot read ${dir}`, err);
  });
  const bundles = names.filter((n) => n.endsWith('.bundle.tar')).sort();
  if (bundles.length === 0) {
    throw new ConfigInvalidError(file, 'source.intermediateBundlesPath', `${dir} holds no *.bundle.tar`);
  }
  return bundles.map((n) => join(dir, n));
}

/** Pushes every bundle's images to the registry, then relocates and publishes each chart. */
export async function syncBundles(input: SyncInput): Promise<BundleSyncResult[]> {
  const registry = pushRegistry(input.config, input.configFile);
  const client = createRegistryClient(clientOptions(registry, input));
  try {
    const results: BundleSyncResult[] = [];
    for (const path of input.bundles) results.push(await syncOne(path, { registry, client }, input));
    return results;
  } finally {
    client.close();
  }
}

/** The registry images go to, and the client that speaks to it. */
interface PushTarget {
  readonly registry: string;
  readonly client: RegistryClient;
}

async function syncOne(path: string, target: PushTarget, input: SyncInput): Promise<BundleSyncResult> {
  const { client } = target;
  const bundle = await Bundle.open(path);
  try {
    input.onStep?.(
      `bundle   ${bundle.info.name} ${bundle.info.version}: pushing images to ${target.registry}`,
    );
    const images = await pushBundleImages({
      bundle,
      rule: input.config.rule,
      client,
      concurrency: input.transport.concurrency,
      ...(input.onProgress === undefined
        ? {}
        : { onProgress: (p: PushProgress) => input.onProgress?.(path, p) }),
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    });
    const base = { bundle: path, name: bundle.info.name, version: bundle.info.version, images };
    const repo = input.config.repo;
    if (repo === undefined) return base;
    return { ...base, chart: await publishChart(bundle, repo, target, input) };
  } finally {
    await bundle.close();
  }
}

async function publishChart(
  bundle: Bundle,
  repo: ChartRepoConfig,
  images: PushTarget,
  input: SyncInput,
): Promise<NonNullable<BundleSyncResult['chart']>> {
  const rule = input.config.rule;
  const work = await mkdtemp(join(tmpdir(), 'airlift-sync-chart-'));
  try {
    const chart = await relocateChart({ bundle, rule, outDir: join(work, 'chart') });
    const pkg = await packageChart({ chartDir: chart.dir, outDir: work });
    input.onStep?.(`chart    ${pkg.name}-${pkg.version}.tgz: ${chart.changes.length} values relocated`);
    const publisher = createChartPublisher(repo, {
      configFile: input.configFile,
      pushOci: async (p) => {
        const { host, path } = ociLocation(repo.url, input.configFile);
        const client =
          host === images.registry
            ? images.client
            : createRegistryClient(clientOptions(host, input, repo.auth));
        try {
          await pushChartOci({
            client,
            repository: path === '' ? p.name : `${path}/${p.name}`,
            chartTgz: p.file,
            name: p.name,
            version: p.version,
            ...(input.signal === undefined ? {} : { signal: input.signal }),
          });
        } finally {
          if (client !== images.client) client.close();
        }
      },
    });
    return { changes: chart.changes, published: await publisher.publish(pkg) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The registry images go to: the prefix registry when set, else containerRegistry (charts-syncer's pairing). */
function pushRegistry(config: LoadImageConfig, file: string): string {
  const registry = config.rule.containerPrefixRegistry ?? config.rule.containerRegistry;
  if (registry === undefined) {
    throw new ConfigInvalidError(file, 'target.containerRegistry', 'is required to push images');
  }
  return registry;
}

function clientOptions(
  registry: string,
  input: SyncInput,
  credentials = input.config.containerAuth,
): RegistryClientOptions {
  const { transport } = input;
  return {
    registry,
    plainHttp: transport.plainHttp,
    skipTlsVerify: transport.skipTlsVerify,
    ...(transport.caFile === undefined ? {} : { caFile: transport.caFile }),
    ...(credentials === undefined
      ? {}
      : { credentials: { username: credentials.username, password: credentials.password } }),
  };
}

/** `oci://host[:port]/path` → host and path, as helm reads an OCI chart repository. */
function ociLocation(url: string | undefined, file: string): { host: string; path: string } {
  const m = url === undefined ? null : /^oci:\/\/([^/]+)\/?(.*?)\/?$/.exec(url);
  if (m?.[1] === undefined) {
    throw new ConfigInvalidError(file, 'target.repo.url', 'must be oci://host[:port]/path for kind OCI');
  }
  return { host: m[1], path: m[2] ?? '' };
}
