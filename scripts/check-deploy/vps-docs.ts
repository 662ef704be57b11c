// The VPS docs against what they describe. Every compose project name, state folder and
// environment argument that docs/ and the READMEs give for the VPS must be the one
// deploy/vps/lib.sh makes: a page that says `shipshape-prod` where the scripts say
// `shipshape-production` leads whoever follows it to a second stack with empty volumes. And
// docs/deploy/hetzner.md's "Check on first deploy" must name infra/hetzner's current defaults.
// ./docs.ts reads the commands of the shell blocks; this reads every line, prose and READMEs
// too (a volume name or a "two projects (…)" sentence is where a wrong name hides).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckResult } from './result';

const root = join(import.meta.dirname, '..', '..');

export interface ScriptNames {
  environments: string[];
  /** The project is this prefix and the environment: `shipshape-` in `shipshape-production`. */
  projectPrefix: string;
  /** The state of an environment is in this folder and the environment. */
  stateRoot: string;
}

export async function checkVpsDocs(defaults: Record<string, string>): Promise<CheckResult[]> {
  const names = scriptNames(await readFile(join(root, 'deploy/vps/lib.sh'), 'utf8'));
  const pages = await markdownPages();
  const hetzner = pages.find((page) => page.path === 'docs/deploy/hetzner.md')?.text ?? '';
  return [
    {
      name: "docs and READMEs, prose included: the VPS's project names, state folders and script environments are deploy/vps/lib.sh's",
      problems: names
        ? pages.flatMap((page) => nameProblems(page, names))
        : ['deploy/vps/lib.sh: cannot find the environments, PROJECT or STATE_DIR'],
    },
    {
      name: "docs/deploy/hetzner.md: Check on first deploy names infra/hetzner's defaults",
      problems: checklistProblems(hetzner, defaults),
    },
  ];
}

export function scriptNames(lib: string): ScriptNames | undefined {
  const environments = /case "\$ENV_NAME" in\s*\n\s*([\w |]+)\)/.exec(lib)?.[1];
  const projectPrefix = /PROJECT=\$\{SHIPSHAPE_PROJECT:-([\w.-]+)\$ENV_NAME\}/.exec(lib)?.[1];
  const stateRoot = /STATE_DIR=\$\{SHIPSHAPE_STATE_DIR:-([^$}]+)\$ENV_NAME\}/.exec(lib)?.[1];
  if (!environments || !projectPrefix || !stateRoot) return undefined;
  return { environments: environments.split('|').map((e) => e.trim()), projectPrefix, stateRoot };
}

export interface Page {
  path: string;
  text: string;
}

async function markdownPages(): Promise<Page[]> {
  const docs = (await readdir(join(root, 'docs'), { recursive: true }))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`);
  const readmes = ['README.md', 'deploy/targets/README.md', 'infra/hetzner/README.md'];
  return Promise.all(
    [...readmes, ...docs.sort()].map(async (path) => ({
      path,
      text: await readFile(join(root, path), 'utf8'),
    })),
  );
}

export function nameProblems({ path, text }: Page, names: ScriptNames): string[] {
  const { environments, projectPrefix, stateRoot } = names;
  const isEnvironment = (word: string) => environments.includes(word);
  // <env>, $ENV_NAME, "…": a placeholder, not a name.
  const isPlaceholder = (word: string) => /^[<$…]/.test(word);
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    const at = `${path}:${index + 1}`;
    // shipshape-prod, shipshape-stage: a shortened environment after the project prefix.
    // Other projects (shipshape-guide, shipshape-rehearsal) and image names are not flagged.
    for (const [, word = ''] of line.matchAll(
      new RegExp(`\\b${escape(projectPrefix)}([a-z]+)(?![a-z])`, 'g'),
    )) {
      const lookalike = environments.find(
        (env) => env !== word && env.slice(0, 4) === word.slice(0, 4),
      );
      if (lookalike)
        problems.push(
          `${at}: ${projectPrefix}${word}; the scripts name it ${projectPrefix}${lookalike}`,
        );
    }
    for (const [, word = ''] of line.matchAll(
      new RegExp(`${escape(stateRoot)}([^/\\s\`'")]+)`, 'g'),
    )) {
      if (!isEnvironment(word) && !isPlaceholder(word)) {
        problems.push(
          `${at}: ${stateRoot}${word}; the scripts keep state in ${stateRoot}<${environments.join('|')}>`,
        );
      }
    }
    // Where a command starts (a line, a prompt, inline code, a quote, after ; | &&), so that
    // prose and shell comments that mention a script are not read as calls.
    for (const [, script, word = ''] of line.matchAll(
      /(?:^\s*(?:\$\s+)?|[`'"=;|&]\s*)deploy\/vps\/(deploy|rollback|compose)\.sh\s+([^\s`'"]+)/g,
    )) {
      if (!isEnvironment(word) && !isPlaceholder(word)) {
        problems.push(
          `${at}: deploy/vps/${script}.sh ${word}; the environment is one of ${environments.join(', ')}`,
        );
      }
    }
  });
  return problems;
}

export function checklistProblems(hetzner: string, defaults: Record<string, string>): string[] {
  const section = hetzner.split(/^## Check on first deploy$/m)[1]?.split(/^## /m)[0];
  if (!section) return ['no "## Check on first deploy" section'];
  return ['server_type', 'location', 'image']
    .filter((name) => !section.includes(`\`${defaults[name] ?? ''}\``))
    .map(
      (name) =>
        `infra/hetzner/variables.tf's ${name} default "${defaults[name]}" is not in the section`,
    );
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
