// The VPS docs against what they describe. Every compose project name, state folder and
// environment argument that docs/ and the READMEs give for the VPS must be the one
// deploy/vps/lib.sh makes: a page that says `shipshape-prod` where the scripts say
// `shipshape-production` leads whoever follows it to a second stack with empty volumes. And
// docs/deploy/hetzner.md's "Check on first deploy" must name infra/hetzner's current defaults.
// ./docs.ts reads the commands of the shell blocks; this reads every line, prose and READMEs
// too (a volume name or a "two projects (…)" sentence is where a wrong name hides).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { judge, type CheckResult } from '../check-result';
import { escape, vpsFacts, type Page, type VpsFacts } from './docs';
import { listFiles } from './images';
import { root } from './variables';

export function checkVpsDocs(defaults: Record<string, unknown>): CheckResult[] {
  const facts = vpsFacts(root);
  const pages = ['README.md', 'deploy/targets/README.md', 'infra/hetzner/README.md']
    .concat(listFiles(root, 'docs', /\.md$/))
    .map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
  const hetzner = pages.find((page) => page.path === 'docs/deploy/hetzner.md')?.text ?? '';
  return [
    judge(
      "docs and READMEs, prose included: the VPS's project names, state folders and script environments are deploy/vps/lib.sh's",
      'problem' in facts ? [facts.problem] : pages.flatMap((page) => nameProblems(page, facts)),
    ),
    judge(
      "docs/deploy/hetzner.md: Check on first deploy names infra/hetzner's defaults",
      checklistProblems(hetzner, defaults),
    ),
  ];
}

export function nameProblems({ path, text }: Page, facts: VpsFacts): string[] {
  const { environments, projectPrefix, stateDir: stateRoot } = facts;
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

export function checklistProblems(hetzner: string, defaults: Record<string, unknown>): string[] {
  const section = hetzner.split(/^## Check on first deploy$/m)[1]?.split(/^## /m)[0];
  if (!section) return ['no "## Check on first deploy" section'];
  return ['server_type', 'location', 'image']
    .filter((name) => !section.includes(`\`${String(defaults[name])}\``))
    .map(
      (name) =>
        `infra/hetzner/variables.tf's ${name} default "${String(defaults[name])}" is not in the section`,
    );
}
