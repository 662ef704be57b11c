// `pnpm user:promote <email>`, and `node dist/promote.js <email>` in the api image: makes an
// existing account an admin. The first admin is made this way, by someone with a shell on a
// server, never by an environment variable that anyone who can edit the deployment could set
// (ADR 035). The audit records it with 'command' as the actor and the machine it ran on.
import { hostname } from 'node:os';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { createAdminService } from './admin/service';

const email = process.argv[2]?.trim();
if (!email || process.argv.length > 3) {
  console.error(
    'Usage: pnpm user:promote <email>   (in the api image: node dist/promote.js <email>)',
  );
  process.exit(2);
}
const config = loadConfigOrExit();
if (!config.databaseUrl) {
  console.error('DATABASE_URL is not set: it names the database whose account to promote.');
  process.exit(1);
}

const { pool, db } = connectDatabase(config.databaseUrl, { max: 1 });
try {
  const outcome = await createAdminService({ db }).promoteByEmail(email, {
    id: null,
    name: 'command',
    clientIp: null,
    userAgent: `user:promote on ${hostname()}`,
  });
  if (!outcome) {
    console.error(`No account uses ${email}. Sign up with it first, then run this again.`);
    process.exitCode = 1;
  } else if (outcome === 'already') {
    console.log(`${email} is an administrator already.`);
  } else {
    console.log(`${email} is now an administrator.`);
  }
} finally {
  await pool.end();
}
