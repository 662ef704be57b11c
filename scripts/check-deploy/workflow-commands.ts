// Every program a workflow's run: step calls exists when it runs: it is on the GitHub runner
// image, or an earlier step of the same job installed it (a setup action, apt-get, npm -g). A
// script of this repository that a step runs (deploy/targets/"$DEPLOY_TARGET".sh: every file
// that name can be) is read too, with the files it sources. A CLI that exists only on the
// laptop that wrote the workflow fails here instead of on the first deploy.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import { judge, type CheckResult } from '../check-result';
import { readScript, type SimpleCommand } from './shell';
import { readWorkflows, type Workflow } from './workflows';

/**
 * Programs on the ubuntu-24.04 runner image, from actions/runner-images
 * images/ubuntu/Ubuntu2404-Readme.md (image 20260816.277.1: "Installed Software" and "Installed
 * apt packages") and images/ubuntu/toolsets/toolset-2404.json (apt vital, common and cmd
 * packages), plus the commands of Ubuntu's essential packages (sed, grep, gzip, diffutils,
 * debianutils). Only what the workflows and their scripts use, or are likely to; add a program
 * only after finding it in that Readme.
 */
export const runnerPrograms = new Set([
  // Ubuntu itself: bash, coreutils, findutils and the essential packages.
  ...['bash', 'sh', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'mktemp', 'date', 'cut', 'tr', 'head'],
  ...['tail', 'sort', 'uniq', 'wc', 'tee', 'basename', 'dirname', 'sleep', 'chmod', 'chown'],
  ...['install', 'ln', 'ls', 'pwd', 'seq', 'sha256sum', 'base64', 'touch', 'realpath', 'stat'],
  ...['readlink', 'id', 'uname', 'nproc', 'du', 'df', 'env', 'find', 'xargs', 'sed', 'grep'],
  ...['awk', 'gzip', 'diff', 'which', 'hostname', 'sudo', 'apt-get', 'apt', 'dpkg', 'systemctl'],
  // Readme "Installed apt packages" and "Tools".
  ...['curl', 'wget', 'jq', 'yq', 'tar', 'unzip', 'zip', 'zstd', 'xz', 'bzip2', 'rsync'],
  ...['ssh', 'scp', 'ssh-keygen', 'ssh-keyscan', 'sshpass', 'openssl', 'shellcheck', 'dig'],
  ...['nc', 'ping', 'ip', 'git', 'docker', 'podman', 'buildah', 'skopeo', 'kubectl'],
  ...['kustomize', 'helm', 'gh', 'aws', 'az', 'gcloud', 'python3', 'python', 'pip', 'make'],
  // Readme "Language and Runtime": Node.js 22 with npm (actions/setup-node replaces them).
  ...['node', 'npm', 'npx'],
]);

/** What each setup action puts on PATH, from its action.yml and README at the pinned major. */
const setupActions: Record<string, string[]> = {
  'pnpm/action-setup': ['pnpm', 'pnpx'],
  'actions/setup-node': ['node', 'npm', 'npx', 'corepack'],
};

/** Commands of apt or npm packages whose name differs from the package's. */
const packagePrograms: Record<string, string[]> = {
  '@railway/cli': ['railway'], // its package.json "bin"
  '@render/cli': ['render'],
  'postgresql-client': ['psql', 'pg_dump', 'pg_restore'],
};

/** bash builtins and keywords that can start a command. */
const builtins = new Set([
  ...['set', 'echo', 'printf', 'exit', 'return', 'local', 'export', 'declare', 'readonly'],
  ...['cd', 'pushd', 'popd', ':', 'true', 'false', 'test', '[', 'read', 'shift', 'trap'],
  ...['umask', 'wait', 'eval', 'unset', 'let', 'break', 'continue', 'type', 'hash', 'getopts'],
  ...['mapfile', 'readarray', 'kill', 'shopt', 'ulimit', 'exec'],
]);

interface Context {
  root: string;
  installed: Set<string>;
  /** Scripts already read on this path, so a script that sources itself ends. */
  seen: Set<string>;
}

export function checkWorkflowCommands(root = join(import.meta.dirname, '..', '..')): CheckResult[] {
  const problems = readWorkflows(root).flatMap((w) => workflowProblems(root, w));
  return [
    judge('workflow commands: each is on the ubuntu-24.04 runner or installed by an earlier step', [
      ...new Set(problems),
    ]),
  ];
}

function workflowProblems(root: string, { path, doc, lines }: Workflow): string[] {
  const jobs = doc.get('jobs');
  if (!isMap(jobs)) return [];
  const problems: string[] = [];
  for (const { key, value: job } of jobs.items) {
    if (!isMap(job)) continue;
    const jobName = String(isScalar(key) ? key.value : key);
    const steps = job.get('steps');
    if (!isSeq(steps)) continue; // a job that calls a reusable workflow has its checks there
    const runner = job.get('runs-on');
    if (runner !== 'ubuntu-24.04' || job.has('container')) {
      problems.push(
        `${path}: job ${jobName} runs on ${String(runner)}${job.has('container') ? ' in a container' : ''}; the list of programs here is the ubuntu-24.04 runner's`,
      );
      continue;
    }
    const installed = new Set<string>();
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      const uses = step.get('uses');
      if (typeof uses === 'string') {
        const action = uses.replace(/@.*/, '').split('/').slice(0, 2).join('/');
        for (const program of setupActions[action] ?? []) installed.add(program);
      }
      const run = step.get('run', true);
      if (!isScalar(run)) continue;
      // A block scalar (run: |) starts on the line after the key.
      const first = lines.linePos(run.range?.[0] ?? 0).line;
      const offset = run.type?.startsWith('BLOCK') ? first : first - 1;
      const where = (line: number) => `${path}:${offset + line} (job ${jobName}${stepName(step)})`;
      problems.push(
        ...scriptProblems(String(run.value), { root, installed, seen: new Set() }, where),
      );
      for (const program of addedToPath(String(run.value))) installed.add(program);
    }
  }
  return problems;
}

function stepName(step: YAMLMap): string {
  const name = step.get('name');
  return typeof name === 'string' ? `, step "${name}"` : '';
}

/** The problems of one script, each placed by `where(line)`. */
function scriptProblems(text: string, context: Context, where: (line: number) => string): string[] {
  const script = readScript(text);
  const own = new Set(script.functions);
  const problems: string[] = [];
  for (const command of script.commands) {
    install(command, context.installed);
    const { name } = command;
    if (builtins.has(name)) continue;
    if (own.has(name) || runnerPrograms.has(name) || context.installed.has(name)) continue;
    if (name === 'source' || name === '.' || name.includes('/')) {
      const target = name === 'source' || name === '.' ? (command.args[0] ?? '') : name;
      for (const file of repositoryFiles(context.root, target)) {
        const text = readFileSync(join(context.root, file), 'utf8');
        // Functions of a sourced file are the caller's too.
        if (name === 'source' || name === '.')
          readScript(text).functions.forEach((f) => own.add(f));
        if (context.seen.has(file)) continue;
        const inner = { ...context, seen: new Set([...context.seen, file]) };
        problems.push(
          ...scriptProblems(
            text,
            inner,
            (line) => `${file}:${line} (run by ${where(command.line)})`,
          ),
        );
      }
      continue;
    }
    if (name.startsWith('$')) continue; // a program named by a variable: not knowable here
    problems.push(
      `${where(command.line)}: ${name} is neither on the ubuntu-24.04 runner image nor installed by an earlier step of the job`,
    );
  }
  return problems;
}

/** Adds what an install command (apt-get install, npm install -g, pnpm add -g) puts on PATH. */
function install(command: SimpleCommand, installed: Set<string>): void {
  const { name, args } = command;
  const words = args.filter((arg) => !arg.startsWith('-'));
  let packages: string[] = [];
  if ((name === 'apt-get' || name === 'apt') && words[0] === 'install') packages = words.slice(1);
  const global = args.includes('-g') || args.includes('--global');
  if (name === 'npm' && ['install', 'i', 'add'].includes(words[0] ?? '') && global) {
    packages = words.slice(1);
  }
  if (name === 'pnpm' && words[0] === 'add' && global) packages = words.slice(1);
  for (const spec of packages) {
    const pkg = spec.replace(/(.)@[^/]*$/, '$1').replace(/=.*$/, ''); // name@1.2.3, name=1.2-3
    for (const program of packagePrograms[pkg] ?? [pkg.replace(/^.*\//, '')])
      installed.add(program);
  }
}

/**
 * Programs a step puts on the PATH of the steps after it: it appends a folder to $GITHUB_PATH
 * (GitHub's workflow command for that), and runs, extracts or copies a program into that folder.
 */
function addedToPath(text: string): string[] {
  const { commands } = readScript(text);
  const folders = commands
    .filter((command) => command.writes.includes('$GITHUB_PATH'))
    .flatMap((command) => command.args.filter((arg) => arg.includes('/')));
  const placed = commands.flatMap((command): string[] => {
    if (command.name.includes('/')) return [command.name];
    const words = command.args.filter((arg) => !arg.startsWith('-'));
    if (command.name === 'tar') {
      const into = command.args[command.args.indexOf('-C') + 1];
      return command.args.includes('-C') && into ? words.slice(1).map((m) => `${into}/${m}`) : [];
    }
    return ['cp', 'mv', 'install', 'ln'].includes(command.name) ? words.slice(-1) : [];
  });
  return placed
    .filter((path) => folders.includes(path.replace(/\/[^/]*$/, '')))
    .map((path) => path.replace(/^.*\//, ''));
}

/** The repository's files that a command word names; a $VARIABLE part matches any name. */
function repositoryFiles(root: string, word: string): string[] {
  const path = word.replace(/^\.\//, '');
  if (!/[$*]/.test(path)) return existsSync(join(root, path)) ? [path] : [];
  const slash = path.lastIndexOf('/');
  const folder = path.slice(0, slash);
  if (/[$*]/.test(folder) || !existsSync(join(root, folder))) return [];
  const pattern = new RegExp(
    `^${path
      .slice(slash + 1)
      .split(/\$\{[^}]*\}|\$\w+|\$\(\)|\*/)
      .map((part) => part.replace(/[.+?^()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  );
  return readdirSync(join(root, folder))
    .filter((name) => pattern.test(name))
    .map((name) => relative(root, join(root, folder, name)));
}
