import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeProfiles, type CpuProfile, type FindOrigin } from './summarize.js';

const BUNDLE = 'file:///opt/airlift/dist/airlift.mjs';

// Lines of the bundle and the sources they came from, as the bundle's source map would say.
const ORIGINS: Record<number, string> = {
  10: '../agent/pieces/piece-store.ts',
  20: '../node_modules/@grpc/grpc-js/build/src/call.js',
  30: '../shared/data-plane/piece-frames.ts',
};
const findOrigin: FindOrigin = (line) =>
  ORIGINS[line] === undefined ? {} : { originalSource: ORIGINS[line] };

const frame = (id: number, functionName: string, url: string, lineNumber = 0, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber, columnNumber: 0 },
  children,
});

// (root) → write (piece-store) → send (grpc-js) → writeBuffer (native)
//        → onData (grpc-js, from the event loop) → parse (piece-frames)
//        → (garbage collector), (idle), processTicksAndRejections (node:internal)
const PROFILE: CpuProfile = {
  nodes: [
    frame(1, '(root)', '', 0, [2, 5, 7, 8, 9]),
    frame(2, 'write', BUNDLE, 10, [3]),
    frame(3, 'send', BUNDLE, 20, [4]),
    frame(4, 'writeBuffer', ''),
    frame(5, 'onData', BUNDLE, 20, [6]),
    frame(6, 'parse', BUNDLE, 30),
    frame(7, '(garbage collector)', ''),
    frame(8, '(idle)', ''),
    frame(9, 'processTicksAndRejections', 'node:internal/process/task_queues'),
  ],
  samples: [4, 4, 3, 2, 5, 6, 7, 8, 8, 9, 1],
  timeDeltas: [100, 100, 50, 25, 10, 40, 30, 500, 500, 5, 0],
};

describe('cpu profile summary', () => {
  const summary = summarizeProfiles([PROFILE, PROFILE], findOrigin);
  const stage = new Map(summary.byStage);
  const fn = new Map(summary.byFunction);

  it('counts idle apart from the time the thread ran', () => {
    assert.equal(summary.idleUs, 2 * 1000);
    assert.equal(summary.runningUs, 2 * (100 + 100 + 50 + 25 + 10 + 40 + 30 + 5));
  });

  it("charges native and dependency frames to the nearest frame of airlift's own code above them", () => {
    // writeBuffer (native) and send (grpc-js) ran for piece-store's write.
    assert.equal(stage.get('agent/pieces/piece-store.ts'), 2 * (100 + 100 + 50 + 25));
    assert.equal(stage.get('shared/data-plane/piece-frames.ts'), 2 * 40);
  });

  it('names a dependency by its package when no own frame is above it, and Node categories as such', () => {
    assert.equal(stage.get('node_modules/@grpc/grpc-js'), 2 * 10);
    assert.equal(stage.get('(garbage collector)'), 2 * 30);
    assert.equal(stage.get('node:internal/process/task_queues'), 2 * 5);
    assert.equal(stage.has('(idle)'), false);
  });

  it('keeps self time by function, largest first', () => {
    assert.equal(fn.get('writeBuffer native writeBuffer'), 2 * 200);
    assert.equal(fn.get('send node_modules/@grpc/grpc-js'), 2 * 50);
    assert.deepEqual(summary.byFunction[0], ['writeBuffer native writeBuffer', 400]);
    const shares = summary.byStage.map(([, us]) => us);
    assert.deepEqual(
      shares,
      [...shares].sort((a, b) => b - a),
    );
  });
});
