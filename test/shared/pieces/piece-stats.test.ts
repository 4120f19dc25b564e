import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PieceStatsCounter, pieceStatsSchema } from '../../../shared/pieces/index.js';

describe('PieceStatsCounter', () => {
  it('counts pieces, bytes, corrupt pieces and pieces per source', () => {
    const stats = new PieceStatsCounter();
    assert.deepEqual(stats.snapshot(), {
      piecesReceived: 0,
      bytesReceived: 0,
      corruptPieces: 0,
      piecesFromSource: {},
    });
    stats.received('10.0.0.1:7070', 100);
    stats.received('10.0.0.2:7070', 50);
    stats.received('10.0.0.1:7070', 100);
    stats.corrupt();
    const snapshot = stats.snapshot();
    assert.deepEqual(snapshot, {
      piecesReceived: 3,
      bytesReceived: 250,
      corruptPieces: 1,
      piecesFromSource: { '10.0.0.1:7070': 2, '10.0.0.2:7070': 1 },
    });
    assert.deepEqual(pieceStatsSchema.parse(JSON.parse(JSON.stringify(snapshot))), snapshot);
    // A snapshot is a copy: later counting does not change it.
    stats.received('10.0.0.2:7070', 1);
    assert.equal(snapshot.piecesReceived, 3);
  });
});
