// GET /api/notes?limit=20 under a fixed load: 32 connections for a fixed time, each target the
// same way, one after another, so the ratios compare like with like on the same machine.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Result } from 'autocannon';
import { root } from './stack';

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Answers other than 200, and errors or timeouts: a fast failure is no result. */
  failures: number;
  /**
   * CPU time the server process spent per request (user + system), in microseconds. Unlike
   * req/s it hardly depends on what else the machine is doing: the figure to compare changes by.
   */
  cpuMicros: number;
  /**
   * Cores each party kept busy during the run (CPU seconds ÷ wall seconds): the server, Postgres
   * (all its processes), the load generator, Caddy, and whatever else ran; `idle` is what was left
   * of the machine. A ceiling is only a ceiling when its own process, not Postgres or the load
   * generator, is what the machine runs out of CPU for.
   */
  cores: { server: number; postgres: number; load: number; caddy: number; idle: number };
}

export const CONNECTIONS = 32;

/**
 * Rounds of one target, taken in turns with the others, as if they were one run: req/s, CPU per
 * request and cores averaged (the rounds last equally long; CPU weighted by requests), failures
 * added up, and the median round's latencies.
 */
export function combine(rounds: LoadResult[]): LoadResult {
  const mean = (pick: (r: LoadResult) => number) =>
    rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
  const middle = (pick: (r: LoadResult) => number) =>
    rounds.map(pick).sort((a, b) => a - b)[Math.floor(rounds.length / 2)] ?? 0;
  const requests = rounds.reduce((sum, r) => sum + r.requestsPerSecond, 0);
  return {
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    p50: middle((r) => r.p50),
    p99: middle((r) => r.p99),
    failures: rounds.reduce((sum, r) => sum + r.failures, 0),
    cpuMicros: rounds.reduce((sum, r) => sum + r.cpuMicros * r.requestsPerSecond, 0) / requests,
    cores: {
      server: mean((r) => r.cores.server),
      postgres: mean((r) => r.cores.postgres),
      load: mean((r) => r.cores.load),
      caddy: mean((r) => r.cores.caddy),
      idle: mean((r) => r.cores.idle),
    },
  };
}

export async function load(
  url: string,
  { seconds, cookie, serverPid }: { seconds: number; cookie: string; serverPid: number },
): Promise<LoadResult> {
  const settings = { url, connections: CONNECTIONS, seconds, headers: { cookie } };
  const tsx = import.meta.resolve('tsx');
  const child = spawn(
    process.execPath,
    ['--import', tsx, 'bench/servers/load.ts', JSON.stringify(settings)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const loadPid = child.pid ?? 0;
  let before = sample(serverPid, loadPid);
  let after = before;
  let output = '';
  // The child says `started` as the load begins, and prints its result once, when done: the
  // counters are read at those two moments, the second before its process is gone.
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'started') before = sample(serverPid, loadPid);
    else if (!output) {
      after = sample(serverPid, loadPid);
      output = line;
    }
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`autocannon exited with ${code}`);
  const result = JSON.parse(output) as Result;
  const wall = after.at - before.at;
  const cores = (key: 'server' | 'load') => (after[key] - before[key]) / wall;
  return {
    cpuMicros: ((after.server - before.server) / Math.max(result.requests.total, 1)) * 1e6,
    cores: {
      server: cores('server'),
      postgres: grew(before.postgres, after.postgres) / wall,
      load: cores('load'),
      caddy: grew(before.caddy, after.caddy) / wall,
      idle: (after.idle - before.idle) / wall,
    },
    requestsPerSecond: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors, // errors include timeouts
  };
}

/** CPU seconds used so far by each party, and the machine's idle seconds (all cores). */
function sample(serverPid: number, loadPid: number) {
  // Postgres and Caddy run as several processes, which come and go: kept per process, so a
  // backend that exits during the run does not take its past CPU out of the sum.
  const byName = (name: string) =>
    new Map(
      processes()
        .filter((pid) => commandName(pid) === name)
        .map((pid) => [pid, cpuSeconds(pid)]),
    );
  // /proc/stat's first line: time in each state summed over all cores, in ticks; idle is the
  // fourth figure, and iowait (the fifth) is idle too.
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
  return {
    at: performance.now() / 1000,
    server: cpuSeconds(serverPid),
    load: cpuSeconds(loadPid),
    postgres: byName('postgres'),
    caddy: byName('caddy'),
    idle: (Number(fields[4]) + Number(fields[5])) / 100,
  };
}

/** CPU seconds a group of processes used between two samples; a process new since counts whole. */
function grew(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0);
  return sum;
}

// utime and stime, the 14th and 15th fields of /proc/PID/stat (after the name in parentheses),
// in clock ticks of 1/100 s on Linux. A process gone meanwhile counts as nothing.
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function processes(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
