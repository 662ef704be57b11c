// `pnpm test:guide`: phases 0 to 2 of docs/guide run as a reader runs them, in a fresh clone of
// this repository's HEAD (the guide's own `git clone`: commit what you want tested), in a
// terminal with none of Shipshape's settings. Every ```sh block runs in order; every `# →` line
// is checked against what the command printed (the conventions: test/guide/steps.ts and
// docs/guide/README.md). What the run made is removed at the end, even after a failure: the
// clone, the compose projects' containers, networks and volumes, and the images it tagged.
// Without a container engine, only phase 0 runs (as pnpm test:containers, it says so and skips).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { engineVersion, progress, run } from '../containers/compose';
import { blockSteps, missingLines, shellBlocks, type Step } from './steps';

const root = join(import.meta.dirname, '../..');
// `pnpm test:guide 0 1` runs only the pages whose names start with those prefixes.
const only = process.argv.slice(2);
const pages = ['0-laptop.md', '1-containers.md', '2-compose.md'].filter(
  (page) => only.length === 0 || only.some((prefix) => page.startsWith(prefix)),
);
// The clone's folder name, as the guide's `git clone … shipshape` gives it: also the name of
// the laptop compose project, which Compose takes from the folder.
const cloneName = 'shipshape';
// How long a command with `# →` lines is retried: longer while something keeps running (the
// first `docker compose up` builds two images before anything answers).
const patience = { alone: 120_000, withServer: 900_000 };

const scratch = await mkdtemp(join(tmpdir(), 'shipshape-guide-'));
const terminal = join(scratch, 'terminal.sh');
// `npm install -g` as the guide says, into the scratch folder instead of this machine's Node.
const npmPrefix = join(scratch, 'npm-global');
// The reader's terminal: this machine's environment without Shipshape's own settings (every
// variable .env.example names; CI sets DATABASE_URL and REDIS_URL, a newcomer has none).
const settings = new Set(
  [
    ...(await readFile(join(root, '.env.example'), 'utf8')).matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm),
  ].map((match) => match[1]),
);
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !settings.has(name))),
  PATH: `${npmPrefix}/bin:${process.env.PATH ?? ''}`,
  npm_config_prefix: npmPrefix,
};
const placeholders: Record<string, string> = { '<your fork>': root };
// The commands that keep running, until their Ctrl-C: one that exits before is a failure.
const servers: { script: string; child: ChildProcess; output: string; exited: boolean }[] = [];
const started = performance.now();

const engine = await engineVersion();
const runnable = engine ? pages : pages.filter((page) => page.startsWith('0'));
if (!engine)
  progress('No container engine answers: phase 0 only (phases 1 and 2 need Docker or podman).');
const composeV1 = engine !== undefined && !(await succeeds('docker', ['compose', 'version']));
if (composeV1) progress('No `docker compose` (v2) here: `docker-compose` (1.29) runs instead.');

const texts = await Promise.all(
  runnable.map((page) => readFile(join(root, 'docs/guide', page), 'utf8')),
);
const projects = [
  ...new Set([cloneName, ...[...texts.join('\n').matchAll(/ -p (\S+)/g)].map((m) => m[1] ?? '')]),
];
const imagesBefore = engine ? await imageNames() : [];
let lock: ChildProcess | undefined;
let failed = false;

try {
  await refuseBusyPorts(texts.join('\n'));
  if (engine) await refuseExistingProjects();
  await writeFile(terminal, `cd ${JSON.stringify(scratch)}\n`);
  for (const [index, page] of runnable.entries()) {
    // Containers are built and started from phase 1 on; one heavy container job at a time.
    if (!page.startsWith('0') && !lock) lock = await takeEngineLock();
    progress(`━━ docs/guide/${page}`);
    for (const block of shellBlocks(texts[index] ?? '')) {
      for (const step of blockSteps(block)) await runStep(step);
    }
    await stopServers();
  }
} catch (error) {
  failed = true;
  console.error(`\n${(error as Error).message}\n`);
} finally {
  await stopServers().catch((error: unknown) => console.error(String(error)));
  if (engine) await removeWhatWasMade();
  await rm(scratch, { recursive: true, force: true });
  lock?.stdin?.end();
}
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
console.log(
  failed
    ? `test:guide: FAILED after ${minutes} min`
    : `test:guide: ${runnable.join(', ')} passed in ${minutes} min`,
);
process.exitCode = failed ? 1 : 0;

async function runStep(step: Step) {
  if (step.kind === 'ctrl-c') return ctrlC(step.expect);
  const script = asTyped(step.script);
  progress(`$ ${script.trim().split('\n').join('\n        ')}`);
  if (step.kind === 'keeps-running') {
    startServer(script);
    return;
  }
  if (step.expect.length === 0) {
    const { code, output } = await shell(script, true);
    if (code !== 0) throw new Error(`exited with ${code}:\n${output.slice(-3000)}`);
    return;
  }
  const deadline = Date.now() + (servers.length > 0 ? patience.withServer : patience.alone);
  for (let attempt = 1; ; attempt += 1) {
    const { output } = await shell(script, false);
    const missing = missingLines(output, step.expect);
    if (missing.length === 0) return void process.stdout.write(indent(output));
    const gone = servers.find((server) => server.exited);
    if (Date.now() > deadline || gone)
      throw new Error(
        `${gone ? `\`${gone.script.trim()}\` stopped. ` : ''}Expected, not printed:\n` +
          `${missing.map((line) => `  # → ${line}`).join('\n')}\nPrinted:\n${indent(output)}`,
      );
    if (attempt % 10 === 0) progress(`  still waiting for: ${missing[0] ?? ''}`);
    await sleep(2000);
  }
}

/** The command as a reader types it: placeholders filled in, Compose v1 where v2 is missing. */
function asTyped(script: string): string {
  let typed = script;
  for (const [placeholder, value] of Object.entries(placeholders))
    typed = typed.replaceAll(placeholder, value);
  return composeV1 ? typed.replaceAll('docker compose', 'docker-compose') : typed;
}

/**
 * A command in the reader's terminal: it starts in the directory, and with the exported
 * variables, the last command left (a command that keeps running has a terminal of its own).
 */
function shellScript(script: string, { keep = true } = {}): string {
  const save = `{ export -p; printf 'cd %q\\n' "$PWD"; } > ${JSON.stringify(terminal)}`;
  const trap = keep ? `trap '${save.replaceAll("'", "'\\''")}' EXIT\n` : '';
  return `set -euo pipefail\nsource ${JSON.stringify(terminal)}\n${trap}${script}\n`;
}

async function shell(script: string, stream: boolean) {
  const child = spawn('bash', ['-c', shellScript(script)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = stripVTControlCharacters(chunk.toString());
    output += text;
    if (stream) process.stdout.write(indent(text));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}

/** A command that runs until Ctrl-C, in a process group of its own as a terminal would run it. */
function startServer(script: string) {
  const child = spawn('bash', ['-c', shellScript(script, { keep: false })], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = { script, child, output: '', exited: false };
  const collect = (chunk: Buffer) => {
    const text = stripVTControlCharacters(chunk.toString());
    server.output += text;
    process.stdout.write(text.replace(/^(?=.)/gm, '      │ '));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('close', () => (server.exited = true));
  servers.push(server);
}

/** Ctrl-C in the terminal of the last command that keeps running: SIGINT to its process group. */
async function ctrlC(expect: string[]) {
  const server = servers.at(-1);
  if (!server) throw new Error('# Ctrl-C, but nothing keeps running');
  progress(`Ctrl-C → ${server.script.trim()}`);
  await stop(server);
  const missing = missingLines(server.output, expect);
  if (missing.length > 0)
    throw new Error(
      `Expected after Ctrl-C, not printed:\n${missing.map((l) => `  # → ${l}`).join('\n')}`,
    );
}

async function stop(server: (typeof servers)[number]) {
  servers.splice(servers.indexOf(server), 1);
  if (server.exited || server.child.pid === undefined) return;
  const closed = once(server.child, 'close');
  process.kill(-server.child.pid, 'SIGINT');
  const timeout = sleep(120_000, 'timeout', { ref: false });
  if ((await Promise.race([closed, timeout])) === 'timeout') {
    process.kill(-server.child.pid, 'SIGKILL');
    throw new Error(`\`${server.script.trim()}\` did not stop within 120 s of Ctrl-C`);
  }
}

async function stopServers() {
  for (let server = servers.at(-1); server; server = servers.at(-1)) await stop(server);
}

/** A port the guide asks for that something else holds would answer the checks in its place. */
async function refuseBusyPorts(markdown: string) {
  const ports = new Set(
    [...markdown.matchAll(/(?:localhost|127\.0\.0\.1):(\d+)/g)].map((m) => Number(m[1])),
  );
  for (const port of ports) {
    const socket = connect(port, '127.0.0.1');
    const busy = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    });
    socket.destroy();
    if (busy) throw new Error(`Port ${port}, which the guide uses, is taken on this machine.`);
  }
}

/** Containers of a project with the guide's name belong to someone else: never ours to remove. */
async function refuseExistingProjects() {
  for (const project of projects) {
    if ((await containersOf(project)).length > 0)
      throw new Error(
        `Compose project ${project} already has containers here; the guide would reuse them.`,
      );
  }
}

async function removeWhatWasMade() {
  progress(`removing the compose projects ${projects.join(', ')} and the images this run tagged`);
  const label = (project: string) => `label=com.docker.compose.project=${project}`;
  for (const project of projects) {
    const containers = await containersOf(project);
    if (containers.length > 0)
      await quietly('docker', ['rm', '--force', '--volumes', ...containers]);
    for (const kind of ['network', 'volume']) {
      const names = lines(
        await quietly('docker', [kind, 'ls', '--quiet', '--filter', label(project)]),
      );
      if (names.length > 0) await quietly('docker', [kind, 'rm', ...names]);
    }
  }
  const made = (await imageNames()).filter(
    (name) => name.includes('shipshape') && !imagesBefore.includes(name),
  );
  if (made.length > 0) await quietly('docker', ['rmi', ...made]);
}

async function containersOf(project: string) {
  return lines(
    await quietly('docker', [
      'ps',
      '--all',
      '--quiet',
      '--filter',
      `label=com.docker.compose.project=${project}`,
    ]),
  );
}

async function imageNames() {
  return lines(await quietly('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']));
}

/** The engine lock other container jobs on this machine take too (flock(1)), held until the end. */
async function takeEngineLock(): Promise<ChildProcess> {
  progress('waiting for the container engine lock (/tmp/engine.lock)');
  const holder = spawn('flock', ['/tmp/engine.lock', 'sh', '-c', 'echo locked; exec cat'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await once(holder.stdout, 'data');
  return holder;
}

async function quietly(command: string, args: string[]) {
  return run(command, args, { env }).catch((error: unknown) => {
    console.error(String(error));
    return '';
  });
}

async function succeeds(command: string, args: string[]) {
  return run(command, args, { env }).then(
    () => true,
    () => false,
  );
}

function lines(text: string) {
  return text.split('\n').filter((line) => line.trim() !== '');
}
/** Output set off from the progress lines, ending in a newline even where the command's did not. */
function indent(text: string) {
  return text.replace(/^(?=.)/gm, '      ').replace(/(?<=[^\n])$/, '\n');
}
