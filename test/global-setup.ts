// Runs once before all test files: creates a fresh database (on DATABASE_URL's server
// when given, else embedded), migrates it, and drops it when the run ends.
import { createTestDatabase } from '@shipshape/db/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const database = await createTestDatabase(process.env.DATABASE_URL);
  project.provide('databaseUrl', database.url);
  return () => database.drop();
}
