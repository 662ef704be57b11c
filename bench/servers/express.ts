// A bare Express route running the same query: what Express itself costs over node:http, before
// any middleware of ours (sessions, passport, helmet, logging) is added.
import { createRequire } from 'node:module';
import { connectDatabase } from '@shipshape/db';
import { baselineEnv, notesPage, notesPageSql, type NoteRow } from './notes-query';

// Express is the API's dependency, not the repository root's: loaded from the API package, so
// the baseline runs the very version the API runs. Typed here by the little it uses.
interface BareResponse {
  json(body: unknown): void;
}
type Handler = (req: unknown, res: BareResponse) => Promise<void>;
interface BareApp {
  get(path: string, handler: Handler): void;
  listen(port: number, host: string): void;
}
const requireFromApi = createRequire(new URL('../../apps/api/package.json', import.meta.url));
const express = requireFromApi('express') as () => BareApp;

const env = baselineEnv();
const { pool } = connectDatabase(env.databaseUrl, { max: env.poolMax });

const app = express();
app.get('/api/notes', async (_req, res) => {
  const { rows } = await pool.query<NoteRow>(notesPageSql, [env.userId]);
  res.json(notesPage(rows));
});
app.listen(env.port, '127.0.0.1');
