// The API replicas and workers of a stack: each a process that can be signalled, stopped and
// started again as a supervisor would, running either a built bundle (`node apps/api/dist/…`,
// as a deployment does) or a TypeScript entry file through tsx (spawnTs: its own process group,
// and Node's watch mode when asked).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { spawnTs, waitUntilReady } from '@shipshape/lifecycle';
import { bundles, root } from './bundles';

/** How the app's code runs: built bundles, TypeScript through tsx, or tsx restarted on save. */
export type Code = 'bundles' | 'source' | 'watch';

const entries = {
  bundles: { api: bundles.api, worker: bundles.worker },
  source: { api: 'apps/api/src/server.ts', worker: 'apps/worker/src/main.ts' },
};

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One API replica or worker, which a test may signal, stop and start again. */
export interface AppProcess {
  /** 'api-1', 'api-2', 'worker-1'… */
  name: string;
  /** The running process's id; undefined while stopped. */
  readonly pid: number | undefined;
  /** Sends a signal and returns: SIGKILL, SIGSTOP, SIGCONT. */
  signal(signal: NodeJS.Signals): void;
  /** Sends `signal` (default SIGTERM) and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  /** Starts it (again) with the same environment and port; an API replica is awaited on /readyz. */
  start(): Promise<void>;
}

export interface AppProcessOptions {
  name: string;
  role: 'api' | 'worker';
  code: Code;
  env: NodeJS.ProcessEnv;
  /** Receives every line it writes; default: its output goes to this process's own. */
  output?: (process: string, line: string) => void;
  /** For an API replica: its address, polled on /readyz after each start (except in watch mode). */
  url?: string;
  /** Called when it exits without having been asked to by `stop`. */
  onExit?: (process: string, exit: Exit) => void;
}

export function appProcess({
  name,
  role,
  code,
  env,
  output,
  url,
  onExit,
}: AppProcessOptions): AppProcess {
  let child: ChildProcess | undefined;
  let exited: Promise<Exit> | undefined;
  let stopping = false;
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const stdio = ['ignore', output ? 'pipe' : 'inherit', output ? 'pipe' : 'inherit'] as const;

  function spawnChild(): ChildProcess {
    if (code === 'bundles') {
      return spawn(process.execPath, [entries.bundles[role]], {
        cwd: root,
        env,
        stdio: [...stdio],
      });
    }
    return spawnTs(entries.source[role], { env, watch: code === 'watch', stdio: [...stdio] }).child;
  }

  async function start() {
    if (running()) return;
    stopping = false;
    const current = spawnChild();
    child = current;
    if (output) {
      for (const stream of [current.stdout, current.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', (line) => output(name, line));
      }
    }
    exited = once(current, 'exit').then(([code, signal]) => {
      const exit = { code: code as number | null, signal: signal as NodeJS.Signals | null };
      if (!stopping) onExit?.(name, exit);
      return exit;
    });
    // A watcher outlives a crash of its program (it waits for a fix): nothing to wait for here.
    if (url && code !== 'watch') await waitUntilReady(`${url}/readyz`, 30_000);
  }

  return {
    name,
    get pid() {
      return running() ? child?.pid : undefined;
    },
    signal(signal) {
      if (running()) child?.kill(signal);
    },
    async stop(signal = 'SIGTERM') {
      if (!child || !exited) return { code: null, signal: null };
      stopping = true;
      if (running()) {
        // A frozen process (SIGSTOP) would keep any other signal pending until it runs again.
        if (signal !== 'SIGKILL') child.kill('SIGCONT');
        child.kill(signal);
      }
      return exited;
    },
    start,
  };
}

/** What is about to start, as `pnpm dev` has always said it. */
export function describeProcesses(
  code: Code,
  replicas: number,
  workers: number,
  redis: boolean,
): string[] {
  const lines: string[] = [];
  if (replicas === 1) {
    lines.push(`Starting the API${code === 'watch' ? ' (reloads when you save a file)' : ''} ...`);
  } else if (replicas > 1) lines.push(`Starting ${replicas} API replicas ...`);
  if (workers > 0) {
    const worker = workers === 1 ? 'the worker' : `${workers} workers`;
    lines.push(`Starting ${worker} (jobs go through Redis) ...`);
  } else if (replicas > 0 && !redis) {
    lines.push("No REDIS_URL: the API runs the worker's job handlers in-process.");
  }
  return lines;
}
