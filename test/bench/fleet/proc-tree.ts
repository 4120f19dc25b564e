import { readdirSync, readFileSync } from 'node:fs';

/** Fields of /proc/PID/stat after the parenthesised name (which may hold spaces): state, ppid, … */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    // Exited while we looked.
    return undefined;
  }
}

/** Every live process's children, by parent pid. */
export function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]);
    if (Number.isNaN(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  return children;
}

/** `root` and all its descendants. */
export function treeOf(root: number, children: ReadonlyMap<number, readonly number[]>): number[] {
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * CPU ticks (USER_HZ, the unit of /proc/stat) spent by `root`'s tree: each live process's own time plus
 * the time of its children that have exited and been reaped, which the kernel adds to the parent.
 */
export function treeCpuTicks(root: number): number {
  let ticks = 0;
  for (const pid of treeOf(root, childrenByParent())) {
    const t = cpuTicksOf(pid);
    if (t !== undefined) ticks += t.utime + t.stime + t.cutime + t.cstime;
  }
  return ticks;
}

/** One process's CPU ticks: its own (utime, stime) and its reaped children's (cutime, cstime). */
function cpuTicksOf(
  pid: number,
): { utime: number; stime: number; cutime: number; cstime: number } | undefined {
  // Fields 14-17 of stat, 12-15 after the name.
  const fields = statFields(pid)?.slice(11, 15).map(Number);
  if (fields === undefined || fields.length < 4) return undefined;
  const [utime = 0, stime = 0, cutime = 0, cstime = 0] = fields;
  return { utime, stime, cutime, cstime };
}

/** CPU seconds of one process: its own (user + system) and that of its reaped children. */
export function cpuSecondsOf(pid: number): { self: number; children: number } | undefined {
  const t = cpuTicksOf(pid);
  return t === undefined
    ? undefined
    : { self: (t.utime + t.stime) / CLOCK_TICKS, children: (t.cutime + t.cstime) / CLOCK_TICKS };
}

// USER_HZ: 100 on every Linux build this runs on (sysconf(_SC_CLK_TCK)).
const CLOCK_TICKS = 100;
