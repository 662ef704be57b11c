// The contract checks of `pnpm check:deploy` catch the mistakes they exist for. Each test plants
// one mistake in a copy of the repository's deployment files (or gives the check a small page
// or workflow of its own) and expects that problem; the committed tree must pass every check.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isMap, isSeq, parseDocument } from 'yaml';
import { checkDocs, docProblems, vpsFacts } from '../../scripts/check-deploy/docs';
import { checkImages, pinProblems } from '../../scripts/check-deploy/images';
import { readScript } from '../../scripts/check-deploy/shell';
import { checkTags } from '../../scripts/check-deploy/tags';
import { checkWorkflowCommands } from '../../scripts/check-deploy/workflow-commands';
import { problemsOf } from '../../scripts/check-result';

const root = join(import.meta.dirname, '..', '..');
const copied = [
  ...['.github', '.railway', 'deploy', 'docs', 'infra', 'package.json', 'render.yaml'],
  ...['docker-compose.yml', 'docker-compose.prod.yml', 'Dockerfile', 'README.md'],
];
const copies: string[] = [];
afterEach(() => copies.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the files the checks read, with `plant` applied to it. */
function plantedCopy(
  plant: (edit: (path: string, change: (text: string) => string) => void) => void,
) {
  const dir = mkdtempSync(join(tmpdir(), 'contracts-'));
  copies.push(dir);
  for (const path of copied.filter((p) => existsSync(join(root, p)))) {
    cpSync(join(root, path), join(dir, path), { recursive: true });
  }
  plant((path, change) => {
    const before = readFileSync(join(dir, path), 'utf8');
    const after = change(before);
    expect(after, `the plant changes ${path}`).not.toBe(before);
    writeFileSync(join(dir, path), after);
  });
  return dir;
}

const problems = problemsOf;

describe('image pins (deploy/images.yaml)', () => {
  it('passes the committed tree', () => {
    expect(problems(checkImages(root))).toEqual([]);
  });

  it('fails a compose file that names a tag the upstream never published', () => {
    const dir = plantedCopy((edit) =>
      edit('docker-compose.yml', (text) =>
        text.replace(/rustfs\/rustfs:[\w.-]+/, 'rustfs/rustfs:1'),
      ),
    );
    expect(problems(checkImages(dir))).toContainEqual(
      expect.stringMatching(/^docker-compose\.yml:\d+: rustfs\/rustfs:1 is not among the tags/),
    );
  });

  it('fails a pin that lists a tag the upstream does not publish', () => {
    const dir = plantedCopy((edit) => {
      edit('docker-compose.yml', (text) =>
        text.replace(/rustfs\/rustfs:[\w.-]+/, 'rustfs/rustfs:1'),
      );
      edit('deploy/images.yaml', (text) => text.replace("tags: ['1.0.0']", "tags: ['1.0.0', '1']"));
    });
    expect(problems(checkImages(dir))).toContainEqual(
      expect.stringMatching(/rustfs\/rustfs:1 is not a tag the upstream publishes/),
    );
  });

  it("fails a Dockerfile base image whose tag is not pinned, and an image the file doesn't list", () => {
    const dir = plantedCopy((edit) =>
      edit('Dockerfile', (text) =>
        text.replace(/^ARG CADDY_IMAGE=.*$/m, 'ARG CADDY_IMAGE=caddy:2.99'),
      ),
    );
    expect(problems(checkImages(dir))).toContainEqual(
      expect.stringMatching(/^Dockerfile:\d+: caddy:2\.99 is not among the tags/),
    );
    const pins = readFileSync(join(root, 'deploy/images.yaml'), 'utf8');
    expect(pinProblems(pins, [{ where: 'x.yml:1', ref: 'valkey/valkey:8' }])).toContainEqual(
      'x.yml:1: valkey/valkey is not in deploy/images.yaml; add it with its evidence',
    );
  });
});

describe('the shell reader the checks share', () => {
  it('finds the programs of a script the way bash would run them', () => {
    const script = readScript(
      [
        'digest() { docker buildx imagetools inspect "$1" | jq -r .digest; }',
        'case "$ENVIRONMENT" in',
        '  staging | production) ;;',
        '  *) echo "::error::no"; exit 1 ;;',
        'esac',
        '[[ "$URL" =~ ^https://[a-z.]+(:[0-9]+)?$ ]] || fail "bad URL"',
        'opts=(-o BatchMode=yes -p "$port")',
        'while ((SECONDS < deadline)); do sleep 10; done',
        'commit="$(curl -s "$url" | sed -n "s/x/y/p")" && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y caddy',
        'cat >"$dir/file" <<EOF',
        'not a command',
        'EOF',
        'env -u WEB_IMAGE API_IMAGE="$ref" railway config apply 2>&1',
      ].join('\n'),
    );
    expect(script.functions).toEqual(['digest']);
    expect(script.commands.map((c) => c.name)).toEqual([
      ...['docker', 'jq', 'echo', 'exit', 'fail', 'sleep', 'curl', 'sed', 'apt-get', 'cat'],
      'railway',
    ]);
    expect(script.commands.find((c) => c.name === 'cat')?.writes).toEqual(['$dir/file']);
  });
});

describe('workflow commands', () => {
  it('passes the committed tree', () => {
    expect(problems(checkWorkflowCommands(root))).toEqual([]);
  });

  it('fails the Railway deploy when no step installs the railway CLI', () => {
    const dir = plantedCopy((edit) =>
      edit('.github/workflows/deploy.yml', (text) => {
        const doc = parseDocument(text);
        const steps = doc.getIn(['jobs', 'deploy', 'steps']);
        if (!isSeq(steps)) return text;
        steps.items = steps.items.filter(
          (step) => !(isMap(step) && /Railway CLI/.test(String(step.get('name')))),
        );
        return doc.toString();
      }),
    );
    expect(problems(checkWorkflowCommands(dir))).toContainEqual(
      expect.stringMatching(
        /^deploy\/targets\/railway\.sh:\d+ \(run by \.github\/workflows\/deploy\.yml:\d+ .*\): railway is neither on the ubuntu-24\.04 runner image nor installed/,
      ),
    );
  });

  it('accepts a CLI installed by an earlier step, not one installed after it', () => {
    const dir = plantedCopy(() => undefined);
    const workflow = [
      'on: push',
      'jobs:',
      '  release:',
      '    runs-on: ubuntu-24.04',
      '    steps:',
      '      - run: railway up',
      '      - run: npm install -g @railway/cli@4.1.0',
      '      - run: railway up && kubectl version && render deploys list',
    ].join('\n');
    writeFileSync(join(dir, '.github/workflows/planted.yml'), workflow);
    const found = problems(checkWorkflowCommands(dir));
    expect(found).toContainEqual(
      expect.stringMatching(/planted\.yml:6 \(job release\): railway is neither/),
    );
    expect(found).toContainEqual(
      expect.stringMatching(/planted\.yml:8 \(job release\): render is neither/),
    );
    expect(found.filter((line) => line.includes('planted.yml'))).toHaveLength(2);
  });
});

describe('own image tags', () => {
  const shortTagLine =
    'kustomize edit set image shipshape-api=ghcr.io/acme/shipshape-api:sha-<short>\n';

  it('passes the committed tree', () => {
    expect(problems(checkTags(root))).toEqual([]);
  });

  it('fails a manifest and a doc that expect sha-<short>, which CI never pushes', () => {
    const dir = plantedCopy((edit) => {
      edit('infra/k8s/overlays/staging/release/kustomization.yaml', (text) => {
        const doc = parseDocument(text);
        doc.deleteIn(['images', 0, 'digest']);
        doc.setIn(['images', 0, 'newTag'], 'sha-3f2c1e9');
        return doc.toString();
      });
      edit(
        'docs/deploy/kubernetes.md',
        (text) => `${text}\n${shortTagLine}Rollback: ghcr.io/acme/shipshape-api:staging-<commit>\n`,
      );
    });
    const found = problems(checkTags(dir));
    expect(found).toContainEqual(
      expect.stringMatching(
        /staging\/release\/kustomization\.yaml:\d+: tag sha-3f2c1e9 is never pushed by CI/,
      ),
    );
    expect(found).toContainEqual(
      expect.stringMatching(/kubernetes\.md:\d+: tag sha-<short> is never pushed/),
    );
    expect(found.join('\n')).not.toContain('staging-<commit>');
  });

  it('reads what CI pushes: with metadata-action tagging sha-<short>, that tag passes', () => {
    const dir = plantedCopy((edit) => {
      edit('.github/workflows/ci.yml', (text) =>
        text.replace('type=sha,format=long,prefix=', 'type=sha'),
      );
      edit('docs/deploy/kubernetes.md', (text) => `${text}\n${shortTagLine}`);
    });
    const found = problems(checkTags(dir));
    expect(found.join('\n')).not.toContain('sha-<short>');
    expect(checkTags(dir)[0]?.name).toContain('sha-<short commit>');
  });
});

describe('docs commands', () => {
  const facts = vpsFacts(root);
  if ('problem' in facts) throw new Error(facts.problem);
  const scripts = Object.keys(
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: object }).scripts,
  );
  const exists = (path: string) => existsSync(join(root, path));
  /** The problems of a page with one shell block of these lines (the first is on line 2). */
  const check = (...lines: string[]) =>
    docProblems(
      [{ path: 'docs/guide/planted.md', text: ['```sh', ...lines, '```'].join('\n') }],
      facts,
      scripts,
      exists,
    );

  it('passes the committed docs', () => {
    expect(problems(checkDocs(root))).toEqual([]);
  });

  it('fails a command that names the production project shipshape-prod', () => {
    const found = check(
      'docker compose -p shipshape-prod --env-file deploy/env/production.env -f docker-compose.prod.yml up -d',
      'docker compose -p shipshape-prod logs -f api',
    );
    expect(found).toEqual([
      'docs/guide/planted.md:2: -p shipshape-prod with --env-file deploy/env/production.env; the scripts name that project shipshape-production (deploy/vps/lib.sh)',
      expect.stringMatching(
        /^docs\/guide\/planted\.md:3: compose project shipshape-prod is neither one the scripts use/,
      ),
    ]);
  });

  it("accepts a page's own project and the files it creates", () => {
    const found = check(
      'cp deploy/env/production.env.example deploy/env/rehearsal.env',
      'docker compose -p shipshape-rehearsal --env-file deploy/env/rehearsal.env -f docker-compose.prod.yml up -d',
      'docker compose -p shipshape-rehearsal ps',
      'deploy/vps/compose.sh production logs -f api',
    );
    expect(found).toEqual([]);
  });

  it('fails a docker run of an image tag the page never builds', () => {
    const found = check(
      'docker build --target api -t localhost/shipshape-api:$GIT_COMMIT .',
      'docker run --rm localhost/shipshape-api:$GIT_COMMIT',
      'docker run --rm localhost/shipshape-api:guide',
    );
    expect(found).toEqual([
      'docs/guide/planted.md:4: docker run shipshape-api:guide: the page builds shipshape-api:$GIT_COMMIT',
    ]);
  });

  it("fails a pnpm script package.json lacks, pnpm's own doctor, a missing path and state file", () => {
    const found = check(
      'pnpm db:migrat',
      'pnpm doctor https://shipshape.example.com',
      'deploy/vps/deploi.sh production',
      'cat /var/lib/shipshape/production/current.txt',
    );
    expect(found).toEqual([
      'docs/guide/planted.md:2: pnpm db:migrat: package.json has no script db:migrat',
      expect.stringMatching(/planted\.md:3: pnpm doctor runs pnpm's own doctor command/),
      'docs/guide/planted.md:4: deploy/vps/deploi.sh does not exist in the repository',
      expect.stringMatching(
        /planted\.md:5: \/var\/lib\/shipshape\/production\/current\.txt: the scripts keep/,
      ),
    ]);
  });
});
