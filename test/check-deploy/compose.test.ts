// The compose-spec schema check on altered copies of the real compose files, held in memory: each
// deliberate mistake must come back as a problem naming where it is, and the files as committed
// must come back clean.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileComposeSchema, composeSchemaProblems } from '../../scripts/check-deploy/compose';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dev = readFileSync(`${repoRoot}/docker-compose.yml`, 'utf8');
const prod = readFileSync(`${repoRoot}/docker-compose.prod.yml`, 'utf8');
const validate = compileComposeSchema();

/** The text with one exact snippet replaced; fails if the snippet is gone, so no case goes stale. */
function edit(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

describe('compose-spec schema check', () => {
  it('accepts both compose files as committed', () => {
    expect(composeSchemaProblems(dev, validate)).toEqual([]);
    expect(composeSchemaProblems(prod, validate)).toEqual([]);
  });

  it('refuses a misspelled service key', () => {
    const text = edit(
      prod,
      "    healthcheck:\n      test: ['CMD', 'pg_isready'",
      "    healtcheck:\n      test: ['CMD', 'pg_isready'",
    );
    expect(composeSchemaProblems(text, validate)).toEqual([
      '/services/postgres: unknown key "healtcheck"',
    ]);
  });

  it('refuses a misspelled key inside a merged anchor, in every service that merges it', () => {
    const text = edit(dev, '  init: true', '  inti: true');
    expect(composeSchemaProblems(text, validate)).toEqual([
      '/services/migrate: unknown key "inti"',
      '/services/api: unknown key "inti"',
      '/services/worker: unknown key "inti"',
    ]);
  });

  it('refuses a restart policy that Compose does not know', () => {
    const text = edit(
      prod,
      '  restart: unless-stopped\n  init: true',
      '  restart: unles-stopped\n  init: true',
    );
    expect(composeSchemaProblems(text, validate)).toEqual([
      '/services/api/restart: "unles-stopped" is not no, always, on-failure[:N] or unless-stopped',
      '/services/worker/restart: "unles-stopped" is not no, always, on-failure[:N] or unless-stopped',
    ]);
  });

  it('refuses a depends_on condition outside the enum, naming the allowed values', () => {
    const text = edit(
      prod,
      'condition: service_completed_successfully',
      'condition: service_completed',
    );
    expect(composeSchemaProblems(text, validate)).toEqual([
      '/services/api/depends_on/migrate/condition: must be one of service_started, service_healthy, service_completed_successfully',
    ]);
  });

  it('refuses a misspelled top-level key but allows x- extensions', () => {
    const text = edit(prod, 'volumes:\n  postgres-data:', 'volume:\n  postgres-data:');
    expect(composeSchemaProblems(text, validate)).toEqual(['/: unknown key "volume"']);
    expect(composeSchemaProblems(`x-anything: {a: 1}\n${prod}`, validate)).toEqual([]);
  });

  it('refuses a duplicate key as YAML, before the schema', () => {
    const text = edit(
      dev,
      '    image: shipshape-web:local',
      '    image: shipshape-web:local\n    image: other',
    );
    expect(composeSchemaProblems(text, validate)).toEqual([
      expect.stringMatching(/^Map keys must be unique at line \d+, column \d+$/),
    ]);
  });
});
