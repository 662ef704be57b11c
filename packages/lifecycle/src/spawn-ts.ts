// Starts a TypeScript entry file as a process of its own, for the development tools (`pnpm dev`,
// the end-to-end server, the bench); tsx is a development dependency.
// - tsx runs as a loader inside that one process (`node --import tsx`), not as its CLI, which
//   starts the program in a second process and relays signals to it: the pid you hold is the
//   program itself, and a signal you send reaches it once.
// - `watch` is Node's own watch mode: on a change it restarts the program once the old process
//   has stopped, however long its graceful stop takes (`tsx watch` kills it after 5 s, and at
//   once when a second signal comes from anyone).
// - The process gets a process group of its own, so a Ctrl-C in the terminal reaches only the
//   parent, which then stops each child once: a child signalled by both would take the second
//   signal as "exit now".
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

export interface SpawnTsOptions {
  env?: NodeJS.ProcessEnv;
  /** Restart the program when a file it loaded changes. */
  watch?: boolean;
  /** No stdin by default: a process outside the terminal's foreground group may not read it. */
  stdio?: StdioOptions;
}

export interface TsProcess {
  /** The entry file, as given: names the process in messages. */
  readonly entry: string;
  readonly child: ChildProcess;
  /** Settles with the exit code (null when a signal ended the process) once it has exited. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` unless the process has exited already, and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnTs(
  entry: string,
  {
    env = process.env,
    watch = false,
    stdio = ['ignore', 'inherit', 'inherit'],
  }: SpawnTsOptions = {},
): TsProcess {
  const tsx = import.meta.resolve('tsx');
  const args = [...(watch ? ['--watch', '--watch-preserve-output'] : []), '--import', tsx, entry];
  const child = spawn(process.execPath, args, { env, stdio, detached: true });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      process.off('exit', killGroup);
      resolve(code);
    });
  });
  // Its own process group would let it outlive this process: a crash here must not leave a
  // server holding the port.
  function killGroup() {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }
  process.on('exit', killGroup);

  return {
    entry,
    child,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Stops every process at once (SIGTERM) and waits; rejects naming those that did not exit 0. */
export async function stopAll(processes: TsProcess[]): Promise<void> {
  const codes = await Promise.all(processes.map((process) => process.stop()));
  const failed = processes.filter((_, i) => codes[i] !== 0).map(({ entry }) => entry);
  if (failed.length > 0) throw new Error(`${failed.join(' and ')} did not stop cleanly`);
}
