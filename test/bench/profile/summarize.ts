/** The parts of a V8 .cpuprofile this summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
      readonly columnNumber: number;
    };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a position of the bundle came from (0-based line and column), as node:module's SourceMap says. */
export type FindOrigin = (line: number, column: number) => { originalSource?: string } | object;

/** CPU time (µs) by stage and by function, largest first. */
export interface ProfileSummary {
  readonly runningUs: number;
  readonly idleUs: number;
  /** Each sample under the nearest frame of airlift's own code, by its source file; else its category. */
  readonly byStage: readonly (readonly [string, number])[];
  /** Each sample by the function it was in (self time). */
  readonly byFunction: readonly (readonly [string, number])[];
}

type Node = CpuProfile['nodes'][number];

const BUNDLE = /airlift\.mjs$/;

/** Sums `profiles` by stage and by function; `findOrigin` maps positions in the bundle to sources. */
export function summarizeProfiles(profiles: readonly CpuProfile[], findOrigin: FindOrigin): ProfileSummary {
  const byStage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let runningUs = 0;
  let idleUs = 0;
  const sourceOf = memoSource(findOrigin);
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const ownFile = new Map<number, string | undefined>();
    const nearestOwn = (id: number): string | undefined => {
      if (ownFile.has(id)) return ownFile.get(id);
      const node = nodes.get(id);
      const source = node === undefined ? undefined : sourceOf(node);
      const parent = parents.get(id);
      const own =
        source !== undefined && !source.startsWith('node_modules/')
          ? source
          : parent === undefined
            ? undefined
            : nearestOwn(parent);
      ownFile.set(id, own);
      return own;
    };
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      const node = nodes.get(id);
      if (node === undefined) return;
      if (node.callFrame.functionName === '(idle)') {
        idleUs += us;
        return;
      }
      runningUs += us;
      const stage = nearestOwn(id) ?? category(node, sourceOf(node));
      byStage.set(stage, (byStage.get(stage) ?? 0) + us);
      const fn = `${node.callFrame.functionName || '(anonymous)'} ${sourceOf(node) ?? category(node, undefined)}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    });
  }
  const sorted = (map: Map<string, number>): [string, number][] => [...map].sort((a, b) => b[1] - a[1]);
  return { runningUs, idleUs, byStage: sorted(byStage), byFunction: sorted(byFunction) };
}

/** A frame's source file (node_modules/<package> for dependencies), when it ran in the bundle. */
function memoSource(findOrigin: FindOrigin): (node: Node) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (node) => {
    const { url, lineNumber, columnNumber } = node.callFrame;
    if (!BUNDLE.test(url)) return undefined;
    const key = `${lineNumber}:${columnNumber}`;
    if (cache.has(key)) return cache.get(key);
    const origin = findOrigin(lineNumber, columnNumber);
    const raw = 'originalSource' in origin ? origin.originalSource : undefined;
    const source = raw === undefined ? 'airlift.mjs (unmapped)' : tidy(raw);
    cache.set(key, source);
    return source;
  };
}

/** `../../agent/pieces/piece-store.ts` → `agent/pieces/piece-store.ts`; a dependency → its package. */
function tidy(source: string): string {
  const path = source.replace(/^(\.\.\/)+/, '').replace(/^file:\/\/\/work\/[^/]+\//, '');
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return dependency === null ? path : `node_modules/${dependency[1] ?? ''}`;
}

/** What a frame outside the bundle is: GC, native code, or one of Node's own modules. */
function category(node: Node, source: string | undefined): string {
  if (source !== undefined) return source;
  const { functionName, url } = node.callFrame;
  if (functionName.startsWith('(')) return functionName;
  if (url.startsWith('node:')) return url;
  if (url === '') return `native ${functionName}`;
  return url;
}
