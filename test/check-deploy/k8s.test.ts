// The Kubernetes check (scripts/check-deploy/k8s.ts and k8s-rules.ts) catches the mistakes it
// exists for: each test breaks one thing in the rendered staging overlay, or in a copy of
// kubernetes.md or ci.yml, and expects that one problem.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkKubernetesDocs, checkObjects, k8sDir } from '../../scripts/check-deploy/k8s';
import { problemsOf } from '../../scripts/check-result';

const root = join(import.meta.dirname, '..', '..');
const kubernetesMd = await readFile(join(root, 'docs', 'deploy', 'kubernetes.md'), 'utf8');
const ciYml = await readFile(join(root, '.github', 'workflows', 'ci.yml'), 'utf8');
const render = spawnSync('kubectl', ['kustomize', join(k8sDir, 'overlays', 'staging')], {
  encoding: 'utf8',
});
const rendered = render.status === 0 ? render.stdout : '';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects are edited freely here
type Edit = (find: (kind: string, name: string) => any) => void;

/** The problems the check reports for the staging overlay after `edit` changes it. */
function problemsAfter(edit: Edit): string[] {
  const objects = parseAllDocuments(rendered).map((document) => document.toJS());
  edit((kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name));
  const yaml = objects.map((object) => stringify(object)).join('---\n');
  return problemsOf([checkObjects('staging', yaml, { renderedImages: true, digestsOnly: true })]);
}

describe.skipIf(!rendered)('the Kubernetes manifests check (needs kubectl)', () => {
  it('passes the committed staging overlay', () => {
    expect(problemsAfter(() => undefined)).toEqual([]);
  });

  it('refuses a route that exposes the API around Caddy', () => {
    const problems = problemsAfter((find) => {
      find('HTTPRoute', 'shipshape').spec.rules[0].backendRefs = [{ name: 'api', port: 3000 }];
    });
    expect(problems).toEqual([expect.stringMatching(/HTTPRoute\/shipshape: exposes api/)]);
  });

  it('refuses a route that serves the site over plain HTTP', () => {
    const problems = problemsAfter((find) => {
      find('HTTPRoute', 'shipshape').spec.parentRefs[0].sectionName = 'http';
    });
    expect(problems).toEqual([expect.stringMatching(/serves plain HTTP on shipshape\/http/)]);
  });

  it('refuses a route whose listener does not exist', () => {
    const problems = problemsAfter((find) => {
      find('HTTPRoute', 'shipshape').spec.parentRefs[0].sectionName = 'web';
    });
    expect(problems).toEqual([expect.stringMatching(/parentRef shipshape\/web is no listener/)]);
  });

  it('refuses an HTTPS listener cert-manager cannot issue for', () => {
    const problems = problemsAfter((find) => {
      delete find('Gateway', 'shipshape').spec.listeners[1].hostname;
    });
    expect(problems).toEqual([expect.stringMatching(/listener https: cert-manager needs/)]);
  });

  it('refuses a Gateway whose issuer is not there', () => {
    const problems = problemsAfter((find) => {
      find('Issuer', 'letsencrypt').metadata.name = 'letsencrypt-prod';
    });
    expect(problems).toEqual([expect.stringMatching(/cert-manager.io\/issuer letsencrypt is not/)]);
  });

  it('refuses an HTTP-01 solver on the HTTPS listener', () => {
    const problems = problemsAfter((find) => {
      const solver = find('Issuer', 'letsencrypt').spec.acme.solvers[0].http01;
      solver.gatewayHTTPRoute.parentRefs[0].sectionName = 'https';
    });
    expect(problems).toEqual([expect.stringMatching(/is no HTTP listener on port 80/)]);
  });

  it('refuses a pod without the pull Secret', () => {
    const problems = problemsAfter((find) => {
      delete find('Deployment', 'worker').spec.template.spec.imagePullSecrets;
    });
    expect(problems).toEqual([expect.stringMatching(/Deployment\/worker: imagePullSecrets/)]);
  });

  it('refuses an image by tag, even one CI pushes', () => {
    const problems = problemsAfter((find) => {
      const container = find('Deployment', 'web').spec.template.spec.containers[0];
      container.image = `ghcr.io/acme/shipshape-web:${'a'.repeat(40)}`;
    });
    expect(problems).toEqual([expect.stringMatching(/must be pinned by digest/)]);
  });

  it('refuses a misspelt Gateway API field, which the npm schemas let through', () => {
    const problems = problemsAfter((find) => {
      const rule = find('HTTPRoute', 'shipshape').spec.rules[0];
      rule.timeout = rule.timeouts;
      delete rule.timeouts;
    });
    expect(problems).toEqual([
      'HTTPRoute/shipshape: spec.rules[0].timeout is not a field in Gateway API v1.6.1',
    ]);
  });

  it('refuses a field of the experimental channel only', () => {
    const problems = problemsAfter((find) => {
      find('HTTPRoute', 'shipshape').spec.rules[0].retry = { attempts: 2 };
    });
    expect(problems).toEqual([expect.stringMatching(/spec.rules\[0\].retry is not a field/)]);
  });

  it('refuses a field the Gateway API schema does not allow', () => {
    const problems = problemsAfter((find) => {
      find('HTTPRoute', 'shipshape').spec.rules[0].matches[0].path.type = 'Prefix';
    });
    expect(problems).toEqual([
      expect.stringMatching(/HTTPRoute\/shipshape: .*path\/type must be equal to one of/),
    ]);
  });
});

describe('the kubernetes.md check', () => {
  const problems = (markdown: string, ci = ciYml) =>
    checkKubernetesDocs(markdown, ci).then((result) => problemsOf([result]));

  it('passes the committed page', async () => {
    expect(await problems(kubernetesMd)).toEqual([]);
  });

  it('refuses a tag CI never pushes', async () => {
    const page = `${kubernetesMd}\n\`ghcr.io/acme/shipshape-api:sha-3f2c1e9\`\n`;
    expect(await problems(page)).toEqual([expect.stringMatching(/image tag sha-3f2c1e9/)]);
  });

  it('refuses the commit tag once CI pushes it with a prefix', async () => {
    const ci = ciYml.replace('type=sha,format=long,prefix=', 'type=sha,format=long,prefix=sha-');
    expect(ci).not.toEqual(ciYml);
    expect(await problems(kubernetesMd, ci)).toContainEqual(
      expect.stringMatching(/image tag \$commit/),
    );
  });

  it('refuses several Deployments in one rollout status', async () => {
    const page = kubernetesMd.replace(
      'rollout status deploy/api --timeout=10m',
      'rollout status deploy/api deploy/worker deploy/web --timeout=10m',
    );
    expect(await problems(page)).toEqual([expect.stringMatching(/one resource per rollout/)]);
  });

  it('refuses a pull Secret the pods do not name', async () => {
    const page = kubernetesMd.replace('docker-registry ghcr-pull', 'docker-registry ghcr-creds');
    expect(await problems(page)).toEqual([expect.stringMatching(/pull Secret ghcr-pull/)]);
  });

  it('refuses a variable the config requires that neither the ConfigMap nor the Secret holds', async () => {
    const page = kubernetesMd.replace(/ \\\n\s*--from-literal=SMTP_URL='[^']*'/, '');
    expect(page).not.toEqual(kubernetesMd);
    expect(await problems(page)).toEqual([
      expect.stringMatching(/production: SMTP_URL is in neither/),
      expect.stringMatching(/staging: SMTP_URL is in neither/),
    ]);
  });

  it('refuses a namespace and a folder that no overlay has', async () => {
    const page = kubernetesMd
      .replace(
        'kubectl create namespace shipshape-staging',
        'kubectl create namespace shipshape-stage',
      )
      .replace('apply -k infra/k8s/overlays/staging/migrate', 'apply -k infra/k8s/staging/migrate');
    expect(await problems(page)).toEqual([
      expect.stringMatching(/apply -k infra\/k8s\/staging\/migrate: no kustomization/),
      expect.stringMatching(/namespace shipshape-stage is no overlay's/),
    ]);
  });
});
