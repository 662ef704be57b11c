// The render.yaml check (scripts/check-deploy/render.ts) catches the mistakes it exists for:
// each test breaks one thing in a copy of the real render.yaml and expects that one problem.
// Then deploy/targets/render.sh, run against a stand-in for the Render API.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { describe, expect, it, onTestFinished } from 'vitest';
import { problemsOf } from '../../scripts/check-result';
import { checkRenderBlueprint } from '../../scripts/check-deploy/render';

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
  return problemsOf(checkRenderBlueprint(doc.toString()));
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
    expect(problems).toContainEqual(
      expect.stringMatching(/services\.3: Unrecognized key: "healthcheckPath"/),
    );
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
      expect.stringMatching(/services\.1: Unrecognized key: "healthCheckPath"/),
    );
  });

  it('reports a credential written in the file, where Render should ask for it', () => {
    const problems = problemsAfter((doc) => {
      const envVars = doc.getIn([...api, 'envVars']) as YAMLSeq<YAMLMap>;
      const smtp = envVars.items.findIndex((item) => item.get('key') === 'SMTP_URL');
      doc.deleteIn([...api, 'envVars', smtp, 'sync']);
      doc.setIn([...api, 'envVars', smtp, 'value'], 'smtp://user:password@smtp.example.com');
    });
    expect(problems).toEqual([expect.stringMatching(/SMTP_URL holds a credential: sync: false/)]);
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
      expect.stringMatching(/shipshape-worker-staging: runs the published image \(runtime: image/),
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
    expect(problems).toContainEqual(
      expect.stringMatching(/numInstances: Invalid input: expected number/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/region: Invalid option: expected one of/),
    );
  });

  it('reports a Key Value without ipAllowList, and one that may evict queued jobs', () => {
    const problems = problemsAfter((doc) => {
      doc.deleteIn([...service(0), 'ipAllowList']);
      doc.setIn([...service(0), 'maxmemoryPolicy'], 'allkeys-lru');
    });
    expect(problems).toContainEqual(
      expect.stringMatching(/services\.0\.ipAllowList: Invalid input/),
    );
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
      expect.stringMatching(/envVarGroups\.0\.envVars\.0: Invalid input/),
    );
  });

  it('reports a missing production environment', () => {
    const problems = problemsAfter((doc) => doc.deleteIn(['projects', 0, 'environments', 1]));
    expect(problems).toContainEqual(expect.stringMatching(/environments staging and production/));
  });
});

// deploy/targets/render.sh against a stand-in for the Render API (the one part that cannot run
// here): the request and answer shapes are those of render-oss/cli's generated client.
describe('render.sh with RENDER_API_KEY', () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const images = {
    API_IMAGE: `ghcr.io/acme/shipshape-api@${digest('a')}`,
    WORKER_IMAGE: `ghcr.io/acme/shipshape-worker@${digest('b')}`,
    WEB_IMAGE: `ghcr.io/acme/shipshape-web@${digest('c')}`,
  };
  const services: Partial<Record<string, string>> = {
    'srv-api': 'api',
    'srv-worker': 'worker',
    'srv-web': 'web',
  };

  /** Deploys go created → update_in_progress → the given end, one step per GET. */
  async function renderApi(end: Partial<Record<string, string>> = {}, { queue = false } = {}) {
    const events: string[] = [];
    const deploys = new Map<string, { service: string; steps: string[] }>();
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const match = /^\/v1\/services\/([^/]+)\/deploys(?:\/([^/?]+))?/.exec(req.url ?? '');
        const [service = '', id] = match?.slice(1) ?? [];
        const role = services[service];
        if (req.headers.authorization !== 'Bearer rnd_test' || !role) {
          res.writeHead(401).end();
          return;
        }
        const send = (status: number, json?: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(json === undefined ? undefined : JSON.stringify(json));
        };
        if (req.method === 'POST') {
          const image = (JSON.parse(body) as { imageUrl: string }).imageUrl;
          const deployId = `dep-${role}${deploys.size}`;
          deploys.set(deployId, {
            service,
            steps: ['created', 'update_in_progress', end[role] ?? 'live'],
          });
          events.push(`create ${role} ${image}`);
          // Render answers 202 without a body when the service already has a deploy under way.
          if (queue) send(202);
          else send(201, { id: deployId, status: 'created' });
        } else if (req.url?.includes('status=queued')) {
          const [queued] = [...deploys].filter(([, d]) => d.service === service).reverse();
          send(200, queued ? [{ deploy: { id: queued[0], status: 'queued' }, cursor: 'x' }] : []);
        } else {
          const deploy = deploys.get(id ?? '');
          const status =
            deploy && (deploy.steps.length > 1 ? deploy.steps.shift() : deploy.steps[0]);
          if (status === 'live' || status?.endsWith('failed')) events.push(`${role} ${status}`);
          send(deploy ? 200 : 404, deploy && { id, status });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${port}/v1`, events };
  }

  function renderSh(apiUrl: string) {
    const script = fileURLToPath(new URL('../../deploy/targets/render.sh', import.meta.url));
    return new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        'bash',
        [script],
        {
          env: {
            PATH: process.env.PATH,
            DEPLOY_ENV: 'staging',
            ...images,
            GIT_COMMIT: 'abc1234',
            RENDER_API_KEY: 'rnd_test',
            RENDER_SERVICE_ID_API: 'srv-api',
            RENDER_SERVICE_ID_WORKER: 'srv-worker',
            RENDER_SERVICE_ID_WEB: 'srv-web',
            RENDER_API_URL: apiUrl,
            RENDER_POLL_SECONDS: '0',
          },
        },
        (error, stdout, stderr) => {
          resolve({ code: error ? (error.code as number) : 0, output: stdout + stderr });
        },
      );
    });
  }

  it('deploys the api, waits until it is live, then deploys and waits for worker and web', async () => {
    const api = await renderApi();
    const { code, output } = await renderSh(api.url);
    expect(output).not.toContain('rnd_test');
    expect(code, output).toBe(0);
    expect(api.events).toEqual([
      `create api ${images.API_IMAGE}`,
      'api live',
      `create worker ${images.WORKER_IMAGE}`,
      `create web ${images.WEB_IMAGE}`,
      'worker live',
      'web live',
    ]);
  });

  it('stops before the worker when the migration fails, and exits non-zero', async () => {
    const api = await renderApi({ api: 'pre_deploy_failed' });
    const { code, output } = await renderSh(api.url);
    expect(code).not.toBe(0);
    expect(output).toContain('api: the deploy ended pre_deploy_failed');
    expect(api.events).toEqual([`create api ${images.API_IMAGE}`, 'api pre_deploy_failed']);
  });

  it('fails when the web deploy fails, after the worker', async () => {
    const api = await renderApi({ web: 'update_failed' });
    const { code, output } = await renderSh(api.url);
    expect(code).not.toBe(0);
    expect(output).toContain('web: the deploy ended update_failed');
  });

  it('finds the deploy in the queue when Render answers 202 without one', async () => {
    const api = await renderApi({}, { queue: true });
    const { code, output } = await renderSh(api.url);
    expect(code, output).toBe(0);
    expect(api.events).toContain('web live');
  });
});
