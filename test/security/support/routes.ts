// Every route of the API, read from its source: the routers (`router.get('/:id', …)` in
// apps/api/src/*/*.ts) and where app.ts mounts each one (`app.use('/api/notes', notesRouter(…))`).
// Read from the code rather than listed by hand, a route added later is covered by the access
// checks and the fuzz without anyone remembering to add it here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The full path with its parameters, e.g. /api/files/:id/content. */
  path: string;
  /** Behind requireUser: anonymous requests must get 401. */
  requiresUser: boolean;
  /** Behind requireAdmin (which requires a user first): a signed-in user must get 403. */
  requiresAdmin: boolean;
}

const src = fileURLToPath(new URL('../../../apps/api/src', import.meta.url));

export function apiRoutes(): Route[] {
  const app = readFileSync(join(src, 'app.ts'), 'utf8');
  const mounts = new Map<string, string>();
  for (const match of app.matchAll(/app\.use\(\s*(?:'([^']*)',\s*)?(\w+Router)\(/g)) {
    mounts.set(match[2] ?? '', match[1] ?? '');
  }

  const routes: Route[] = [];
  for (const folder of readdirSync(src, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    for (const file of readdirSync(join(src, folder.name))) {
      if (!file.endsWith('.ts')) continue;
      const code = readFileSync(join(src, folder.name, file), 'utf8');
      const name = /export function (\w+Router)\(/.exec(code)?.[1];
      if (!name || !mounts.has(name)) continue;
      const prefix = mounts.get(name) ?? '';
      const requiresAdmin = /router\.use\(requireAdmin\(/.test(code);
      const requiresUser = requiresAdmin || /router\.use\(requireUser\)/.test(code);
      for (const match of code.matchAll(/router\.(get|post|put|patch|delete)\(\s*'([^']+)'/g)) {
        const [, method = '', path = ''] = match;
        const own = /^router\.\w+\(\s*'[^']+',\s*requireUser\b/.test(
          match.input.slice(match.index),
        );
        routes.push({
          method: method.toUpperCase() as Route['method'],
          path: (prefix + (path === '/' ? '' : path)).replace(/(.)\/$/, '$1') || '/',
          requiresUser: requiresUser || own,
          requiresAdmin,
        });
      }
    }
  }
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

/** "GET /api/notes/:id", for test names and messages. */
export const describeRoute = (route: Route) => `${route.method} ${route.path}`;

/** The route's path with each parameter replaced by `value(name)`. */
export function fillPath(path: string, value: (name: string) => string): string {
  return path.replace(/:(\w+)/g, (_match, name: string) => value(name));
}

export type Resource = 'notes' | 'files' | 'exports' | 'sessions';

/** Which resource a route with an `:id` is about, from its path. */
export function resourceOf(route: Route): Resource | undefined {
  // A signed-in device: /api/account/sessions/:id.
  if (route.path.startsWith('/api/account/sessions/')) return 'sessions';
  const kind = /^\/api\/(notes|files|exports)\//.exec(route.path)?.[1];
  return kind as Resource | undefined;
}
