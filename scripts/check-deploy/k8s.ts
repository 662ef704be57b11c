// infra/k8s, checked offline. Each overlay (and its migrate Job) is rendered by `kubectl
// kustomize`, exactly what `kubectl apply -k` would send; every object is validated against the
// Kubernetes 1.27 OpenAPI schemas that the kubernetes-models package carries, then against
// Shipshape's own rules (k8s-rules.ts): probes, resources, a locked-down securityContext,
// pinned images, no committed Secret. Without kubectl the base files are checked as written.
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { ruleProblems, type K8sObject } from './k8s-rules';
import type { CheckResult } from './result';

export const k8sDir = join(import.meta.dirname, '..', '..', 'infra', 'k8s');

/** The kinds Shipshape's manifests use, each with its schema. Anything else is reported. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'batch/v1 Job': Job,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1 Ingress': Ingress,
};

/** The folders `kubectl apply -k` is pointed at: each overlay, and each overlay's migrate Job. */
async function targets(dir: string): Promise<string[]> {
  const overlays = await readdir(join(dir, 'overlays'));
  return overlays.sort().flatMap((name) => [`overlays/${name}`, `overlays/${name}/migrate`]);
}

export async function checkKubernetes(dir = k8sDir): Promise<CheckResult[]> {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (kubectl.error || kubectl.status !== 0) {
    const base = await Promise.all(
      ['base', 'migrate'].map(async (folder) => {
        const files = (await readdir(join(dir, folder))).filter(
          (file) => file.endsWith('.yaml') && file !== 'kustomization.yaml',
        );
        return Promise.all(files.map((file) => readFile(join(dir, folder, file), 'utf8')));
      }),
    );
    return [
      {
        name: 'kubectl kustomize: infra/k8s/overlays (skipped: kubectl not installed)',
        problems: [],
      },
      checkObjects('infra/k8s/base and migrate, as written', base.flat().join('\n---\n'), {
        renderedImages: false,
      }),
    ];
  }
  return (await targets(dir)).map((target) => {
    const name = `kubectl kustomize + kubernetes-models: infra/k8s/${target}`;
    const render = spawnSync('kubectl', ['kustomize', join(dir, target)], { encoding: 'utf8' });
    if (render.status !== 0) {
      return { name, problems: `${render.stdout}${render.stderr}`.trim().split('\n') };
    }
    return checkObjects(name, render.stdout, {
      renderedImages: true,
      digestsOnly: target.startsWith('overlays/production'),
    });
  });
}

function checkObjects(
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
  return { name: `${name} (${objects.length} objects)`, problems };
}
