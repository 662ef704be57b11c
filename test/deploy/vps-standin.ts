// A container that plays the VPS for `pnpm test:deploy`: sshd with its own host key, a deploy
// account with a key made here, and the machine's container engine behind /var/run/docker.sock
// (vps-standin/Dockerfile). Deploys reach it only through SSH, as CI reaches a real server.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const standinImage = 'localhost/shipshape-test-vps:bookworm';
const name = 'shipshape-test-vps';

export interface Standin {
  host: string;
  port: number;
  user: string;
  /** The private key CI would hold as VPS_SSH_KEY. */
  key: string;
  /** The pinned host key, as VPS_KNOWN_HOSTS. */
  knownHosts: string;
  /** Runs a command on the server as the deploy account, with optional input. */
  exec: (command: string, input?: string) => string;
  remove: () => void;
}

export function docker(args: string[], input?: string): string {
  return execFileSync('docker', args, { encoding: 'utf8', input, stdio: 'pipe' });
}

/** Builds the image (cached after the first time) from a context with the docker CLI in it. */
export function buildStandin(scratch: string): void {
  const context = join(scratch, 'standin');
  cpSync(join(import.meta.dirname, 'vps-standin'), context, { recursive: true });
  const cli = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
  copyFileSync(cli, join(context, 'docker'));
  const result = spawnSync('docker', ['build', '-q', '-t', standinImage, context], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`building the VPS stand-in failed:\n${result.stderr}`);
}

/**
 * Starts the stand-in with the engine's socket (from DOCKER_HOST) mounted, publishes its SSH port
 * on the loopback, installs a fresh deploy key and pins the host key the way
 * deploy/targets/README.md tells a team to: ssh-keyscan, then the fingerprint compared with the
 * server's own file.
 */
export function startStandin(scratch: string, engineEnv: Record<string, string>): Standin {
  removeContainer();
  const socket = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(
    /^unix:\/\//,
    '',
  );
  docker([
    'run',
    '--detach',
    '--name',
    name,
    '--publish',
    '127.0.0.1::22',
    '--volume',
    `${socket}:/run/engine.sock`,
    ...Object.entries(engineEnv).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    standinImage,
  ]);
  const exec = (command: string, input?: string) =>
    docker(
      ['exec', '-u', 'deploy', ...(input === undefined ? [] : ['-i']), name, 'sh', '-c', command],
      input,
    );
  const port = Number(docker(['port', name, '22/tcp']).trim().split(':').pop());

  const keyDir = join(scratch, 'ssh');
  mkdirSync(keyDir, { mode: 0o700 });
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'ci',
    '-f',
    join(keyDir, 'ci'),
  ]);
  exec(
    'cat > ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys',
    readFileSync(join(keyDir, 'ci.pub'), 'utf8'),
  );

  const knownHosts = keyscan(port);
  const fingerprint = (text: string) =>
    execFileSync('ssh-keygen', ['-lf', '-'], { input: text, encoding: 'utf8' }).split(' ')[1];
  const own = exec('cat /etc/ssh/ssh_host_ed25519_key.pub');
  if (fingerprint(knownHosts) !== fingerprint(own)) {
    throw new Error(`ssh-keyscan saw another host key than the server's own:\n${knownHosts}`);
  }
  return {
    host: '127.0.0.1',
    port,
    user: 'deploy',
    key: readFileSync(join(keyDir, 'ci'), 'utf8'),
    knownHosts,
    exec,
    remove: removeContainer,
  };
}

/** sshd takes a moment to listen: asks until it answers with its ed25519 key. */
function keyscan(port: number): string {
  for (let attempt = 0; attempt < 30; attempt += 1) {
    const result = spawnSync('ssh-keyscan', ['-p', String(port), '-t', 'ed25519', '127.0.0.1'], {
      encoding: 'utf8',
    });
    if (result.stdout.includes('ssh-ed25519')) return result.stdout.trim();
    execFileSync('sleep', ['1']);
  }
  throw new Error(`sshd in ${name} did not answer on port ${port}`);
}

function removeContainer(): void {
  spawnSync('docker', ['rm', '--force', name], { stdio: 'ignore' });
}
