import { AirliftError, ChartPublishError } from '../../shared/errors/index.js';
import type { ChartPublisher, PublishResult } from './chart-publisher.js';
import type { ChartPackage } from './package-chart.js';

/**
 * Pushes a packaged chart as an OCI artifact (helm's chart media types). Supplied by the registry push
 * code; this module only adapts it to ChartPublisher.
 */
export type OciChartPush = (pkg: ChartPackage) => Promise<void>;

// ADAPTER: the OCI upload itself lives with the registry push (`pushChartOci`); the composition root
// passes it in as `pushOci`, so chart publishing does not depend on the registry client.
export class OciChartPublisher implements ChartPublisher {
  readonly kind = 'OCI' as const;

  constructor(
    readonly target: string,
    private readonly push: OciChartPush,
  ) {}

  /** Hands the package to the injected OCI push; its errors are wrapped to name the repository and chart. */
  async publish(pkg: ChartPackage): Promise<PublishResult> {
    try {
      await this.push(pkg);
    } catch (err) {
      if (err instanceof AirliftError) throw err;
      throw new ChartPublishError(this.target, `${pkg.name}-${pkg.version}`, (err as Error).message, err);
    }
    return { kind: this.kind, location: this.target, status: 'published' };
  }
}
