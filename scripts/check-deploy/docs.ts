// The commands the README, the guide and the deploy pages give (their shell blocks, the `$ `
// lines of their console blocks, and inline `docker compose …`, `pnpm …` and `deploy/…`
// commands) name what the scripts use: the compose project of an environment (deploy/vps/lib.sh),
// the package.json script a `pnpm` command runs, files that exist, images the page builds before
// it runs them, and the files the VPS keeps in its state folder. A reader who types a page's
// command by hand and then lets CI deploy must get the same stack. vps-docs.ts checks the rest
// of what the pages say about the VPS: look-alike project names in prose, the environment in a
// state folder or a deploy/vps/*.sh argument.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles } from './images';
import { judge, type CheckResult } from '../check-result';
import { readScript } from './shell';

/** What the VPS scripts name, read from deploy/vps/lib.sh and its siblings. */
export interface VpsFacts {
  environments: string[];
  /** shipshape-<env>, as a prefix. */
  projectPrefix: string;
  /** deploy/env/<env>.env, as prefix and suffix. */
  envFile: [string, string];
  /** /var/lib/shipshape/<env>, as a prefix. */
  stateDir: string;
  stateFiles: string[];
}

export interface Page {
  path: string;
  text: string;
}

/** pnpm's own commands (pnpm 10): `pnpm <one of these>` never runs a package.json script. */
const pnpmCommands = new Set([
  ...['add', 'install', 'i', 'update', 'up', 'remove', 'rm', 'link', 'ln', 'unlink', 'import'],
  ...['rebuild', 'rb', 'prune', 'fetch', 'install-test', 'it', 'patch', 'patch-commit', 'audit'],
  ...['list', 'ls', 'outdated', 'why', 'licenses', 'exec', 'dlx', 'create', 'publish', 'pack'],
  ...['deploy', 'store', 'root', 'bin', 'setup', 'init', 'config', 'doctor', 'env', 'dedupe'],
  ...['self-update', 'approve-builds'],
]);

const repositoryPath =
  /^(\.\/)?((deploy|scripts|infra|docs|apps|packages|\.github|\.railway|test|e2e|bench)\/\S*|docker-compose(\.prod)?\.yml|Caddyfile|Dockerfile|render\.yaml)$/;

export function checkDocs(root = join(import.meta.dirname, '..', '..')): CheckResult[] {
  const pages = [
    'README.md',
    ...listFiles(root, 'docs/guide', /\.md$/),
    ...listFiles(root, 'docs/deploy', /\.md$/),
  ].map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
  const facts = vpsFacts(root);
  const scripts = Object.keys(
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: object })
      .scripts ?? {},
  );
  return [
    judge(
      'docs commands: compose projects, pnpm scripts, paths, built images and VPS files agree with the scripts',
      'problem' in facts
        ? [facts.problem]
        : docProblems(pages, facts, scripts, (path) => existsSync(join(root, path))),
    ),
  ];
}

export function vpsFacts(root: string): VpsFacts | { problem: string } {
  const lib = readFileSync(join(root, 'deploy/vps/lib.sh'), 'utf8');
  const environments = /case "\$ENV_NAME" in\s*\n\s*([\w |]+)\)/
    .exec(lib)?.[1]
    ?.split('|')
    .map((e) => e.trim());
  const projectPrefix = /PROJECT=\$\{SHIPSHAPE_PROJECT:-([\w-]*)\$ENV_NAME\}/.exec(lib)?.[1];
  const envFile = /ENV_FILE=\$\{SHIPSHAPE_ENV_FILE:-\$ROOT\/([\w/.-]*)\$ENV_NAME([\w.]*)\}/.exec(
    lib,
  );
  const stateDir = /STATE_DIR=\$\{SHIPSHAPE_STATE_DIR:-([\w/.-]*)\$ENV_NAME\}/.exec(lib)?.[1];
  if (!environments || projectPrefix === undefined || !envFile || !stateDir) {
    return {
      problem:
        'deploy/vps/lib.sh: cannot read the environments, project, env file and state folder',
    };
  }
  const stateFiles = new Set<string>();
  for (const name of ['lib.sh', 'deploy.sh', 'rollback.sh', 'compose.sh']) {
    if (!existsSync(join(root, 'deploy/vps', name))) continue;
    const text = readFileSync(join(root, 'deploy/vps', name), 'utf8');
    for (const [, name = ''] of text.matchAll(/\$STATE_DIR\/([\w.-]+)/g)) stateFiles.add(name);
  }
  return {
    environments,
    projectPrefix,
    envFile: [envFile[1] ?? '', envFile[2] ?? ''],
    stateDir,
    stateFiles: [...stateFiles],
  };
}

interface Command {
  where: string;
  /** The command line, continuation lines joined. */
  line: string;
  /** Index of the block within its page: a `cd` earlier in the block moves later paths. */
  block: number;
  /** A shell block is what to type; a console block, what happened; prose, a mention. */
  kind: 'shell' | 'console' | 'prose';
}

/** The command lines of a page: shell blocks, `$ ` lines of console blocks, inline commands. */
export function pageCommands({ path, text }: Page): Command[] {
  const commands: Command[] = [];
  const lines = text.split('\n');
  let fence: string | undefined;
  let block = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const opening = /^\s*```(\w*)\s*$/.exec(line);
    if (opening && fence === undefined) {
      fence = opening[1] ?? '';
      block += 1;
      continue;
    }
    if (/^\s*```\s*$/.test(line) && fence !== undefined) {
      fence = undefined;
      continue;
    }
    const shell = fence !== undefined && ['sh', 'bash', 'shell'].includes(fence);
    const prompt = fence === 'console' && /^\s*\$ /.test(line);
    if (shell || prompt) {
      let joined = prompt ? line.replace(/^\s*\$ /, '') : line;
      const start = i;
      while (/\\\s*$/.test(joined) && i + 1 < lines.length)
        joined = `${joined.replace(/\\\s*$/, ' ')}${lines[++i]}`;
      commands.push({
        where: `${path}:${start + 1}`,
        line: joined,
        block,
        kind: shell ? 'shell' : 'console',
      });
    } else if (fence === undefined) {
      for (const match of line.matchAll(
        /(?<!`)`((?:docker[ -]compose|docker|pnpm|deploy\/)[^`]*)`(?!`)/g,
      )) {
        commands.push({
          where: `${path}:${i + 1}`,
          line: match[1] ?? '',
          block: -1 - i,
          kind: 'prose',
        });
      }
    }
  }
  return commands;
}

export function docProblems(
  pages: Page[],
  facts: VpsFacts,
  scripts: string[],
  exists: (path: string) => boolean,
): string[] {
  const problems: string[] = [];
  const projects: { where: string; name: string }[] = [];
  const started = new Set<string>();
  const envProject = (file: string) => {
    const [prefix, suffix] = facts.envFile;
    const env = facts.environments.find(
      (e) => file.replace(/^\.\//, '') === `${prefix}${e}${suffix}`,
    );
    return env === undefined ? undefined : `${facts.projectPrefix}${env}`;
  };
  for (const page of pages) {
    const commands = pageCommands(page);
    const created = createdPaths(commands);
    const built = builtImages(commands);
    const moved = new Set<number>();
    for (const { where, line, block, kind } of commands) {
      // Compose projects: read from the line, so `C="docker compose -p …"` counts too.
      if (/\bcompose\b/.test(line)) {
        const project = /(?:\s-p|--project-name)[\s=]+([^\s"'`]+)/.exec(line)?.[1];
        const envFile = /--env-file[\s=]+([^\s"'`]+)/.exec(line)?.[1];
        const expected = envFile ? envProject(envFile) : undefined;
        if (expected && project !== expected && !project?.startsWith('<')) {
          problems.push(
            `${where}: ${project ? `-p ${project}` : 'no -p'} with --env-file ${envFile}; the scripts name that project ${expected} (deploy/vps/lib.sh)`,
          );
        } else if (project) {
          projects.push({ where, name: project });
          if (/\sup\b/.test(line)) started.add(project);
        }
      }
      problems.push(...statePathProblems(where, line, facts));
      for (const command of readScript(line).commands) {
        if (command.name === 'cd' || command.name === 'ssh') moved.add(block);
        if (command.name === 'docker' && command.args[0] === 'run') {
          problems.push(...runProblems(where, command.args, built));
        }
        // A transcript or prose may show pnpm's own command on purpose (troubleshooting.md).
        if (command.name === 'pnpm')
          problems.push(...pnpmProblems(where, command.args, scripts, kind === 'shell'));
        if (moved.has(block) && command.name !== 'cd') continue;
        for (const word of [command.name, ...command.args]) {
          const path = word.replace(/^\.\//, '').replace(/\/$/, '');
          if (
            !repositoryPath.test(word) ||
            /[$<*…{]/.test(path) ||
            /(^|\/)(dist|node_modules)(\/|$)/.test(path)
          )
            continue;
          if (exists(path) || exists(`${path}.example`) || created.has(path)) continue;
          problems.push(`${where}: ${path} does not exist in the repository`);
        }
      }
    }
    // Other pages' blocks may also describe the state folder in prose.
    page.text.split('\n').forEach((line, index) => {
      if (!line.includes('`')) return;
      for (const match of line.matchAll(/`([^`]*\/var\/lib\/[^`]*)`/g)) {
        problems.push(...statePathProblems(`${page.path}:${index + 1}`, match[1] ?? '', facts));
      }
    });
  }
  const known = new Set([
    ...facts.environments.map((e) => `${facts.projectPrefix}${e}`),
    ...started,
  ]);
  for (const { where, name } of projects) {
    if (known.has(name) || /[$<…]/.test(name)) continue;
    problems.push(
      `${where}: compose project ${name} is neither one the scripts use (${facts.environments.map((e) => facts.projectPrefix + e).join(', ')}) nor one a page starts with up`,
    );
  }
  return [...new Set(problems)];
}

function pnpmProblems(
  where: string,
  args: string[],
  scripts: string[],
  inBlock: boolean,
): string[] {
  if (args.some((arg) => ['--filter', '-F', '-r', '--recursive', '-C', '--dir'].includes(arg)))
    return [];
  const [first, second] = args;
  if (first === undefined || first.startsWith('-')) return [];
  const script = first === 'run' ? second : pnpmCommands.has(first) ? undefined : first;
  if (script === undefined) {
    return inBlock && scripts.includes(first)
      ? [
          `${where}: pnpm ${first} runs pnpm's own ${first} command, not the package.json script; write pnpm run ${first}`,
        ]
      : [];
  }
  return scripts.includes(script) || /[$<…]/.test(script)
    ? []
    : [
        `${where}: pnpm ${first === 'run' ? 'run ' : ''}${script}: package.json has no script ${script}`,
      ];
}

/**
 * /var/lib/shipshape/<env>/<file> names a file the scripts keep there (the environment part is
 * vps-docs.ts's to check).
 */
function statePathProblems(where: string, text: string, facts: VpsFacts): string[] {
  const root = facts.stateDir.replace(/\/$/, '');
  const pattern = new RegExp(`${escape(root)}/([^/\\s\`'")]+)/([^\\s\`'")]+)`, 'g');
  return [...text.matchAll(pattern)].flatMap(([, env = '', file = '']) => {
    const name = file.replace(/[.,;:]+$/, '');
    return facts.stateFiles.includes(name) || /[<$…*]/.test(name)
      ? []
      : [`${where}: ${root}/${env}/${name}: the scripts keep ${facts.stateFiles.join(', ')} there`];
  });
}

export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The images a page builds (`docker build -t name:tag`), without a localhost/ prefix. */
function builtImages(commands: Command[]): Set<string> {
  const built = new Set<string>();
  for (const { line } of commands) {
    for (const { name, args } of readScript(line).commands) {
      if (name !== 'docker' || !['build', 'buildx'].includes(args[0] ?? '')) continue;
      args.forEach((arg, i) => {
        const tag = ['-t', '--tag'].includes(args[i - 1] ?? '') ? arg : undefined;
        if (tag) built.add(tag.replace(/^localhost\//, ''));
      });
    }
  }
  return built;
}

/**
 * `docker run` of a Shipshape image that no registry serves runs one the same page builds: a
 * tag the build above never made (shipshape-api:guide after -t shipshape-api:$GIT_COMMIT) stops
 * the reader at "image not found".
 */
function runProblems(where: string, args: string[], built: Set<string>): string[] {
  return args
    .filter((arg) => /^(localhost\/)?shipshape-[a-z]+(:\S+)?$/.test(arg))
    .map((arg) => arg.replace(/^localhost\//, ''))
    .filter((image) => !built.has(image) && !/[<…]/.test(image))
    .map(
      (image) =>
        `${where}: docker run ${image}: the page builds ${[...built].join(', ') || 'no image'}`,
    );
}

/** Paths a page creates: cp and mv destinations, mkdir and touch arguments, > redirections. */
function createdPaths(commands: Command[]): Set<string> {
  const created = new Set<string>();
  for (const { line } of commands) {
    for (const command of readScript(line).commands) {
      const args = command.args.filter((arg) => !arg.startsWith('-'));
      if (['cp', 'mv', 'ln', 'install'].includes(command.name) && args.length > 1)
        created.add(args.at(-1) ?? '');
      if (['mkdir', 'touch'].includes(command.name)) args.forEach((arg) => created.add(arg));
      command.writes.forEach((path) => created.add(path));
    }
  }
  return new Set([...created].map((path) => path.replace(/^\.\//, '').replace(/\/$/, '')));
}
