import type { Logger } from 'pino';
import type { ArchiveAccess, PieceSource } from '../../shared/data-plane/index.js';
import type { PieceManifest } from '../../shared/pieces/index.js';
import { PieceStore } from '../pieces/index.js';

/** Where the agent's gRPC endpoint offers pieces to peers. */
export interface PieceRegistry {
  registerPieces(archiveId: string, source: PieceSource, access: ArchiveAccess): void;
  unregister(archiveId: string): boolean;
}

/**
 * The agent's on-disk piece stores. It keeps the latest archive (to resume an interrupted transfer and
 * to keep serving peers after its own import finished) and removes older ones when a new archive comes.
 */
export class PieceShelf {
  private current: PieceStore | undefined;

  constructor(
    private readonly dir: string,
    private readonly registry: PieceRegistry,
    private readonly logger: Logger,
  ) {}

  /** The store for `manifest`'s archive, reopened from disk when an earlier attempt left one. */
  async open(manifest: PieceManifest): Promise<PieceStore> {
    const id = manifest.sha256.slice('sha256:'.length);
    if (this.current?.archiveId === id) return this.current;
    await this.discardCurrent();
    const store = await PieceStore.open(this.dir, manifest);
    if (store.count > 0 || store.droppedOnOpen > 0) {
      this.logger.info(
        { archiveId: id, have: store.count, dropped: store.droppedOnOpen },
        'resuming from pieces on disk',
      );
    }
    this.current = store;
    return store;
  }

  /** Offers the store's pieces to the peers `access` allows: those it holds at once, the rest as they arrive. */
  serve(store: PieceStore, access: ArchiveAccess): void {
    this.registry.registerPieces(
      store.archiveId,
      {
        pieceCount: store.pieceCount,
        piece: async (index, signal) => {
          await store.waitFor(index, signal);
          return store.read(index);
        },
        release: (data) => {
          store.release(data);
        },
      },
      access,
    );
  }

  /**
   * Offers only the pieces the store holds now: asked for one it lacks, the call fails at once. For a
   * job that ended without the whole archive (skipped, failed): a peer waiting on this node would
   * otherwise wait out its stall timeout for pieces that will never come.
   */
  serveHeld(store: PieceStore, access: ArchiveAccess): void {
    this.registry.registerPieces(
      store.archiveId,
      {
        pieceCount: store.pieceCount,
        piece: (index) => store.read(index),
        release: (data) => {
          store.release(data);
        },
      },
      access,
    );
  }

  /** Stops serving and closes the store (its files stay for the next attempt). */
  async close(): Promise<void> {
    if (this.current === undefined) return;
    this.registry.unregister(this.current.archiveId);
    await this.current.close();
    this.current = undefined;
  }

  /**
   * Stops serving `store` and deletes its files: after the spool disk filled up, a partial archive
   * left behind would keep the disk full for everything else on the node (the rule: load-images-job.ts).
   */
  async discard(store: PieceStore): Promise<void> {
    if (this.current === store) this.current = undefined;
    this.registry.unregister(store.archiveId);
    await store.remove();
    this.logger.warn(
      { archiveId: store.archiveId, path: store.path },
      'removed the partial spool of an archive',
    );
  }

  private async discardCurrent(): Promise<void> {
    const old = this.current;
    if (old === undefined) return;
    this.registry.unregister(old.archiveId);
    this.current = undefined;
    await old.remove();
    this.logger.info({ archiveId: old.archiveId }, 'removed the pieces of an older archive');
  }
}
