// What every AttemptCounter must do, run against both implementations: Postgres always, and
// Redis when the run has one (test/global-setup.ts).
import { randomUUID } from 'node:crypto';
import { connectDatabase } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import type { AttemptCounter, AttemptCounterOptions } from '../src/auth/attempts/counter';
import { createPostgresAttemptCounter } from '../src/auth/attempts/postgres';
import { connectRedisAttemptCounter } from '../src/auth/attempts/redis';

const database = useTestDatabase();

const { pool, db } = connectDatabase(database.url, { max: 2 });
afterAll(() => pool.end());
const redisUrl = inject('redisUrl');

const implementations: {
  name: string;
  available: boolean;
  create: (options: AttemptCounterOptions) => Promise<AttemptCounter>;
}[] = [
  {
    name: 'Postgres',
    available: true,
    create: (options) => Promise.resolve(createPostgresAttemptCounter(db, options)),
  },
  {
    name: 'Redis',
    available: redisUrl !== undefined,
    create: (options) => connectRedisAttemptCounter(redisUrl ?? '', options),
  },
];

// The windows below are whole seconds, the Redis store's unit (it expires keys with EX).
const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const implementation of implementations) {
  describe.skipIf(!implementation.available)(`${implementation.name} attempt counter`, () => {
    /** A counter under a prefix of its own (inside the run's Redis prefix that teardown removes). */
    async function counter(
      windowMs = 15 * MINUTE,
      prefix = `${inject('redisPrefix')}:${randomUUID()}:`,
    ) {
      const created = await implementation.create({ windowMs, prefix });
      onTestFinished(() => created.close());
      return created;
    }

    it('counts nothing for a key never hit', async () => {
      expect(await (await counter()).count('ip:192.0.2.1')).toEqual({ count: 0, resetsInMs: 0 });
    });

    it('counts hits per key, and says when the window that opened with the first one closes', async () => {
      const attempts = await counter(15 * MINUTE);
      expect((await attempts.hit('a')).count).toBe(1);
      expect((await attempts.hit('a')).count).toBe(2);
      const third = await attempts.hit('a');
      expect(third.count).toBe(3);
      expect(third.resetsInMs).toBeGreaterThan(14 * MINUTE);
      expect(third.resetsInMs).toBeLessThanOrEqual(15 * MINUTE);
      const read = await attempts.count('a');
      expect(read.count).toBe(3);
      expect(read.resetsInMs).toBeGreaterThan(14 * MINUTE);
      expect(await attempts.count('b')).toEqual({ count: 0, resetsInMs: 0 });
    });

    it('forgets a key on reset, and only that key', async () => {
      const attempts = await counter();
      await attempts.hit('a');
      await attempts.hit('b');
      await attempts.reset('a');
      expect((await attempts.count('a')).count).toBe(0);
      expect((await attempts.count('b')).count).toBe(1);
      expect((await attempts.hit('a')).count).toBe(1);
    });

    it('forgets the count once the window closes, and the next hit opens a new window', async () => {
      const attempts = await counter(1000);
      await attempts.hit('a');
      await attempts.hit('a');
      await sleep(1100);
      expect((await attempts.count('a')).count).toBe(0);
      const next = await attempts.hit('a');
      expect(next.count).toBe(1);
      expect(next.resetsInMs).toBeGreaterThan(0);
      expect(next.resetsInMs).toBeLessThanOrEqual(1000);
    });

    it('does not move the window on later hits', async () => {
      const attempts = await counter(2000);
      await attempts.hit('a');
      await sleep(1100);
      const later = await attempts.hit('a');
      expect(later.resetsInMs).toBeLessThanOrEqual(900);
      await sleep(1000);
      expect((await attempts.count('a')).count).toBe(0);
    });

    it('counts concurrent hits exactly, as replicas hitting one key at once would', async () => {
      const attempts = await counter();
      const results = await Promise.all(Array.from({ length: 20 }, () => attempts.hit('a')));
      expect(results.map((result) => result.count).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      expect((await attempts.count('a')).count).toBe(20);
    });

    it('shares counts between two counters on one store, and keeps them after one closes', async () => {
      const prefix = `${inject('redisPrefix')}:${randomUUID()}:`;
      const first = await counter(15 * MINUTE, prefix);
      const second = await counter(15 * MINUTE, prefix);
      await first.hit('a');
      await second.hit('a');
      await first.close();
      expect((await second.count('a')).count).toBe(2);
      const third = await counter(15 * MINUTE, prefix);
      expect((await third.count('a')).count).toBe(2);
    });

    it('keeps the counts of different prefixes apart', async () => {
      const one = await counter();
      const other = await counter();
      await one.hit('a');
      expect((await other.count('a')).count).toBe(0);
    });
  });
}
