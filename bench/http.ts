// GET /api/notes?limit=20 under a fixed load: 32 connections for a fixed time, each target the
// same way, one after another, so the ratios compare like with like on the same machine.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
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
}

export const CONNECTIONS = 32;

export async function load(
  url: string,
  { seconds, cookie, serverPid }: { seconds: number; cookie: string; serverPid: number },
): Promise<LoadResult> {
  const cpuBefore = cpuSeconds(serverPid);
  const settings = { url, connections: CONNECTIONS, seconds, headers: { cookie } };
  const tsx = import.meta.resolve('tsx');
  const child = spawn(
    process.execPath,
    ['--import', tsx, 'bench/servers/load.ts', JSON.stringify(settings)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`autocannon exited with ${code}`);
  const cpu = cpuSeconds(serverPid) - cpuBefore;
  const result = JSON.parse(output) as Result;
  return {
    cpuMicros: (cpu / Math.max(result.requests.total, 1)) * 1e6,
    requestsPerSecond: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors, // errors include timeouts
  };
}

// utime and stime, the 14th and 15th fields of /proc/PID/stat (after the name in parentheses),
// in clock ticks of 1/100 s on Linux.
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
