// The render.yaml check (scripts/check-deploy/render.ts) catches the mistakes it exists for:
// each test breaks one thing in a copy of the real render.yaml and expects that one problem.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseDocument, type Document } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkRenderBlueprint } from '../check-deploy/render';

const blueprint = await readFile(
  fileURLToPath(new URL('../../render.yaml', import.meta.url)),
  'utf8',
);
const staging = ['projects', 0, 'environments', 0];
const service = (index: number) => [...staging, 'services', index];
// Positions in render.yaml's staging environment: 0 Key Value, 1 api, 2 worker, 3 web.
const [api, worker, web] = [service(1), service(2), service(3)];

/** All problems the check reports for render.yaml after `change` edits it. */
function problemsAfter(change: (doc: Document) => void): string[] {
  const doc = parseDocument(blueprint);
  change(doc);
  return checkRenderBlueprint(doc.toString()).flatMap((result) => result.problems);
}

describe('the render.yaml check', () => {
  it('passes the committed render.yaml', () => {
    expect(problemsAfter(() => undefined)).toEqual([]);
  });

  it('reports a misspelled field as unknown to Render', () => {
    const problems = problemsAfter((doc) => {
      doc.deleteIn([...web, 'healthCheckPath']);
      doc.setIn([...web, 'healthcheckPath'], '/');
    });
    expect(problems).toContainEqual(expect.stringMatching(/healthcheckPath: not a field/));
  });

  it('reports an api that is a public web service, answering around Caddy', () => {
    const problems = problemsAfter((doc) => {
      doc.setIn([...api, 'type'], 'web');
      doc.setIn([...web, 'envVars', 2, 'fromService', 'type'], 'web');
    });
    expect(problems).toContainEqual(expect.stringMatching(/api is a private service/));
  });

  it('reports a health check path on the private api, which Render does not take', () => {
    const problems = problemsAfter((doc) => doc.setIn([...api, 'healthCheckPath'], '/healthz'));
    expect(problems).toContainEqual(
      expect.stringMatching(/healthCheckPath does not apply to type pserv/),
    );
  });

  it('reports an api on port 10000, which the private network cannot reach', () => {
    const problems = problemsAfter((doc) => doc.setIn([...api, 'envVars', 6, 'value'], '10000'));
    expect(problems).toContainEqual(expect.stringMatching(/api sets PORT, and not 10000/));
  });

  it("reports a web service whose API_UPSTREAMS is not the api's private address", () => {
    const problems = problemsAfter((doc) =>
      doc.setIn([...web, 'envVars', 2, 'fromService', 'property'], 'host'),
    );
    expect(problems).toContainEqual(expect.stringMatching(/API_UPSTREAMS is the api's hostport/));
  });

  it('reports a service that builds instead of running the published image', () => {
    const problems = problemsAfter((doc) => doc.setIn([...worker, 'runtime'], 'docker'));
    expect(problems).toContainEqual(
      expect.stringMatching(/image is only read with runtime: image/),
    );
  });

  it("reports an image other than the environment's tag, which a sync would put back", () => {
    const problems = problemsAfter((doc) => {
      doc.setIn([...web, 'image', 'url'], 'ghcr.io/your-org/shipshape-web:latest');
      doc.setIn([...api, 'image', 'url'], 'ghcr.io/your-org/shipshape-api:production');
      doc.setIn(
        [...worker, 'image', 'url'],
        `ghcr.io/your-org/shipshape-worker@sha256:${'0'.repeat(64)}`,
      );
    });
    expect(problems).toContainEqual(expect.stringMatching(/shipshape-web:latest is ghcr\.io/));
    expect(problems).toContainEqual(
      expect.stringMatching(/shipshape-api:production is ghcr\.io\/<owner>\/shipshape-api:staging/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/shipshape-worker@sha256:0+ is ghcr/));
  });

  it('reports a value of the wrong type and one outside its allowed values', () => {
    const problems = problemsAfter((doc) => {
      doc.setIn([...api, 'numInstances'], 'two');
      doc.setIn([...api, 'region'], 'mars');
    });
    expect(problems).toContainEqual(expect.stringMatching(/numInstances: expected a number/));
    expect(problems).toContainEqual(expect.stringMatching(/region: "mars" is not one of/));
  });

  it('reports a Key Value without ipAllowList, and one that may evict queued jobs', () => {
    const problems = problemsAfter((doc) => {
      doc.deleteIn([...service(0), 'ipAllowList']);
      doc.setIn([...service(0), 'maxmemoryPolicy'], 'allkeys-lru');
    });
    expect(problems).toContainEqual(expect.stringMatching(/ipAllowList is required/));
    expect(problems).toContainEqual(expect.stringMatching(/maxmemoryPolicy noeviction/));
  });

  it('reports a variable the config requires outside local that the worker lacks', () => {
    const problems = problemsAfter((doc) => doc.deleteIn([...worker, 'envVars', 1]));
    expect(problems).toContainEqual(
      expect.stringMatching(/shipshape-worker-staging: DATABASE_URL is missing/),
    );
  });

  it('reports a misspelled variable name', () => {
    const problems = problemsAfter((doc) =>
      doc.setIn([...api, 'envVars', 4, 'key'], 'TRUSTED_PROXY'),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/TRUSTED_PROXY is not a variable it reads/),
    );
  });

  it('reports a reference to a database of the other environment', () => {
    const problems = problemsAfter((doc) =>
      doc.setIn([...api, 'envVars', 1, 'fromDatabase', 'name'], 'shipshape-db-production'),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/refers to shipshape-db-production, which is not in this environment/),
    );
  });

  it('reports a secret prompt inside an environment group, where Render does not take it', () => {
    const problems = problemsAfter((doc) =>
      doc.setIn(
        [...staging, 'envVarGroups', 0, 'envVars', 0],
        doc.createNode({ key: 'X', sync: false }),
      ),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/a group takes only value or generateValue/),
    );
  });

  it('reports a missing production environment', () => {
    const problems = problemsAfter((doc) => doc.deleteIn(['projects', 0, 'environments', 1]));
    expect(problems).toContainEqual(expect.stringMatching(/environments staging and production/));
  });
});
