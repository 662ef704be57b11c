// `pnpm bench --compare a,b,c`: builds of the API side by side, to say what one change buys. Each
// build (apps/api/.bench/dist/NAME/server.js, made by `pnpm exec tsup --out-dir .bench/dist/NAME`
// in apps/api) runs against the same database and user, directly (no Caddy), with the raw
// node:http server as the ceiling. `NAME+--flag` runs build NAME with a Node flag (what
// `--max-semi-space-size=32` buys, say). Rounds take turns, so a burst of other work on the machine
// lands on every build alike; the medians are printed.
import { load, type LoadResult } from './http';
import { seedUser, startApi, startBaseline, type RunningServer, type Stack } from './stack';

export async function compareBuilds(
  stack: Stack,
  builds: string[],
  {
    seconds,
    rounds,
    started,
    progress,
  }: {
    seconds: number;
    rounds: number;
    started: <T extends { stop: () => Promise<void> }>(thing: T) => T;
    progress: (line: string) => void;
  },
): Promise<void> {
  const servers: Record<string, RunningServer> = {};
  for (const build of builds) {
    const [name, ...nodeArgs] = build.split('+');
    servers[build] = started(
      await startApi(stack, { bundle: `apps/api/.bench/dist/${name}/server.js`, nodeArgs }),
    );
  }
  const first = servers[builds[0] ?? ''];
  if (!first) throw new Error('--compare needs the names of builds');
  const { cookie, userId } = await seedUser(stack, first.url, 10_000);
  servers.raw = started(await startBaseline(stack, 'raw', userId));

  const results: Record<string, LoadResult[]> = {};
  const url = (name: string) => `${servers[name]?.url ?? ''}/api/notes?limit=20`;
  for (const name of Object.keys(servers)) {
    await load(url(name), { seconds: 1, cookie, serverPid: servers[name]?.pid ?? 0 });
  }
  for (let round = 1; round <= rounds; round += 1) {
    for (const name of Object.keys(servers)) {
      const result = await load(url(name), { seconds, cookie, serverPid: servers[name]?.pid ?? 0 });
      (results[name] ??= []).push(result);
      progress(
        `round ${round}/${rounds} ${name}: ${result.requestsPerSecond.toFixed(0)} req/s, ` +
          `${result.cpuMicros.toFixed(0)} µs CPU per request`,
      );
    }
  }
  console.log('\nbuild            req/s (median)  ÷ raw   CPU µs/req (median)  p50   p99');
  const rawRate = median((results.raw ?? []).map((r) => r.requestsPerSecond));
  for (const [name, list] of Object.entries(results)) {
    const rate = median(list.map((r) => r.requestsPerSecond));
    console.log(
      `${name.padEnd(16)} ${rate.toFixed(0).padStart(14)}  ${(rate / rawRate).toFixed(2).padStart(5)}  ` +
        `${median(list.map((r) => r.cpuMicros))
          .toFixed(0)
          .padStart(19)}  ` +
        `${median(list.map((r) => r.p50))} ms  ${median(list.map((r) => r.p99))} ms`,
    );
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
