import { Writable } from 'node:stream';
import { useTestDatabase } from '@shipshape/db/testing';
import { createLogger } from '@shipshape/logger';
import { describe, expect, it } from 'vitest';
import { buildTestApp, signedUpAgent } from './helpers';
import { upload } from './upload';

useTestDatabase();

function capturedMessages() {
  const messages: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString('utf8')) as {
        msg?: string;
        req?: { url?: string };
        res?: unknown;
      };
      // Only the access log's own lines: the ones that also describe the response.
      if (line.res && line.req) messages.push(`${line.msg ?? ''} | ${line.req.url ?? ''}`);
      done();
    },
  });
  return {
    logger: createLogger({ isLocal: false, logLevel: 'info' }, 'api', destination),
    messages,
  };
}

describe('the access log', () => {
  it('names the full path and the route pattern, never the query string', async () => {
    const { logger, messages } = capturedMessages();
    const app = buildTestApp({}, { logger });
    const { agent } = await signedUpAgent(app);
    const file = await upload(agent, { name: 'a.txt', bytes: Buffer.from('hi\n') });
    await agent.get(file.contentUrl).query({ token: 'secret-token' }).expect(200);
    await agent.get('/api/notes/not-an-id').expect(404);
    await agent.get('/api/notes').query({ cursor: 'secret-cursor' }).expect(400);

    expect(messages).toEqual([
      expect.stringMatching(/^POST \/api\/auth\/register 201 \d+ ms \| \/api\/auth\/register$/),
      expect.stringMatching(/^POST \/api\/files\/uploads 201 \d+ ms \| \/api\/files\/uploads$/),
      expect.stringMatching(
        /^POST \/api\/files\/uploads\/[\w-]+\/parts \(\/api\/files\/uploads\/:id\/parts\) 200 \d+ ms \| \/api\/files\/uploads\/[\w-]+\/parts$/,
      ),
      expect.stringMatching(
        /^POST \/api\/files\/uploads\/[\w-]+\/complete \(\/api\/files\/uploads\/:id\/complete\) 201 \d+ ms \| \/api\/files\/uploads\/[\w-]+\/complete$/,
      ),
      expect.stringMatching(
        /^GET \/api\/files\/[\w-]+\/content \(\/api\/files\/:id\/content\) 200 \d+ ms \| \/api\/files\/[\w-]+\/content$/,
      ),
      expect.stringMatching(
        /^GET \/api\/notes\/not-an-id \(\/api\/notes\/:id\) 404 \d+ ms \| \/api\/notes\/not-an-id$/,
      ),
      expect.stringMatching(/^GET \/api\/notes 400 \d+ ms \| \/api\/notes$/),
    ]);
    expect(messages.join('\n')).not.toMatch(/secret/);
  });
});
