// drizzle-kit compares src/schema.ts with the committed migrations and writes the difference
// as a new SQL file. It never touches a database: `pnpm db:migrate` applies the files.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './migrations',
});
