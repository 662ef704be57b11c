// waitUntilReady against a real server that takes a while to be ready, and against nothing.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntilReady } from '../src/wait-until-ready';

let answers = 0;
const server = http.createServer((_req, res) => {
  answers += 1;
  res.statusCode = answers < 3 ? 503 : 200;
  res.end();
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
afterAll(() => {
  server.close();
});

describe('waitUntilReady', () => {
  it('resolves once the URL answers 200, after answers that were not', async () => {
    await waitUntilReady(`http://127.0.0.1:${port}/healthz`, 5_000);
    expect(answers).toBe(3);
  });

  it('rejects, naming the URL, when nothing answers in time', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/healthz`;
    closed.close();
    await expect(waitUntilReady(url, 500)).rejects.toThrow(`${url} did not answer within 0.5 s`);
  });
});
