// Reads a V8 CPU profile (node --cpu-prof) and sums self time per function: where the process
// spent its time on its own code, not in what it called. Flame-graph tools show the same data.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  percent: number;
}

export function topSelfTime(file: string, count: number): SelfTime[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, { name: string; where: string; micros: number }>();
  let all = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)?.callFrame;
    // Time spent waiting (for Postgres, for the next request) is not work: percentages are of
    // the time the process was busy.
    if (!frame || frame.functionName === '(idle)') return;
    all += micros;
    const where = source(frame);
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = totals.get(key) ?? { name, where, micros: 0 };
    entry.micros += micros;
    totals.set(key, entry);
  });
  return [...totals.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, count)
    .map(({ name, where, micros }) => ({ name, where, percent: (micros / all) * 100 }));
}

const maps = new Map<string, SourceMap | undefined>();

// The API runs as a bundle: its source map says which file (and package) a function came from.
function source(frame: ProfileNode['callFrame']): string {
  if (!frame.url.startsWith('file:')) return frame.url || '(native)';
  const file = fileURLToPath(frame.url);
  if (!maps.has(file)) {
    const mapFile = `${file}.map`;
    maps.set(
      file,
      existsSync(mapFile)
        ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload)
        : undefined,
    );
  }
  const entry = maps.get(file)?.findEntry(frame.lineNumber, frame.columnNumber);
  if (entry && 'originalSource' in entry) {
    return `${shorten(entry.originalSource)}:${entry.originalLine + 1}`;
  }
  return `${shorten(frame.url)}:${frame.lineNumber + 1}`;
}

// node_modules paths say which package a function belongs to.
function shorten(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const apps = url.indexOf('/apps/');
  return apps >= 0 ? url.slice(apps + 1) : url;
}

/** Self time summed by package (or by Node's own code, or ours), the coarse view of the same profile. */
export function selfTimeByPackage(
  file: string,
  count: number,
): { name: string; percent: number }[] {
  const totals = new Map<string, number>();
  for (const { where, percent } of topSelfTime(file, Number.POSITIVE_INFINITY)) {
    const name = packageOf(where);
    totals.set(name, (totals.get(name) ?? 0) + percent);
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, percent]) => ({ name, percent }));
}

function packageOf(where: string): string {
  if (where.startsWith('node:')) return 'node (its own JavaScript)';
  if (where === '(native)') return '(native: syscalls, GC, idle)';
  const [first = '', second = ''] = where.split('/');
  if (first.startsWith('@')) return `${first}/${second}`;
  if (first === 'src' || first === 'apps' || first === 'packages') return 'shipshape';
  return first.replace(/:\d+$/, '');
}
