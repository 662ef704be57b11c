// The Gateway API objects' rules, beyond what their schemas say: every field is one the CRDs
// we tell teams to install know, and the Gateway exposes Caddy alone, over HTTPS, with a
// certificate cert-manager can issue for it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  IHTTPRouteRule as RouteRule,
  IListener as Listener,
  IParentReference as ParentRef,
} from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import type { K8sObject } from './k8s-rules';

/** The one Service a route may expose: Caddy, which keeps /metrics and the rest in line. */
export const publicService = 'web';

/** Each kind's spec fields in the Gateway API v1.6.1 CRDs (the file says how it was read). */
type FieldTree = { [field: string]: FieldTree | 1 | '*' };
const crdFields = JSON.parse(
  readFileSync(join(import.meta.dirname, 'schemas', 'gateway-api-v1.6.1-fields.json'), 'utf8'),
) as Record<string, FieldTree>;

/**
 * Fields the v1.6.1 CRDs do not have. The npm schemas let unknown fields through, and the API
 * server would refuse them (kubectl validates strictly) only at the first apply; a field that
 * exists only in the experimental channel is caught here too.
 */
export function unknownFieldProblems(objects: K8sObject[]): string[] {
  return objects.flatMap((object) => {
    const tree = object.kind ? crdFields[object.kind] : undefined;
    if (!tree || object.apiVersion !== 'gateway.networking.k8s.io/v1') return [];
    return unknownFields(object.spec, tree, 'spec').map(
      (path) =>
        `${object.kind}/${object.metadata?.name}: ${path} is not a field in Gateway API v1.6.1`,
    );
  });
}

function unknownFields(value: unknown, tree: FieldTree | 1 | '*', path: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => unknownFields(item, tree, `${path}[${index}]`));
  }
  if (typeof value !== 'object' || value === null || typeof tree !== 'object') return [];
  return Object.entries(value).flatMap(([field, inner]) => {
    const known = tree[field];
    return known === undefined
      ? [`${path}.${field}`]
      : unknownFields(inner, known, `${path}.${field}`);
  });
}

/**
 * The Gateway API objects: routes hang on listeners that exist; only Caddy (the web Service) is
 * a backend, so the API and its /metrics are never reached around it; a plain-HTTP listener only
 * redirects; every HTTPS listener meets cert-manager's conditions for a Certificate
 * (cert-manager.io/docs/usage/gateway), from an Issuer whose HTTP-01 route has a port-80
 * listener to hang on.
 */
export function gatewayProblems(objects: K8sObject[]): string[] {
  const problems = unknownFieldProblems(objects);
  const named = (kind: string, name?: string) =>
    objects.find((object) => object.kind === kind && object.metadata?.name === name);
  const listenerOf = (ref: ParentRef) =>
    ((named('Gateway', ref.name)?.spec?.listeners ?? []) as Listener[]).find(
      (listener) => listener.name === ref.sectionName,
    );
  const webPorts = ((named('Service', publicService)?.spec?.ports ?? []) as { port: number }[]).map(
    (port) => port.port,
  );

  for (const route of objects.filter((object) => object.kind === 'HTTPRoute')) {
    const id = `HTTPRoute/${route.metadata?.name}`;
    const rules = (route.spec?.rules ?? []) as RouteRule[];
    for (const ref of (route.spec?.parentRefs ?? []) as ParentRef[]) {
      const listener = listenerOf(ref);
      if ((ref.kind ?? 'Gateway') !== 'Gateway' || !ref.sectionName || !listener) {
        problems.push(`${id}: parentRef ${ref.name}/${ref.sectionName} is no listener here`);
      } else if (listener.protocol === 'HTTP' && !rules.every(redirectsToHttps)) {
        problems.push(`${id}: serves plain HTTP on ${ref.name}/${ref.sectionName}; redirect`);
      }
    }
    for (const backend of rules.flatMap((rule) => rule.backendRefs ?? [])) {
      if ((backend.kind ?? 'Service') !== 'Service' || backend.name !== publicService) {
        problems.push(
          `${id}: exposes ${backend.name}; only ${publicService} (Caddy) may be public`,
        );
      } else if (!webPorts.includes(backend.port ?? -1)) {
        problems.push(`${id}: port ${backend.port} is not a port of Service/${publicService}`);
      }
    }
  }

  for (const gateway of objects.filter((object) => object.kind === 'Gateway')) {
    const id = `Gateway/${gateway.metadata?.name}`;
    const annotations = gateway.metadata?.annotations ?? {};
    const issuer = annotations['cert-manager.io/issuer'];
    if (!issuer && !annotations['cert-manager.io/cluster-issuer']) {
      problems.push(
        `${id}: no cert-manager.io/issuer or cert-manager.io/cluster-issuer annotation`,
      );
    } else if (issuer && !named('Issuer', issuer)) {
      problems.push(`${id}: its cert-manager.io/issuer ${issuer} is not here`);
    }
    for (const listener of (gateway.spec?.listeners ?? []) as Listener[]) {
      const refs = listener.tls?.certificateRefs ?? [];
      const issuable =
        listener.hostname &&
        (listener.tls?.mode ?? 'Terminate') === 'Terminate' &&
        refs.length > 0 &&
        refs.every((ref) => (ref.kind ?? 'Secret') === 'Secret' && !ref.namespace);
      if (listener.protocol === 'HTTPS' && !issuable) {
        problems.push(
          `${id} listener ${listener.name}: cert-manager needs a hostname, tls.mode Terminate ` +
            'and a certificateRef to a Secret in this namespace',
        );
      }
    }
  }

  for (const issuer of objects.filter((object) => object.kind === 'Issuer')) {
    const { solvers = [] } = (issuer.spec?.acme ?? {}) as {
      solvers?: { http01?: { gatewayHTTPRoute?: { parentRefs?: ParentRef[] } } }[];
    };
    for (const ref of solvers.flatMap(
      (solver) => solver.http01?.gatewayHTTPRoute?.parentRefs ?? [],
    )) {
      const listener = listenerOf(ref);
      if (listener?.protocol !== 'HTTP' || listener.port !== 80) {
        problems.push(
          `Issuer/${issuer.metadata?.name}: HTTP-01 parentRef ${ref.name}/${ref.sectionName} ` +
            'is no HTTP listener on port 80 here',
        );
      }
    }
  }
  return problems;
}

function redirectsToHttps(rule: RouteRule): boolean {
  return (
    !rule.backendRefs?.length &&
    (rule.filters ?? []).some(
      (filter) => filter.type === 'RequestRedirect' && filter.requestRedirect?.scheme === 'https',
    )
  );
}
