// infra/k8s, checked offline. Each overlay (and its migrate Job) is rendered by `kubectl
// kustomize`, exactly what `kubectl apply -k` would send; every object is validated against the
// Kubernetes 1.27 OpenAPI schemas that the kubernetes-models package carries, the Gateway API's
// (@kubernetes-models/gateway-api, types of gateway-api v1.5.1) and cert-manager's
// (@kubernetes-models/cert-manager, v1.20.2), then against Shipshape's own rules (k8s-rules.ts,
// k8s-gateway.ts, which also holds the Gateway API objects to the fields of the v1.6.1 CRDs).
// Without kubectl the base files are checked as written. docs/deploy/kubernetes.md is checked
// against the manifests and against the tags CI pushes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import {
  Gateway,
  GatewayClass,
  HTTPRoute,
} from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { pullSecretName, ruleProblems, type K8sObject } from './k8s-rules';
import { requiredOutsideLocal, root } from './variables';
import { judge, type CheckResult } from '../check-result';

export const k8sDir = join(root, 'infra', 'k8s');

/** The kinds Shipshape's manifests use, each with its schema. Anything else is reported. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'batch/v1 Job': Job,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'gateway.networking.k8s.io/v1 GatewayClass': GatewayClass,
  'gateway.networking.k8s.io/v1 Gateway': Gateway,
  'gateway.networking.k8s.io/v1 HTTPRoute': HTTPRoute,
  'cert-manager.io/v1 Issuer': Issuer,
};

/** The folders `kubectl apply -k` is pointed at: the cluster's once, each overlay, and each
 * overlay's migrate Job. */
async function targets(dir: string): Promise<string[]> {
  const overlays = await readdir(join(dir, 'overlays'));
  return [
    'cluster',
    ...overlays.sort().flatMap((name) => [`overlays/${name}`, `overlays/${name}/migrate`]),
  ];
}

export async function checkKubernetes(dir = k8sDir): Promise<CheckResult[]> {
  const docs = await checkKubernetesDocs(
    await readFile(join(root, 'docs', 'deploy', 'kubernetes.md'), 'utf8'),
    await readFile(join(root, '.github', 'workflows', 'ci.yml'), 'utf8'),
    dir,
  );
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (kubectl.error || kubectl.status !== 0) {
    const base = await Promise.all(
      ['cluster', 'base', 'migrate'].map(async (folder) => {
        const files = (await readdir(join(dir, folder))).filter(
          (file) => file.endsWith('.yaml') && file !== 'kustomization.yaml',
        );
        return Promise.all(files.map((file) => readFile(join(dir, folder, file), 'utf8')));
      }),
    );
    return [
      judge('kubectl kustomize: infra/k8s/overlays (skipped: kubectl not installed)', []),
      checkObjects('infra/k8s/cluster, base and migrate, as written', base.flat().join('\n---\n'), {
        renderedImages: false,
      }),
      docs,
    ];
  }
  const rendered = (await targets(dir)).map((target) => {
    const name = `kubectl kustomize + schemas: infra/k8s/${target}`;
    const render = spawnSync('kubectl', ['kustomize', join(dir, target)], { encoding: 'utf8' });
    if (render.status !== 0) {
      return judge(name, `${render.stdout}${render.stderr}`.trim().split('\n'));
    }
    // Every environment by digest: that is what kubernetes.md's rollout sets.
    return checkObjects(name, render.stdout, { renderedImages: true, digestsOnly: true });
  });
  return [...rendered, docs];
}

export function checkObjects(
  name: string,
  yaml: string,
  options: { renderedImages: boolean; digestsOnly?: boolean },
): CheckResult {
  const problems: string[] = [];
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(yaml)) {
    if (document.errors.length > 0) {
      problems.push(...document.errors.map((error) => `YAML: ${error.message}`));
      continue;
    }
    const object = document.toJS() as K8sObject | null;
    if (object) objects.push(object);
  }
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.name ?? '?'}`;
    const Model = models[`${object.apiVersion} ${object.kind}`];
    if (object.kind === 'Secret') {
      problems.push(
        `${id}: a Secret in the manifests; create it out of band (docs/deploy/kubernetes.md)`,
      );
    } else if (!Model) {
      problems.push(`${id}: no schema here for ${object.apiVersion} ${object.kind}`);
    } else {
      try {
        new Model(object as never).validate();
      } catch (error) {
        problems.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  problems.push(...ruleProblems(objects, options));
  return judge(`${name} (${objects.length} objects)`, problems);
}

/**
 * kubernetes.md's commands against what they act on: every image tag it names is one ci.yml
 * pushes, every `kubectl apply -k` folder exists, every namespace is an overlay's, the Secrets
 * it creates are the ones the pods read, and `rollout status` waits for one resource at a time.
 */
export async function checkKubernetesDocs(
  markdown: string,
  ciWorkflow: string,
  dir = k8sDir,
): Promise<CheckResult> {
  const problems: string[] = [];
  const pushed = pushedTag(ciWorkflow);
  const commands = shellBlocks(markdown);
  const namespaces = await Promise.all(
    (await readdir(join(dir, 'overlays'))).map(async (overlay) => {
      const text = await readFile(join(dir, 'overlays', overlay, 'kustomization.yaml'), 'utf8');
      return (parse(text) as { namespace: string }).namespace;
    }),
  );

  for (const tag of captures(markdown, /ghcr\.io\/[\w.${}/-]+:([\w.${}-]+)/g)) {
    if (!pushed.test(tag)) problems.push(`image tag ${tag}: ci.yml pushes ${pushed.source}`);
  }
  for (const path of captures(commands, /kubectl apply -k (\S+)/g)) {
    if (!existsSync(join(root, path, 'kustomization.yaml'))) {
      problems.push(`kubectl apply -k ${path}: no kustomization there`);
    }
  }
  for (const namespace of captures(commands, /(?:-n|namespace) (shipshape[\w-]*)/g)) {
    if (!namespaces.includes(namespace)) problems.push(`namespace ${namespace} is no overlay's`);
  }
  for (const [line] of commands.matchAll(/.*rollout status.*/g)) {
    if ((line.match(/\bdeploy\/\S+/g) ?? []).length !== 1) {
      problems.push(`one resource per rollout status (kubectl before 1.25 refuses more): ${line}`);
    }
  }
  const created = (type: string) =>
    captures(commands, new RegExp(`create secret ${type} (\\S+)`, 'g'));
  if (!created('docker-registry').includes(pullSecretName)) {
    problems.push(`no command creates the pull Secret ${pullSecretName} the pods name`);
  }
  if (!created('generic').includes('shipshape-secrets')) {
    problems.push('no command creates the Secret shipshape-secrets the pods read');
  }
  problems.push(...(await requiredVariableProblems(commands, dir)));
  return judge('docs/deploy/kubernetes.md: commands, names and image tags', problems);
}

/**
 * Every variable the config cannot start without outside local reaches the pods: a literal of the
 * ConfigMap each overlay's release generates, or a key of the Secret the page creates.
 */
async function requiredVariableProblems(commands: string, dir: string): Promise<string[]> {
  const secretKeys = captures(commands, /create secret generic shipshape-secrets (.*)/g).flatMap(
    (line) => captures(line, /--from-literal=([A-Z][A-Z0-9_]*)=/g),
  );
  const problems: string[] = [];
  for (const overlay of await readdir(join(dir, 'overlays'))) {
    const file = join(dir, 'overlays', overlay, 'release', 'kustomization.yaml');
    if (!existsSync(file)) continue;
    const release = parse(await readFile(file, 'utf8')) as {
      configMapGenerator?: { name?: string; literals?: string[] }[];
    };
    const literals = (release.configMapGenerator ?? [])
      .filter((generator) => generator.name === 'shipshape-config')
      .flatMap((generator) => generator.literals ?? [])
      .map((literal) => literal.slice(0, literal.indexOf('=')));
    for (const name of requiredOutsideLocal) {
      if (!literals.includes(name) && !secretKeys.includes(name))
        problems.push(
          `${overlay}: ${name} is in neither its ConfigMap nor the Secret shipshape-secrets the page creates`,
        );
    }
  }
  return problems;
}

/** The tags ci.yml's docker/metadata-action gives each image: `type=sha,format=long,prefix=P`. */
function pushedTag(ciWorkflow: string): RegExp {
  const steps = Object.values(
    (parse(ciWorkflow) as { jobs: Record<string, { steps?: object[] }> }).jobs,
  ).flatMap((job) => job.steps ?? []) as { uses?: string; with?: { tags?: string } }[];
  const tags = steps.find((step) => step.uses?.startsWith('docker/metadata-action'))?.with?.tags;
  const sha = /^type=sha,format=long,prefix=([\w.-]*)$/.exec(tags?.trim() ?? '');
  // A shell variable stands for the commit only after the same prefix.
  return sha ? new RegExp(`^${sha[1]}([0-9a-f]{40}|\\$\\{?\\w+\\}?)$`) : /(?!)/;
}

/** The text of every ```sh block, with line continuations joined. */
function shellBlocks(markdown: string): string {
  return captures(markdown, /```sh\n([\s\S]*?)```/g)
    .map((block) => block.replace(/\\\n\s*/g, ' '))
    .join('\n');
}

/** What the first group of a global pattern captured, at each match. */
function captures(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].map((match) => match[1] ?? '');
}
