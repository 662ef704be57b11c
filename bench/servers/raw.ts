// The ceiling: node:http and one pg query per request, nothing else. No session, no router, no
// logging: what any framework on the same machine can at best approach.
import { createServer } from 'node:http';
import { connectDatabase } from '@shipshape/db';
import { baselineEnv, notesPage, notesPageSql, type NoteRow } from './notes-query';

const env = baselineEnv();
const { pool } = connectDatabase(env.databaseUrl, { max: env.poolMax });

createServer((req, res) => {
  if (!req.url?.startsWith('/api/notes')) {
    res.writeHead(404).end();
    return;
  }
  pool.query<NoteRow>(notesPageSql, [env.userId]).then(
    ({ rows }) => {
      const body = JSON.stringify(notesPage(rows));
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    },
    (error: unknown) => {
      console.error(error);
      res.writeHead(500).end();
    },
  );
}).listen(env.port, '127.0.0.1');
