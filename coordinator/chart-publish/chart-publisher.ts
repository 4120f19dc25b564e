import type { Logger } from 'pino';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import type { ChartRepoConfig, ChartRepoKind } from '../../shared/reference/index.js';
import { LocalChartPublisher } from './local-publisher.js';
import { MuseumChartPublisher, chartMuseumEndpoint, harborEndpoint } from './museum-publisher.js';
import { OciChartPublisher, type OciChartPush } from './oci-publisher.js';
import type { ChartPackage } from './package-chart.js';

/** What one publish did. */
export interface PublishResult {
  readonly kind: ChartRepoKind;
  /** Where the chart now is: a file path or an endpoint URL, never with credentials. */
  readonly location: string;
  /** `already-present` when the repository refused the upload because it holds that version (HTTP 409). */
  readonly status: 'published' | 'already-present';
}

/** Uploads a packaged chart to one chart repository. */
export interface ChartPublisher {
  readonly kind: ChartRepoKind;
  /** The repository as configured (URL or path), for messages. */
  readonly target: string;
  publish(pkg: ChartPackage): Promise<PublishResult>;
}

export interface PublisherOptions {
  /** The config file, named in ConfigInvalidError (default `load-image.yaml`). */
  readonly configFile?: string;
  /** The OCI push, wired by the caller; required for kind OCI. */
  readonly pushOci?: OciChartPush;
  readonly logger?: Logger;
  /** Per-request timeout for HTTP repositories (default 120 s). */
  readonly timeoutMs?: number;
  /** Clock for index.yaml `created`/`generated` (tests pin it). */
  readonly now?: () => Date;
}

/** The publisher for `target.repo` of a load-image.yaml; a config that cannot work is a ConfigInvalidError. */
export function createChartPublisher(repo: ChartRepoConfig, options: PublisherOptions = {}): ChartPublisher {
  const file = options.configFile ?? 'load-image.yaml';
  const need = (value: string | undefined, field: 'url' | 'path', example: string): string => {
    if (value === undefined || value === '') {
      throw new ConfigInvalidError(
        file,
        `target.repo.${field}`,
        `is required for kind ${repo.kind} (${example})`,
      );
    }
    return value;
  };
  const http = {
    ...(repo.auth === undefined ? {} : { auth: repo.auth }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    timeoutMs: options.timeoutMs ?? 120_000,
  };
  switch (repo.kind) {
    case 'LOCAL':
      return new LocalChartPublisher(
        need(repo.path, 'path', 'e.g. /srv/charts'),
        options.now ?? (() => new Date()),
      );
    case 'CHARTMUSEUM': {
      const url = need(repo.url, 'url', 'e.g. http://chartmuseum.example:8080');
      return new MuseumChartPublisher('CHARTMUSEUM', url, chartMuseumEndpoint(url, file), http);
    }
    case 'HARBOR': {
      const url = need(repo.url, 'url', 'e.g. https://harbor.example/chartrepo/PROJECT');
      return new MuseumChartPublisher('HARBOR', url, harborEndpoint(url, file), http);
    }
    case 'OCI': {
      const url = need(repo.url, 'url', 'e.g. oci://registry.example/charts');
      if (options.pushOci === undefined) {
        throw new ConfigInvalidError(
          file,
          'target.repo.kind',
          'OCI chart publishing is not available in this build',
        );
      }
      return new OciChartPublisher(url, options.pushOci);
    }
    case 'JFROG':
      throw new ConfigInvalidError(
        file,
        'target.repo.kind',
        'JFROG is not supported by airlift sync; use LOCAL, CHARTMUSEUM, HARBOR or OCI',
      );
  }
}
