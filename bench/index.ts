// `pnpm bench`: the claims the README makes about speed and memory, measured in one run on this
// machine and written to bench/results/latest.md. Every figure is a ratio against a baseline
// measured in the same run, because on a shared machine only ratios mean anything.
//   pnpm bench            the full run (8 s per HTTP target, a 1 GiB upload)
//   pnpm bench --short    the same, smaller (2 s per target, 64 MiB), for CI: printed, not judged
//   pnpm bench --profile  only a CPU profile of the API under load through Caddy, summarised
//   pnpm bench --compare a,b  builds of the API side by side (bench/compare.ts says how)
// It runs the built bundles: `pnpm build` first.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigOrExit } from '@shipshape/config';
import { firstPageWeight } from '@shipshape/stack';
import { format } from 'prettier';
import { compareBuilds } from './compare';
import { combine, load, type LoadResult } from './http';
import { measureJobs } from './jobs';
import { selfTimeByPackage, topSelfTime } from './profile';
import { machine, renderReport, type BenchResults } from './report';
import { root, seedUser, startApi, startBaseline, startCaddyFor, startStack } from './stack';
import { measureStartup } from './startup';
import { measureUpload } from './upload';

const short = process.argv.includes('--short');
const profiling = process.argv.includes('--profile');
const settings = short
  ? { seconds: 2, rounds: 2, warmup: 1, uploadBytes: 64 * 1024 ** 2, jobs: 3_000, starts: 3 }
  : { seconds: 8, rounds: 4, warmup: 2, uploadBytes: 1024 ** 3, jobs: 20_000, starts: 5 };
const NOTES = 10_000;

const began = performance.now();
const progress = (line: string) => {
  console.log(`[${((performance.now() - began) / 1000).toFixed(1).padStart(5)} s] ${line}`);
};

const config = loadConfigOrExit();
if (!config.databaseUrl || !config.redis.url) {
  console.error('pnpm bench needs DATABASE_URL and REDIS_URL (a Postgres and a Redis to use).');
  process.exit(1);
}
const stack = await startStack(config.databaseUrl, config.redis.url, progress);
const { cleanups } = stack;
const started = <T extends { stop: () => Promise<void> }>(thing: T): T => {
  cleanups.push(() => thing.stop());
  return thing;
};

const compare = process.argv[process.argv.indexOf('--compare') + 1];
try {
  if (profiling) await profile();
  else if (process.argv.includes('--compare') && compare) {
    await compareBuilds(stack, compare.split(','), {
      seconds: settings.seconds / 2,
      rounds: short ? 2 : 5,
      started,
      progress,
    });
  } else await bench();
} finally {
  await stack.stop();
}

async function bench() {
  const when = new Date();
  const load0 = machine();
  progress(`start-up: ${settings.starts} starts of the API bundle, to the first 200 from /readyz`);
  const startups = await measureStartup(stack, settings.starts);
  // Node's compile cache keeps V8's compiled bundle on disk between starts (the first start fills it).
  const cacheDir = await mkdtemp(join(tmpdir(), 'shipshape-compile-cache-'));
  cleanups.push(() => rm(cacheDir, { recursive: true, force: true }));
  progress('start-up again, with NODE_COMPILE_CACHE');
  const cachedStartups = (
    await measureStartup(stack, settings.starts + 1, { NODE_COMPILE_CACHE: cacheDir })
  ).slice(1);

  progress('starting the API, the two baselines and a Caddy in front of each');
  const ours = started(await startApi(stack));
  const { cookie, userId } = await seedUser(stack, ours.url, NOTES);
  const raw = started(await startBaseline(stack, 'raw', userId));
  const bare = started(await startBaseline(stack, 'express', userId));
  const caddies = {
    ours: started(await startCaddyFor(ours)),
    raw: started(await startCaddyFor(raw)),
    express: started(await startCaddyFor(bare)),
  };

  progress('first page through Caddy, gzip');
  const page = await firstPageWeight({ url: caddies.ours.url });

  const path = '/api/notes?limit=20';
  const servers = { ours, raw, express: bare };
  const targets = (
    [
      ['caddy', { ours: caddies.ours.url, raw: caddies.raw.url, express: caddies.express.url }],
      ['direct', { ours: ours.url, raw: raw.url, express: bare.url }],
    ] as const
  ).flatMap(([via, urls]) =>
    (['ours', 'raw', 'express'] as const).map((name) => ({
      via,
      name,
      url: `${urls[name]}${path}`,
      serverPid: servers[name].pid,
    })),
  );
  for (const { url, serverPid } of targets) {
    await load(url, { seconds: settings.warmup, cookie, serverPid });
  }
  // Each target's time is cut into rounds that take turns, so that whatever else the machine
  // does for a few seconds (a vacuum, another tenant of the host) falls on every target alike
  // instead of on the one that happened to run then: the ratios are what the bench claims.
  const rounds: Record<string, LoadResult[]> = {};
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const { via, name, url, serverPid } of targets) {
      const seconds = settings.seconds / settings.rounds;
      const result = await load(url, { seconds, cookie, serverPid });
      (rounds[`${via} ${name}`] ??= []).push(result);
      progress(
        `http round ${round}/${settings.rounds}: ${name} ${via === 'caddy' ? 'through Caddy' : 'direct'}, ` +
          describe(result),
      );
    }
  }
  const http = { caddy: {}, direct: {} } as BenchResults['http'];
  for (const { via, name } of targets) http[via][name] = combine(rounds[`${via} ${name}`] ?? []);

  const upload = await measureUpload({
    siteUrl: caddies.ours.url,
    cookie,
    apiPid: ours.pid,
    env: stack.env,
    bytes: settings.uploadBytes,
    progress,
  });
  const jobs = await measureJobs(stack, settings.jobs, progress);

  const results: BenchResults = {
    when,
    mode: short ? 'short' : 'full',
    machine: load0,
    seconds: settings.seconds,
    rounds: settings.rounds,
    notes: NOTES,
    http,
    upload,
    jobs,
    startups,
    cachedStartups,
    page,
  };
  const { table, markdown } = renderReport(results);
  console.log(`\n${table}\n`);
  // A short run is for CI's log; only a full run replaces the table the README links.
  const file = short
    ? join(tmpdir(), 'shipshape-bench-short.md')
    : join(root, 'bench/results/latest.md');
  // Formatted as `pnpm lint` expects, so a fresh table can be committed as it is.
  await writeFile(file, await format(markdown, { parser: 'markdown' }));
  progress(`written to ${file}`);
}

/** The API under load through Caddy with --cpu-prof, then its top functions by self time. */
async function profile() {
  const dir = await mkdtemp(join(tmpdir(), 'shipshape-profile-'));
  // `--build NAME`: a build made for --compare instead of apps/api/dist.
  const build = process.argv.includes('--build')
    ? `apps/api/.bench/dist/${process.argv[process.argv.indexOf('--build') + 1] ?? ''}/server.js`
    : undefined;
  const ours = await startApi(stack, {
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    ...(build && { bundle: build }),
  });
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const { cookie } = await seedUser(stack, ours.url, NOTES);
  const caddy = started(await startCaddyFor(ours));
  progress(`profiling the API under load through Caddy for ${settings.seconds * 2} s`);
  const result = await load(`${caddy.url}/api/notes?limit=20`, {
    seconds: settings.seconds * 2,
    cookie,
    serverPid: ours.pid,
  });
  progress(describe(result));
  await ours.stop(); // the profile is written as the process exits
  const [file] = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('the API wrote no profile');
  const profileFile = join(dir, file);
  console.log('\nself time  by package');
  for (const { name, percent } of selfTimeByPackage(profileFile, 15)) {
    console.log(`${percent.toFixed(1).padStart(8)} %  ${name}`);
  }
  console.log('\nself time  function  (where)');
  for (const { name, where, percent } of topSelfTime(profileFile, 30)) {
    console.log(`${percent.toFixed(1).padStart(8)} %  ${name}  (${where})`);
  }
}

function describe(result: LoadResult): string {
  return (
    `${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
    `${result.cpuMicros.toFixed(0)} µs CPU per request` +
    (result.failures ? `, ${result.failures} failed` : '')
  );
}
