// Every tag of Shipshape's own images that a file expects on GHCR is one the workflows push:
// docker/metadata-action's rules in ci.yml (the commit id) and the `imagetools create --tag`s of
// deploy.yml (the environment, <environment>-<commit>, the release). A manifest or a doc that
// waits for `sha-<short>` when CI pushes the full commit id leaves pods in ImagePullBackOff.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap } from 'yaml';
import { imageReferences, isOwnImage, listFiles, splitReference } from './images';
import { judge, type CheckResult } from '../check-result';
import { readWorkflows } from './workflows';

/** One kind of tag CI pushes: how to say it, and what it matches. */
export interface PushedTag {
  label: string;
  pattern: RegExp;
}

const commit = '[0-9a-f]{40}';

/**
 * What the shell variables in deploy.yml's `--tag`s hold. ENVIRONMENT is checked against
 * staging|production in its first step; GIT_COMMIT is the api image's revision label, which ci.yml
 * sets from github.sha (the full id); RELEASE_TAG is production.yml's tag, matched below against
 * its `on.push.tags` patterns.
 */
const variables: Record<string, { label: string; pattern: string }> = {
  ENVIRONMENT: { label: '<environment>', pattern: '(staging|production)' },
  GIT_COMMIT: { label: '<commit>', pattern: commit },
};

export function checkTags(root = join(import.meta.dirname, '..', '..')): CheckResult[] {
  const { pushed, problems } = pushedTags(root);
  problems.push(...expectedTagProblems(expectedTags(root), pushed));
  return [
    judge(
      `own image tags: every tag a file expects on GHCR is pushed by CI (${pushed.map((tag) => tag.label).join(', ')})`,
      problems,
    ),
  ];
}

/** The tags the workflows push for shipshape-api, -worker and -web. */
export function pushedTags(root: string): { pushed: PushedTag[]; problems: string[] } {
  const pushed: PushedTag[] = [];
  const problems: string[] = [];
  const releaseGlobs = workflowFiles(root).flatMap(({ json }) => {
    const tags = (json as { on?: { push?: { tags?: unknown } } } | null)?.on?.push?.tags;
    return Array.isArray(tags) ? tags.map(String) : [];
  });
  const release = releaseGlobs
    .map((glob) => glob.replace(/[.+?^()|[\]\\]/g, '\\$&').replace(/\*/g, '[A-Za-z0-9_.-]*'))
    .join('|');
  for (const { path, text, json } of workflowFiles(root)) {
    for (const step of steps(json)) {
      if (typeof step.uses === 'string' && step.uses.startsWith('docker/metadata-action@')) {
        const rules = (step.with as { tags?: unknown } | undefined)?.tags;
        const lines = typeof rules === 'string' ? rules.split('\n') : [];
        for (const rule of lines.filter((line) => line.trim() !== '')) {
          const tag = metadataRule(rule.trim());
          if (tag) pushed.push(tag);
          else
            problems.push(
              `${path}: docker/metadata-action rule "${rule.trim()}" is not known to this check`,
            );
        }
      }
    }
    if (!text.includes('imagetools create')) continue;
    for (const match of text.matchAll(/--tag[= ]+"?([^"\s)]+)"?/g)) {
      const [, ref = ''] = match;
      const tag = ref.slice(ref.lastIndexOf(':') + 1);
      let label = tag;
      let pattern = tag.replace(/[.+?^()|[\]\\]/g, '\\$&');
      for (const name of tag.match(/\$\{?\w+\}?/g) ?? []) {
        const variable = name.replace(/[${}]/g, '');
        const known =
          variable === 'RELEASE_TAG' && release
            ? { label: releaseGlobs.join(' or '), pattern: `(${release})` }
            : variables[variable];
        if (!known) {
          problems.push(
            `${path}: --tag ${ref}: say in scripts/check-deploy/tags.ts what $${variable} holds`,
          );
          continue;
        }
        label = label.replace(name, () => known.label);
        pattern = pattern.replace(name, () => known.pattern);
      }
      if (!pushed.some((known) => known.label === label))
        pushed.push({ label, pattern: new RegExp(`^${pattern}$`) });
    }
  }
  return { pushed, problems };
}

/** type=sha, type=raw, type=ref and type=semver, as docker/metadata-action documents them. */
function metadataRule(rule: string): PushedTag | undefined {
  const fields = Object.fromEntries(
    rule.split(',').map((field) => {
      const [key = '', ...value] = field.split('=');
      return [key.trim(), value.join('=').trim()];
    }),
  );
  const escape = (text: string) => text.replace(/[.+?^()|[\]\\]/g, '\\$&');
  const prefix = fields.prefix ?? '';
  if (fields.type === 'sha') {
    const shaPrefix = fields.prefix ?? 'sha-'; // the action's default prefix
    const length = fields.format === 'long' ? 40 : 7;
    return {
      label: `${shaPrefix}<${fields.format === 'long' ? 'commit' : 'short commit'}>`,
      pattern: new RegExp(`^${escape(shaPrefix)}[0-9a-f]{${length}}$`),
    };
  }
  if (fields.type === 'raw' && fields.value && !fields.value.includes('${{')) {
    return {
      label: `${prefix}${fields.value}`,
      pattern: new RegExp(`^${escape(prefix + fields.value)}$`),
    };
  }
  if (fields.type === 'ref' && fields.event === 'pr') {
    return { label: `${prefix}pr-<number>`, pattern: new RegExp(`^${escape(prefix)}pr-\\d+$`) };
  }
  if (fields.type === 'semver') {
    return {
      label: `${prefix}<semver>`,
      pattern: new RegExp(`^${escape(prefix)}\\d+(\\.\\d+){0,2}(-[\\w.]+)?$`),
    };
  }
  return undefined;
}

function workflowFiles(root: string) {
  return readWorkflows(root).map((w) => ({ ...w, json: w.doc.toJS() as unknown }));
}

function steps(doc: unknown): Record<string, unknown>[] {
  const jobs = (doc as { jobs?: Record<string, { steps?: unknown } | null> } | null)?.jobs ?? {};
  return Object.values(jobs).flatMap((job) =>
    Array.isArray(job?.steps) ? (job.steps as Record<string, unknown>[]) : [],
  );
}

export interface ExpectedTag {
  where: string;
  /** The tag as written, placeholders and all. */
  tag: string;
}

/**
 * The tags of shipshape-* images on ghcr.io that the manifests, Render, Railway, the env
 * examples, the README, the docs and the workflows' source-tag inputs name.
 */
export function expectedTags(root: string): ExpectedTag[] {
  const found: ExpectedTag[] = [];
  for (const { where, ref } of imageReferences(root)) {
    const { tag } = splitReference(ref);
    if (isOwnImage(ref) && ref.startsWith('ghcr.io/') && tag && !tag.startsWith('sha256:')) {
      found.push({ where, tag });
    }
  }
  const texts = [
    'README.md',
    ...listFiles(root, 'docs/deploy', /\.md$/),
    ...listFiles(root, 'docs/guide', /\.md$/),
    ...listFiles(root, 'infra/k8s', /\.ya?ml$/), // comments with the deploy command
    ...readdirSync(join(root, 'deploy/env'))
      .filter((name) => name.endsWith('.example'))
      .map((name) => `deploy/env/${name}`),
  ];
  for (const path of texts.filter((p) => existsSync(join(root, p)))) {
    const text = readFileSync(join(root, path), 'utf8');
    const registry = /^IMAGE_REGISTRY=(\S+)/m.exec(text)?.[1];
    text.split('\n').forEach((line, index) => {
      const where = `${path}:${index + 1}`;
      for (const match of line.matchAll(
        /ghcr\.io\/[^\s/:@]+\/shipshape-(?:api|worker|web):([^\s"'`),\]]+)/g,
      )) {
        found.push({ where, tag: match[1] ?? '' });
      }
      const imageTag = /^IMAGE_TAG=(\S+)/.exec(line)?.[1];
      if (imageTag && registry?.startsWith('ghcr.io/')) found.push({ where, tag: imageTag });
    });
  }
  for (const { path, doc } of readWorkflows(root)) {
    const jobs = doc.get('jobs');
    if (!isMap(jobs)) continue;
    for (const { value: job } of jobs.items) {
      const sourceTag = isMap(job) ? job.getIn(['with', 'source-tag']) : undefined;
      if (typeof sourceTag === 'string') found.push({ where: path, tag: sourceTag });
    }
  }
  return found;
}

/** A tag as CI would write it: placeholders become sample values; undefined when unknowable. */
export function sampleTag(tag: string): string | undefined {
  const sample = tag
    .replace(/\$\{\{\s*github\.sha\s*\}\}|\$\{?GITHUB_SHA\}?/g, 'a'.repeat(40))
    .replace(/<([^>]*)>/g, (_, name: string) => {
      const words = name.toLowerCase();
      if (/short/.test(words)) return 'abc1234';
      if (/commit|sha/.test(words)) return 'a'.repeat(40);
      if (/env/.test(words)) return 'staging';
      if (/version|release/.test(words)) return 'v1.2.3';
      return '<?>';
    });
  return /[<$…]|\.\.\./.test(sample) ? undefined : sample;
}

export function expectedTagProblems(expected: ExpectedTag[], pushed: PushedTag[]): string[] {
  const problems = expected.flatMap(({ where, tag }) => {
    const sample = sampleTag(tag);
    if (sample === undefined || pushed.some(({ pattern }) => pattern.test(sample))) return [];
    return [
      `${where}: tag ${tag} is never pushed by CI (it pushes ${pushed.map((p) => p.label).join(', ')})`,
    ];
  });
  return [...new Set(problems)];
}
