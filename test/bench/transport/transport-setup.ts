import type { DataPlaneTls } from '../../../shared/data-plane/index.js';

/** What the bench's parent hands the sending process. */
export interface TransportBenchSetup {
  readonly mode: 'airlift' | 'airlift-file' | 'bare-tls';
  readonly sizeMiB: number;
  readonly pieceKiB: number;
  readonly archiveId: string;
  readonly serverTls: DataPlaneTls;
}
