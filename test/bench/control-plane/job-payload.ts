import { randomBytes } from 'node:crypto';

import { planSources, servesTo, type PlannedNode } from '../../../coordinator/upgrade/distribution-plan.js';
import type { LoadImagesPayloadInput } from '../../../shared/control/index.js';
import { toWirePieceManifest } from '../../../shared/pieces/index.js';

/** The job a node gets, shaped like upgrade-run's: an archive of `archiveMiB` in pieces, `images` references. */
export interface PayloadShape {
  readonly archiveMiB: number;
  readonly pieceMiB: number;
  readonly images: number;
  readonly timeoutMs: number;
}

const MiB = 1024 * 1024;
// Never dialled: agents of this bench fetch nothing.
const COORDINATOR_ADDRESS = '10.0.0.1:7481';

const hex = (): string => randomBytes(32).toString('hex');

/**
 * Builds payloadFor as `airlift upgrade` does: one piece manifest (random digests of the right count),
 * a retag plan, a docker manifest naming every image, and each node's sources from the product's own
 * planner (chain, the default mode) over the nodes' heartbeat addresses. Returns it and one job's size.
 */
export function payloadBuilder(
  targets: readonly PlannedNode[],
  shape: PayloadShape,
): { payloadFor: (node: string) => LoadImagesPayloadInput; references: number; pieces: number } {
  const size = shape.archiveMiB * MiB;
  const pieceSize = shape.pieceMiB * MiB;
  const pieces = Math.ceil(size / pieceSize);
  const id = hex();
  const manifest = toWirePieceManifest({
    pieceSize,
    size,
    sha256: `sha256:${id}`,
    pieces: Array.from({ length: pieces }, hex),
  });
  const entries = Array.from({ length: shape.images }, (_, i) => ({
    source: `release.daocloud.io/kairship/component-${i}:v0.21.0`,
    target: `10.6.0.1/kairship/component-${i}:v0.21.0`,
    configDigest: `sha256:${hex()}`,
  }));
  const dockerManifest = JSON.stringify(
    entries.map((entry) => ({
      Config: `blobs/sha256/${entry.configDigest.slice(7)}`,
      RepoTags: [entry.source, entry.target],
      Layers: Array.from({ length: 6 }, () => `blobs/sha256/${hex()}`),
    })),
  );
  const sources = planSources(targets, COORDINATOR_ADDRESS, 'chain');
  const serves = servesTo(sources);
  const payloadFor = (node: string): LoadImagesPayloadInput => ({
    archive: {
      id,
      size,
      sha256: `sha256:${id}`,
      format: 'go-containerregistry',
      entriesEnd: size - 1024,
      dockerManifest,
      manifest,
      stripes: sources.get(node) ?? [[{ address: COORDINATOR_ADDRESS, name: 'coordinator' }]],
      servesTo: serves.get(node) ?? [],
    },
    plan: { entries, unnamedImages: [] },
    skipIfVerified: true,
    timeoutMs: shape.timeoutMs,
  });
  return { payloadFor, references: entries.length, pieces };
}
