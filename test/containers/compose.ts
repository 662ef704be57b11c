// Running docker and docker-compose for `pnpm test:containers`, with each command's output kept
// for the moment it fails, and a line of progress for each step a person waits on.
import { spawn } from 'node:child_process';

const started = performance.now();

/** One line of progress, stamped with the seconds since the run began. */
export function progress(line: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${seconds} s] ${line}`);
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Show the command's output as it comes (long builds); otherwise only when it fails. */
  stream?: boolean;
  /** Stop it after this long. */
  timeoutMs?: number;
}

/** Runs a command to its end; resolves with its stdout, rejects with its output when it fails. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    const timer = options.timeoutMs
      ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
      : undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
      if (options.stream) process.stdout.write(indent(chunk));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (options.stream) process.stdout.write(indent(chunk));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output.slice(-4000)}`),
        );
    });
  });
}

const indent = (chunk: Buffer) => chunk.toString().replace(/^(?=.)/gm, '      ');

/**
 * docker-compose for one project: v1 (`docker-compose`), which every engine here has; Compose v2
 * reads the same files. `options` go before the command (--env-file, --profile).
 */
export function composeProject(
  project: string,
  files: string[],
  options: string[] = [],
  env: NodeJS.ProcessEnv = {},
) {
  const base = ['-p', project, ...files.flatMap((file) => ['-f', file]), ...options];
  const compose = (args: string[], options: RunOptions = {}) =>
    run('docker-compose', [...base, ...args], { ...options, env: { ...env, ...options.env } });
  return {
    compose,
    /** Everything the project made, volumes included, gone; fine when nothing runs. */
    down: () => compose(['down', '--volumes', '--remove-orphans', '--timeout', '20']),
    /** The last lines each container logged: what to read when the smoke fails. */
    logs: () =>
      compose(['logs', '--no-color', '--tail', '40']).catch((error: unknown) => String(error)),
  };
}

/** Whether a Docker-compatible engine answers at DOCKER_HOST (or Docker's default socket). */
export async function engineVersion(): Promise<string | undefined> {
  try {
    const version = await run('docker', ['version', '--format', '{{.Server.Version}}'], {
      timeoutMs: 10_000,
    });
    return version.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** An image's size as the engine reports it, in MB (10^6 bytes, as `docker images` shows). */
export async function imageSizeMb(image: string): Promise<number> {
  const bytes = Number(await run('docker', ['image', 'inspect', '--format', '{{.Size}}', image]));
  return Math.round(bytes / 1e6);
}
