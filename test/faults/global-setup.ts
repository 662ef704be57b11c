// Runs once before the fault suite: builds the bundles the stack runs, and starts a Postgres
// server of the suite's own that the test files create their databases on (the file that
// restarts Postgres starts another of its own, so as not to pull it from under the others).
import { buildBundles } from '@shipshape/stack';
import { startOwnPostgres } from './own-postgres';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The suite's own Postgres server (postgres://…/postgres), for createEmptyDatabase. */
    faultsPostgresUrl: string;
  }
}

export default async function setup(project: TestProject) {
  // FAULTS_SKIP_BUILD=1 when the bundles were just built, to run one file again quickly.
  if (process.env.FAULTS_SKIP_BUILD !== '1') buildBundles();
  const postgres = await startOwnPostgres();
  project.provide('faultsPostgresUrl', postgres.url);
  return () => postgres.remove();
}
