// Shipshape's own rules for its Kubernetes objects, beyond what the schemas say: what each pod
// must declare to run safely and stop cleanly, and that the objects point at each other. The
// Gateway's rules are in k8s-gateway.ts.
import type {
  IContainer as Container,
  IPodSecurityContext,
  IPodTemplateSpec as PodTemplate,
  ISecurityContext as SecurityContext,
} from 'kubernetes-models/v1';
import { envVariableNames, loadConfig } from '@shipshape/config';
import { gatewayProblems } from './k8s-gateway';
import { secretVariables } from './variables';

/** The parts of a Kubernetes object these rules read; the schemas have checked the types. */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** The Secret of type kubernetes.io/dockerconfigjson every pod pulls with (kubernetes.md). */
export const pullSecretName = 'ghcr-pull';

// The only capability a container may add back (the restricted Pod Security Standard's one).
const allowedCapabilities = ['NET_BIND_SERVICE'];
// What a stop adds to SHUTDOWN_GRACE_SECONDS before the process exits: the API's abort window
// and release (1.5 s), the worker's Redis close (3 s), rounded up with room.
const STOP_MARGIN_SECONDS = 5;
const defaultGraceSeconds = loadConfig({}).shutdownGraceMs / 1000;

export function ruleProblems(
  objects: K8sObject[],
  { renderedImages, digestsOnly = false }: { renderedImages: boolean; digestsOnly?: boolean },
): string[] {
  const problems: string[] = [];
  const configMaps = objects.filter((object) => object.kind === 'ConfigMap');
  const templates = objects.flatMap((object) => {
    const template = object.spec?.template as PodTemplate | undefined;
    return template ? [{ id: `${object.kind}/${object.metadata?.name}`, object, template }] : [];
  });

  for (const configMap of configMaps) {
    for (const key of Object.keys(configMap.data ?? {})) {
      const where = `ConfigMap/${configMap.metadata?.name}: ${key}`;
      if (secretVariables.includes(key))
        problems.push(`${where} is a secret: put it in the Secret`);
      else if (!envVariableNames.includes(key))
        problems.push(`${where} is not a setting the app reads`);
    }
  }

  for (const { id, object, template } of templates) {
    const pod = template.spec ?? { containers: [] };
    if (pod.automountServiceAccountToken !== false) {
      problems.push(`${id}: automountServiceAccountToken: false (the app never calls the cluster)`);
    }
    if (!pod.imagePullSecrets?.some((secret) => secret.name === pullSecretName)) {
      problems.push(
        `${id}: imagePullSecrets: [{ name: ${pullSecretName} }] (private GHCR packages)`,
      );
    }
    for (const container of pod.containers) {
      const where = `${id} container ${container.name}`;
      problems.push(...securityProblems(where, pod.securityContext, container.securityContext));
      const { requests = {}, limits = {} } = container.resources ?? {};
      if (!requests.cpu || !requests.memory || !limits.memory) {
        problems.push(`${where}: resources need requests.cpu, requests.memory and limits.memory`);
      }
      if (container.ports?.length && (!container.readinessProbe || !container.livenessProbe)) {
        problems.push(`${where}: serves a port, so it needs a readinessProbe and a livenessProbe`);
      }
      if (renderedImages)
        problems.push(...imageProblems(where, container.image ?? '', digestsOnly));
      if (object.kind === 'Deployment' && container.envFrom?.length) {
        problems.push(
          ...graceProblems(where, pod.terminationGracePeriodSeconds ?? 30, container, configMaps),
        );
      }
    }
  }

  problems.push(
    ...referenceProblems(
      objects,
      templates.map(({ template }) => template),
    ),
  );
  problems.push(...gatewayProblems(objects));
  return problems;
}

function securityProblems(where: string, pod: IPodSecurityContext = {}, own: SecurityContext = {}) {
  const problems: string[] = [];
  if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true)
    problems.push(`${where}: runAsNonRoot: true`);
  if (own.allowPrivilegeEscalation !== false)
    problems.push(`${where}: allowPrivilegeEscalation: false`);
  if (own.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem: true`);
  if (!own.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities.drop: [ALL]`);
  const added = (own.capabilities?.add ?? []).filter((name) => !allowedCapabilities.includes(name));
  if (added.length > 0) problems.push(`${where}: adds capabilities ${added.join(', ')}`);
  return problems;
}

function imageProblems(where: string, image: string, digestsOnly: boolean): string[] {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return [];
  if (digestsOnly) return [`${where}: image ${image} must be pinned by digest here`];
  const tag = /:([\w][\w.-]*)$/.exec(image.slice(image.lastIndexOf('/') + 1))?.[1];
  if (!tag || tag === 'latest') return [`${where}: image ${image} needs a tag other than latest`];
  if (!image.includes('/'))
    return [`${where}: image ${image} names no registry (images: not applied?)`];
  return [];
}

/** The pod must outlive its own graceful stop: preStop sleep + SHUTDOWN_GRACE_SECONDS + margin. */
function graceProblems(
  where: string,
  terminationGrace: number,
  container: Container,
  configMaps: K8sObject[],
): string[] {
  const fromConfigMap = container.envFrom
    ?.map((source) => configMaps.find((map) => map.metadata?.name === source.configMapRef?.name))
    .find((map) => map?.data?.SHUTDOWN_GRACE_SECONDS)?.data?.SHUTDOWN_GRACE_SECONDS;
  const value =
    container.env?.find((variable) => variable.name === 'SHUTDOWN_GRACE_SECONDS')?.value ??
    fromConfigMap;
  const grace = value === undefined ? defaultGraceSeconds : Number(value);
  const command = container.lifecycle?.preStop?.exec?.command ?? [];
  const preStop = command[0] === 'sleep' ? Number(command[1] ?? 0) : 0;
  const needed = preStop + grace + STOP_MARGIN_SECONDS;
  return terminationGrace >= needed
    ? []
    : [
        `${where}: terminationGracePeriodSeconds ${terminationGrace} < ${needed} ` +
          `(preStop ${preStop} s + SHUTDOWN_GRACE_SECONDS ${grace} + ${STOP_MARGIN_SECONDS})`,
      ];
}

/** Services, PodDisruptionBudgets and autoscalers point at pods and Deployments that exist. */
function referenceProblems(objects: K8sObject[], templates: PodTemplate[]): string[] {
  const problems: string[] = [];
  const selects = (selector: Record<string, string> | undefined) =>
    templates.some((template) =>
      Object.entries(selector ?? {}).every(
        ([key, value]) => template.metadata?.labels?.[key] === value,
      ),
    );
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.name}`;
    const spec = object.spec ?? {};
    if (object.kind === 'Service' && !selects(spec.selector as Record<string, string>)) {
      problems.push(`${id}: its selector matches no pod template`);
    }
    if (
      object.kind === 'PodDisruptionBudget' &&
      !selects((spec.selector as { matchLabels?: Record<string, string> }).matchLabels)
    ) {
      problems.push(`${id}: its selector matches no pod template`);
    }
    if (object.kind === 'HorizontalPodAutoscaler') {
      const target = spec.scaleTargetRef as { kind?: string; name?: string };
      const found = objects.some((o) => o.kind === target.kind && o.metadata?.name === target.name);
      if (!found) problems.push(`${id}: scales ${target.kind}/${target.name}, which is not here`);
    }
  }
  return problems;
}
