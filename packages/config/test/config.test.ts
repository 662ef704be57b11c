import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, envVariableNames, loadConfig } from '../src/index';

const strongSecret = 'k3v9Qx7LmP2aZr8TnB4wYc6HdJ1sFe5GuV0oXiRq';
const deployed = {
  DATABASE_URL: 'postgres://app@db:5432/app',
  REDIS_URL: 'redis://redis:6379',
  S3_BUCKET: 'shipshape-uploads',
  SESSION_SECRET: strongSecret,
  PUBLIC_URL: 'https://shipshape.example.com',
  SMTP_URL: 'smtp://apikey:key@smtp.example.com:587',
  MAIL_FROM: 'Shipshape <no-reply@shipshape.example.com>',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('config', () => {
  it('refuses to send mail from a deployment that names no sender, server or public address', () => {
    const { PUBLIC_URL: _url, SMTP_URL: _smtp, MAIL_FROM: _from, ...rest } = deployed;
    expect(problemsOf({ APP_ENV: 'production', ...rest })).toEqual([
      expect.stringMatching(/^PUBLIC_URL: required/),
      expect.stringMatching(/^SMTP_URL: required/),
      expect.stringMatching(/^MAIL_FROM: required/),
    ]);
    // A plain http address would put reset links on the wire in clear.
    expect(
      problemsOf({
        APP_ENV: 'production',
        ...deployed,
        PUBLIC_URL: 'http://shipshape.example.com',
      }),
    ).toEqual([expect.stringMatching(/^PUBLIC_URL: required/)]);
  });

  it('reads SMTP from its parts when there is no SMTP_URL, and mail goes to the catcher in local', () => {
    const { SMTP_URL: _smtp, ...rest } = deployed;
    const config = loadConfig({
      APP_ENV: 'production',
      ...rest,
      SMTP_HOST: 'smtp.example.com',
      SMTP_PORT: '465',
      SMTP_USER: 'apikey',
      SMTP_PASSWORD: 'p@ss:/word',
    });
    expect(config.mail.smtp).toEqual({
      host: 'smtp.example.com',
      port: 465,
      secure: true,
      user: 'apikey',
      password: 'p@ss:/word',
    });
    expect(config.publicUrl).toBe('https://shipshape.example.com');
    expect(loadConfig({ PORT: '4000' })).toMatchObject({
      publicUrl: 'http://localhost:4000',
      mail: { smtp: { url: 'smtp://127.0.0.1:1025' } },
    });
  });

  it('runs locally with no environment at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ appEnv: 'local', isLocal: true, port: 3000 });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('takes PORT from the environment, as Render and Railway inject it', () => {
    expect(loadConfig({ PORT: '10000' }).port).toBe(10000);
  });

  it('accepts a complete production environment', () => {
    const config = loadConfig({ APP_ENV: 'production', ...deployed });
    expect(config).toMatchObject({ appEnv: 'production', isLocal: false });
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ APP_ENV: 'production', PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'LOG_LEVEL',
      'MAIL_FROM',
      'PORT',
      'PUBLIC_URL',
      'REDIS_URL',
      'S3_BUCKET',
      'SESSION_SECRET',
      'SMTP_URL',
    ]);
  });

  it('refuses an unknown APP_ENV', () => {
    expect(problemsOf({ APP_ENV: 'prod' })[0]).toMatch(/^APP_ENV:/);
  });

  it.each(['staging', 'production'])('refuses the embedded database in %s', (appEnv) => {
    const { DATABASE_URL: _, ...rest } = deployed;
    const problems = problemsOf({ APP_ENV: appEnv, ...rest });
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL: required/)]);
  });

  it.each(['staging', 'production'])('refuses in-process jobs (no REDIS_URL) in %s', (appEnv) => {
    const { REDIS_URL: _, ...rest } = deployed;
    expect(problemsOf({ APP_ENV: appEnv, ...rest })).toEqual([
      expect.stringMatching(/^REDIS_URL: required/),
    ]);
  });

  it('reads S3 settings, including the checksum compatibility switch', () => {
    const config = loadConfig({
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_FORCE_PATH_STYLE: 'true',
      S3_CHECKSUM: 'when_supported',
    });
    expect(config.s3).toMatchObject({ forcePathStyle: true, checksumMode: 'when_supported' });
    expect(problemsOf({ S3_CHECKSUM: 'sometimes' })[0]).toMatch(/^S3_CHECKSUM:/);
  });

  it.each([
    ['missing', undefined],
    ['short', 'too-short-secret'],
    ['a known example value', 'replace-with-the-output-of-openssl-rand-base64-48'],
  ])('refuses a %s SESSION_SECRET outside local', (_, secret) => {
    const { SESSION_SECRET: _secret, ...rest } = deployed;
    const env = { APP_ENV: 'staging', ...rest, ...(secret && { SESSION_SECRET: secret }) };
    expect(problemsOf(env)).toEqual([expect.stringMatching(/^SESSION_SECRET:/)]);
  });

  it('signs upload URLs for S3_PUBLIC_ENDPOINT, or the internal endpoint when it is unset', () => {
    const internal = { S3_ENDPOINT: 'http://rustfs:9000' };
    expect(loadConfig(internal).s3.publicEndpoint).toBe('http://rustfs:9000');
    const both = { ...internal, S3_PUBLIC_ENDPOINT: 'https://shipshape.example.com' };
    expect(loadConfig(both).s3).toMatchObject({
      endpoint: 'http://rustfs:9000',
      publicEndpoint: 'https://shipshape.example.com',
    });
    expect(loadConfig({}).s3.publicEndpoint).toBeUndefined();
    expect(problemsOf({ S3_PUBLIC_ENDPOINT: 'ftp://files' })).toEqual([
      expect.stringMatching(/^S3_PUBLIC_ENDPOINT:/),
    ]);
  });

  it('gives each user 1 GiB of files unless FILES_QUOTA_BYTES says otherwise', () => {
    expect(loadConfig({}).filesQuotaBytes).toBe(1024 ** 3);
    expect(loadConfig({ FILES_QUOTA_BYTES: '5000' }).filesQuotaBytes).toBe(5000);
    expect(problemsOf({ FILES_QUOTA_BYTES: '0' })).toEqual([
      expect.stringMatching(/^FILES_QUOTA_BYTES:/),
    ]);
  });

  it('refuses a DATABASE_URL that is not a postgres URL', () => {
    expect(problemsOf({ DATABASE_URL: 'mysql://db/app' })[0]).toMatch(/^DATABASE_URL:/);
  });

  it('trusts no proxy unless told, and never every proxy', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(problemsOf({ TRUST_PROXY: 'true' })[0]).toMatch(/^TRUST_PROXY:/);
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
  });
});

describe('.env.example', () => {
  const documented = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);

  it('documents exactly the variables the schema reads', () => {
    expect([...documented].sort()).toEqual([...envVariableNames].sort());
  });

  it('describes each variable with a comment above it (or above its group)', () => {
    const lines = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8').split(
      '\n',
    );
    const isVariable = (line: string) => /^#?\s*[A-Z][A-Z0-9_]*=/.test(line);
    for (const name of envVariableNames) {
      let above = lines.findIndex((line) => new RegExp(`^#?\\s*${name}=`).test(line)) - 1;
      while (above >= 0 && isVariable(lines[above] ?? '')) above--;
      expect(lines[above], `comment above ${name}`).toMatch(/^# /);
    }
  });
});
