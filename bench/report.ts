// The bench's figures as a table for the terminal and as bench/results/latest.md, each next to
// its target. Targets are read, never asserted: on a shared machine a slow run is a fact to note.
import { cpus, loadavg, totalmem } from 'node:os';
import type { PageWeight } from '@shipshape/stack';
import { CONNECTIONS, type LoadResult } from './http';
import type { JobsResult } from './jobs';
import type { UploadResult } from './upload';

type Targets = 'ours' | 'raw' | 'express';

export interface BenchResults {
  when: Date;
  mode: 'full' | 'short';
  machine: ReturnType<typeof machine>;
  seconds: number;
  /** The rounds each target's seconds were cut into, taking turns with the other targets. */
  rounds: number;
  notes: number;
  http: Record<'caddy' | 'direct', Record<Targets, LoadResult>>;
  upload: UploadResult;
  jobs: JobsResult;
  /** Seconds from process start to the first 200 from /readyz, one per start. */
  startups: number[];
  /** The same with NODE_COMPILE_CACHE filled by an earlier start. */
  cachedStartups: number[];
  page: PageWeight;
}

export function machine() {
  const cores = cpus();
  return {
    cores: cores.length,
    cpu: cores[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    /** Load average when the run started: other work on the machine skews every figure. */
    load: loadavg()[0] ?? 0,
  };
}

const names: Record<Targets, string> = {
  ours: 'Shipshape API',
  raw: 'node:http + pg (ceiling)',
  express: 'bare Express + pg',
};
const MiB = 1024 ** 2;
const fixed = (n: number, digits = 2) => n.toFixed(digits);
const verdict = (met: boolean) => (met ? 'met' : 'missed');

export function renderReport(r: BenchResults) {
  const httpRows = (['caddy', 'direct'] as const).flatMap((via) =>
    (['ours', 'express', 'raw'] as const).map((name) => {
      const result = r.http[via][name];
      return [
        `${names[name]}${via === 'caddy' ? ' via Caddy' : ' direct'}`,
        fixed(result.requestsPerSecond, 0),
        `${result.p50} ms`,
        `${result.p99} ms`,
        fixed(result.requestsPerSecond / r.http[via].raw.requestsPerSecond),
        fixed(result.cpuMicros, 0),
        coresUsed(result),
        String(result.failures),
      ];
    }),
  );
  const ours = r.http.caddy.ours;
  const ceilingRatio = ours.requestsPerSecond / r.http.caddy.raw.requestsPerSecond;
  // What the API would reach, against the ceiling, on a machine where the server is what runs
  // out of CPU: the ratio of their CPU time per request.
  const cpuRatio = r.http.caddy.raw.cpuMicros / Math.max(ours.cpuMicros, 1);
  const rates = (['ours', 'raw', 'express'] as const).map((n) => r.http.caddy[n].requestsPerSecond);
  const caddyBound = Math.min(...rates) / Math.max(...rates) > 0.9;
  // The ceiling is CPU-bound on its own process when that process kept nearly a whole core busy
  // (its JavaScript runs on one thread, so one core is all it can use) and used more than
  // Postgres or Caddy: then nothing but its own work held it back. When it was a query plan
  // that sorted every row, Postgres took 1.4 cores and the ceiling 0.3.
  const ceiling = r.http.direct.raw.cores;
  const ceilingBound =
    ceiling.server >= 0.8 && ceiling.server > Math.max(ceiling.postgres, ceiling.caddy);
  const tail = ours.p99 / Math.max(ours.p50, 1);
  const uploadRatio = r.upload.viaProtocol / r.upload.direct;
  const startup = median(r.startups);
  const summary = [
    [
      'The ceiling (direct) is CPU-bound on its own process: near one core, more than Postgres',
      `${fixed(ceiling.server)} cores for it, ${fixed(ceiling.postgres)} Postgres, ${fixed(ceiling.load)} autocannon, ${fixed(ceiling.idle)} idle`,
      '≥ 0.8 core',
      ceilingBound ? 'met' : 'missed',
    ],
    [
      'API req/s ÷ ceiling, both via Caddy',
      fixed(ceilingRatio) +
        (caddyBound ? ' (all three within 10 %: Caddy or the machine was the limit)' : ''),
      '≥ 0.60',
      caddyBound ? 'not shown' : verdict(ceilingRatio >= 0.6),
    ],
    [
      'Ceiling CPU per request ÷ API CPU per request',
      fixed(cpuRatio),
      '≥ 0.50',
      verdict(cpuRatio >= 0.5),
    ],
    ['API p99 ÷ p50 via Caddy', fixed(tail, 1), '< 4', verdict(tail < 4)],
    [
      `Upload ${fixed(r.upload.bytes / MiB, 0)} MiB, browser protocol ÷ direct multipart to S3`,
      `${fixed(uploadRatio)} (${fixed(r.upload.viaProtocol / MiB, 0)} vs ${fixed(r.upload.direct / MiB, 0)} MiB/s; ${fixed(r.upload.partSize / MiB, 0)} MiB parts, ${r.upload.concurrency} at a time)`,
      '≥ 0.95',
      verdict(uploadRatio >= 0.95),
    ],
    [
      'API RSS growth during the upload',
      `${fixed(r.upload.rssGrowth / MiB, 1)} MB (from ${fixed(r.upload.rssBefore / MiB, 0)} MB)`,
      '< 10 MB',
      verdict(r.upload.rssGrowth < 10 * MiB),
    ],
    [
      'API CPU per GiB uploaded (it signs and records; the bytes go to S3)',
      `${fixed(r.upload.apiCpuSecondsPerGiB, 2)} s`,
      'reported',
      '',
    ],
    [
      `No-op jobs/s, 1 worker, concurrency ${r.jobs.concurrency}`,
      `${fixed(r.jobs.perSecond, 0)} (${r.jobs.jobs} jobs)`,
      '≥ 1,000',
      verdict(r.jobs.perSecond >= 1000),
    ],
    [
      'API start to /readyz 200 (median)',
      `${fixed(startup)} s (${r.startups.map((s) => fixed(s)).join(', ')})`,
      '< 0.5 s',
      verdict(startup < 0.5),
    ],
    [
      'The same with NODE_COMPILE_CACHE (median)',
      `${fixed(median(r.cachedStartups))} s (${r.cachedStartups.map((s) => fixed(s)).join(', ')})`,
      '< 0.5 s',
      verdict(median(r.cachedStartups) < 0.5),
    ],
    [
      'First page via Caddy, gzip',
      `${fixed(r.page.firstPageBytes / 1000, 1)} KB in ${r.page.firstPageRequests} requests`,
      '< 50 KB',
      verdict(r.page.firstPageBytes < 50_000),
    ],
  ];
  const httpHead = [
    'GET /api/notes?limit=20',
    'req/s',
    'p50',
    'p99',
    '÷ ceiling',
    'server CPU µs/req',
    'cores: server · Postgres · autocannon · Caddy · idle',
    'failed',
  ];
  const summaryHead = ['Measure', 'Result', 'Target', ''];
  const m = r.machine;
  const about =
    `${r.when.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${r.mode} run; ` +
    `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, load average ${fixed(m.load)} at the start`;
  const load = `autocannon, ${CONNECTIONS} connections, ${r.seconds} s per target in ${r.rounds} rounds taking turns, a user with ${r.notes.toLocaleString('en')} notes`;

  const table = [
    about,
    load,
    '',
    ...textTable(httpHead, httpRows),
    '',
    ...textTable(summaryHead, summary),
  ].join('\n');
  const markdown = [
    '# Benchmark results',
    '',
    `Written by \`pnpm bench\` (bench/index.ts): ${about}.`,
    '',
    `## HTTP: ${load}`,
    '',
    'The built API (APP_ENV=staging, LOG_LEVEL=info) with Postgres and Redis, against a raw',
    '`node:http` server and a bare Express route running the same single query, each behind the',
    'repository\'s Caddyfile (plain HTTP) and directly. "÷ ceiling" divides by the raw server on the',
    'same path. "server CPU µs/req" is the CPU time the server process used per request',
    '(from /proc): it barely moves with the load other programs put on the machine, where req/s does.',
    'When the three servers behind Caddy reach nearly the same req/s, Caddy (or a machine busy with',
    'other work) was the limit, not the servers: the CPU ratio then says more than the req/s ratio.',
    '"cores" is how many of the machine\'s cores each party kept busy during the run (CPU seconds',
    '÷ seconds), and how much was left idle: it says who the machine ran out of CPU for.',
    "Each target's seconds are cut into rounds that take turns with the other targets', so a",
    'few busy seconds on a shared machine land on every target alike rather than on the one',
    'running then; each figure is its rounds together (bench/http.ts, `combine`).',
    '',
    ...markdownTable(httpHead, httpRows),
    '',
    '## Against the targets',
    '',
    ...markdownTable(summaryHead, summary),
    '',
    'What each figure means, how it is measured and what the profile showed:',
    '[ADR 026](../../docs/decisions/026-api-performance-under-load.md).',
    '',
  ].join('\n');
  return { table, markdown };
}

function coresUsed({ cores }: LoadResult): string {
  return [cores.server, cores.postgres, cores.load, cores.caddy, cores.idle]
    .map((n) => fixed(n))
    .join(' · ');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function textTable(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function markdownTable(head: string[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)];
}
