// GET /metrics: request latency by route pattern, the queue's depth and job durations read
// from the real BullMQ on Redis, and an answer even when Redis is stopped or frozen.
// Requests go over real sockets with client-side timeouts, so an answer that never comes fails.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@shipshape/db/testing';
import {
  createBullmqQueue,
  deleteKeysWithPrefix,
  jobSchemas,
  startBullmqWorker,
  UnrecoverableError,
  type JobHandlers,
} from '@shipshape/queue';
import { startOwnRedis } from '@shipshape/queue/testing';
import request from 'supertest';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { createMetrics, type MetricsOptions } from '../src/metrics';
import { buildTestApp, signedUpAgent } from './helpers';

useTestDatabase();
const CLIENT_TIMEOUT_MS = 5_000;
const retry = { attempts: 1, backoffMs: 10 };
const redisUrl = inject('redisUrl');

/** An app with metrics, listening on a real port; both stop when the test ends. */
async function serve(options: MetricsOptions = {}) {
  const metrics = createMetrics(options);
  const app = buildTestApp({}, { metrics });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    await new Promise((resolve) => server.close(resolve));
    await metrics.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { app, base };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Scrapes /metrics and parses Prometheus's text format, one sample per line. */
async function scrape(base: string): Promise<Sample[]> {
  const response = await fetch(`${base}/metrics`, {
    signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseSamples(await response.text());
}

function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]),
      );
      return { name: match[1] ?? '', labels, value: Number(match[3]) };
    });
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}) {
  return samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  find(samples, name, labels)[0]?.value;

describe('request latency', () => {
  it('counts a request under its route pattern, not its raw URL', async () => {
    const { app, base } = await serve();
    const { agent } = await signedUpAgent(app);
    const [first, second] = [randomUUID(), randomUUID()];
    // Two notes that do not exist: 404 from the route, thrown, answered by the error handler.
    await agent.get(`/api/notes/${first}`).timeout(CLIENT_TIMEOUT_MS).expect(404);
    await agent.get(`/api/notes/${second}`).timeout(CLIENT_TIMEOUT_MS).expect(404);
    await agent.get('/api/notes').timeout(CLIENT_TIMEOUT_MS).expect(200);
    await agent.post('/api/notes').send({}).timeout(CLIENT_TIMEOUT_MS).expect(400);
    await request(app).get('/no/such/page').timeout(CLIENT_TIMEOUT_MS).expect(404);

    const samples = await scrape(base);
    const count = (method: string, route: string, status_class: string) =>
      valueOf(samples, 'http_request_duration_seconds_count', { method, route, status_class });
    expect(count('GET', '/api/notes/:id', '4xx')).toBe(2);
    expect(count('GET', '/api/notes', '2xx')).toBe(1);
    expect(count('POST', '/api/notes', '4xx')).toBe(1);
    expect(count('POST', '/api/auth/register', '2xx')).toBe(1);
    expect(count('GET', 'unmatched', '4xx')).toBe(1);
    const routes = new Set(
      find(samples, 'http_request_duration_seconds_count').map((sample) => sample.labels.route),
    );
    expect(
      [...routes].filter((route) => route?.includes(first) || route?.includes('such')),
    ).toEqual([]);
  });
});

describe.skipIf(!redisUrl)('the queue', () => {
  const url = redisUrl ?? '';

  /** A queue under a prefix of its own on the shared Redis, removed when the test ends. */
  function ownQueue() {
    const prefix = `${inject('redisPrefix')}-metrics-${randomUUID()}`;
    const queue = createBullmqQueue({ connection: url, prefix, retry });
    onTestFinished(async () => {
      await queue.close();
      await deleteKeysWithPrefix(url, prefix);
    });
    return { prefix, queue };
  }

  it('reports the jobs waiting, and none active or failed', async () => {
    const { prefix, queue } = ownQueue();
    for (let i = 0; i < 3; i++) await queue.enqueue('process-file', { fileId: randomUUID() });
    const { base } = await serve({ redis: { url, prefix } });

    const samples = await scrape(base);
    expect(valueOf(samples, 'shipshape_queue_metrics_up')).toBe(1);
    expect(valueOf(samples, 'shipshape_queue_jobs', { state: 'waiting' })).toBe(3);
    expect(valueOf(samples, 'shipshape_queue_jobs', { state: 'active' })).toBe(0);
    expect(valueOf(samples, 'shipshape_queue_jobs', { state: 'failed' })).toBe(0);
  });

  it('times each job a worker runs, by name and outcome', async () => {
    const { prefix, queue } = ownQueue();
    const { base } = await serve({ redis: { url, prefix } });
    const handlers = Object.fromEntries(
      Object.keys(jobSchemas).map((name) => [name, () => Promise.resolve()]),
    ) as unknown as JobHandlers;
    handlers.cleanup = () => new Promise((resolve) => setTimeout(resolve, 50));
    handlers['export-data'] = () => Promise.reject(new UnrecoverableError('refused on purpose'));
    const worker = startBullmqWorker({ connection: url, prefix, handlers, retry });
    onTestFinished(() => worker.close());

    // The metrics start following the event stream a moment after the app is built: jobs are
    // added until one of each kind has been seen from start to end.
    let samples: Sample[] = [];
    const seen = () =>
      ['completed', 'failed'].every(
        (outcome) =>
          (valueOf(samples, 'shipshape_job_duration_seconds_count', {
            name: outcome === 'completed' ? 'cleanup' : 'export-data',
            outcome,
          }) ?? 0) >= 1,
      );
    for (let attempt = 0; attempt < 40 && !seen(); attempt++) {
      await queue.enqueue('cleanup', {});
      await queue.enqueue('export-data', { exportId: randomUUID() });
      await new Promise((resolve) => setTimeout(resolve, 250));
      samples = await scrape(base);
    }
    expect(seen()).toBe(true);
    const cleanupSeconds = valueOf(samples, 'shipshape_job_duration_seconds_sum', {
      name: 'cleanup',
      outcome: 'completed',
    });
    // The handler waits 50 ms; Redis stamps both ends in whole milliseconds.
    expect(cleanupSeconds).toBeGreaterThanOrEqual(0.04);
  });

  it('answers /metrics while Redis is stopped, and while it is frozen', async () => {
    const redis = await startOwnRedis();
    onTestFinished(() => redis.remove());
    const { base } = await serve({ redis: { url: redis.url, prefix: 'shipshape' } });
    let samples = await scrape(base);
    expect(valueOf(samples, 'shipshape_queue_metrics_up')).toBe(1);

    await redis.stop();
    samples = await scrape(base);
    expect(valueOf(samples, 'shipshape_queue_metrics_up')).toBe(0);
    // No made-up zeros: the depth is missing, not empty.
    expect(find(samples, 'shipshape_queue_jobs')).toEqual([]);
    expect(find(samples, 'http_request_duration_seconds_count').length).toBeGreaterThan(0);

    await redis.start();
    for (let attempt = 0; attempt < 50; attempt++) {
      samples = await scrape(base);
      if (valueOf(samples, 'shipshape_queue_metrics_up') === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(valueOf(samples, 'shipshape_queue_metrics_up')).toBe(1);

    redis.freeze();
    try {
      samples = await scrape(base);
      expect(valueOf(samples, 'shipshape_queue_metrics_up')).toBe(0);
    } finally {
      redis.thaw();
    }
  });
});
