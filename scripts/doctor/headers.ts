// The security headers a browser should get on the page and on an API answer. Two answers
// because two programs set them (ADR 021): Caddy for the page, helmet in the API for /api/*.
// Each rule is one line, naming which answer lacks what and where that answer's headers are set.
import type { IncomingHttpHeaders } from 'node:http';
import { fail, pass, type CheckResult } from '../check-result';
import { fetchAnswer, unreachable, type Target } from './request';

export type Source = 'page' | 'api';

export interface HeaderSample {
  path: string;
  source: Source;
  headers: IncomingHttpHeaders;
}

interface Rule {
  name: string;
  /** What is wrong with these headers, or undefined when they are right. */
  problem: (headers: IncomingHttpHeaders) => string | undefined;
  /** The evidence a passing line shows. */
  shown: (headers: IncomingHttpHeaders) => string;
  fix: Record<Source, string>;
}

const ONE_YEAR_S = 31_536_000;
const pageFix = (header: string) =>
  `set ${header} in the Caddyfile's header block for the page (handle, not handle @api)`;
const apiFix = (header: string) =>
  `set ${header} with helmet in apps/api/src/http/security-headers.ts`;

const one = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value.join(', ') : value;

const rules: Rule[] = [
  {
    name: 'HSTS',
    problem: (h) => {
      const value = one(h['strict-transport-security']);
      if (!value) return 'no Strict-Transport-Security';
      const maxAge = Number(/max-age=(\d+)/i.exec(value)?.[1] ?? 0);
      return maxAge < ONE_YEAR_S ? `max-age=${maxAge}, under a year (${ONE_YEAR_S})` : undefined;
    },
    shown: (h) => one(h['strict-transport-security']) ?? '',
    fix: {
      page: 'the Caddyfile sends Strict-Transport-Security "max-age=31536000; includeSubDomains" on HTTPS answers (header @https): keep that line',
      api: 'the API sends HSTS only when APP_ENV is staging or production and the request came over HTTPS through a trusted proxy: set TRUST_PROXY so the API believes Caddy (docs/deploy/trust-proxy.md)',
    },
  },
  {
    name: 'Content-Security-Policy',
    problem: (h) => {
      const value = one(h['content-security-policy']);
      if (!value) return 'no Content-Security-Policy';
      return /default-src/.test(value) ? undefined : 'a policy without default-src';
    },
    shown: (h) => {
      const directives = (one(h['content-security-policy']) ?? '').split(';').filter(Boolean);
      return `${directives[0] ?? ''}… (${directives.length} directives)`;
    },
    fix: { page: pageFix('Content-Security-Policy'), api: apiFix('Content-Security-Policy') },
  },
  {
    name: 'X-Content-Type-Options',
    problem: (h) => {
      const value = one(h['x-content-type-options']);
      return value?.toLowerCase() === 'nosniff' ? undefined : `"${value ?? ''}", not nosniff`;
    },
    shown: () => 'nosniff',
    fix: {
      page: pageFix('X-Content-Type-Options nosniff'),
      api: apiFix('X-Content-Type-Options nosniff'),
    },
  },
  {
    name: 'Referrer-Policy',
    problem: (h) => {
      const value = one(h['referrer-policy']);
      if (!value) return 'no Referrer-Policy';
      return /unsafe-url/.test(value) ? `${value} sends full addresses to other sites` : undefined;
    },
    shown: (h) => one(h['referrer-policy']) ?? '',
    fix: { page: pageFix('Referrer-Policy no-referrer'), api: apiFix('Referrer-Policy') },
  },
  {
    name: 'framing',
    problem: (h) => {
      const frameOptions = one(h['x-frame-options'])?.toUpperCase();
      if (frameOptions === 'DENY' || frameOptions === 'SAMEORIGIN') return undefined;
      if (/frame-ancestors/.test(one(h['content-security-policy']) ?? '')) return undefined;
      return 'neither X-Frame-Options nor frame-ancestors: other sites may frame it (clickjacking)';
    },
    shown: (h) => {
      const ancestors = /frame-ancestors[^;]*/.exec(one(h['content-security-policy']) ?? '')?.[0];
      const frameOptions = one(h['x-frame-options']);
      return [frameOptions && `X-Frame-Options ${frameOptions}`, ancestors]
        .filter(Boolean)
        .join(', ');
    },
    fix: {
      page: pageFix("X-Frame-Options SAMEORIGIN, or frame-ancestors 'none' in the policy,"),
      api: apiFix("X-Frame-Options, or frame-ancestors 'none' in the policy,"),
    },
  },
  {
    name: 'no Server header',
    problem: (h) => {
      const names = [
        h.server && `Server: ${one(h.server) ?? ''}`,
        h['x-powered-by'] && `X-Powered-By: ${one(h['x-powered-by']) ?? ''}`,
      ];
      const found = names.filter(Boolean);
      return found.length > 0 ? `sends ${found.join(', ')}` : undefined;
    },
    shown: () => 'neither Server nor X-Powered-By',
    fix: {
      page: 'keep `header -Server` in the Caddyfile site block: it tells scanners which exploits to try',
      api: 'keep `header -Server` in the Caddyfile site block (it covers proxied answers too) and helmet in the API, which drops X-Powered-By',
    },
  },
];

/** One result per rule, judged on every sample. */
export function judgeSecurityHeaders(samples: HeaderSample[]): CheckResult[] {
  return rules.map((rule) => {
    const problems = samples.flatMap((sample) => {
      const problem = rule.problem(sample.headers);
      return problem ? [{ sample, problem }] : [];
    });
    if (problems.length > 0) {
      const sources = [...new Set(problems.map((p) => p.sample.source))];
      // The same problem on both answers is said once, naming both paths.
      const paths = new Map<string, string[]>();
      for (const { problem, sample } of problems) {
        paths.set(problem, [...(paths.get(problem) ?? []), sample.path]);
      }
      return fail(
        rule.name,
        [...paths].map(([problem, where]) => `${problem} on ${where.join(' and ')}`).join('; '),
        sources.map((source) => rule.fix[source]).join('; '),
      );
    }
    const shown = samples.map((sample) => ({
      path: sample.path,
      seen: rule.shown(sample.headers),
    }));
    const same = shown.every(({ seen }) => seen === shown[0]?.seen);
    return pass(
      rule.name,
      same
        ? `${shown[0]?.seen ?? ''} on ${shown.map((s) => s.path).join(' and ')}`
        : shown.map(({ path, seen }) => `${seen} on ${path}`).join('; '),
    );
  });
}

/** Fetches the page and an API answer, then judges both. */
export async function checkSecurityHeaders(target: Target): Promise<CheckResult[]> {
  const wanted: { path: string; source: Source }[] = [
    { path: '/', source: 'page' },
    { path: '/api/version', source: 'api' },
  ];
  const samples: HeaderSample[] = [];
  for (const { path, source } of wanted) {
    const url = new URL(path, target.url);
    try {
      samples.push({ path, source, headers: (await fetchAnswer(target, url)).headers });
    } catch (error) {
      return [unreachable(`security headers on ${path}`, url, error)];
    }
  }
  return judgeSecurityHeaders(samples);
}
