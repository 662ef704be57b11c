// The workflow rule that every job proves which pnpm it ran (scripts/check-deploy/workflows.ts):
// it passes the committed workflows and catches a job whose check step was left out.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseWorkflow, pnpmProven } from '../check-deploy/workflows';

const read = (name: string) =>
  readFile(fileURLToPath(new URL(`../../.github/workflows/${name}`, import.meta.url)), 'utf8');

describe('the pnpm proof rule', () => {
  it('passes the committed workflows, where every job that sets up pnpm checks it', async () => {
    for (const name of ['ci.yml', 'deploy.yml']) {
      const text = await read(name);
      expect(text).toContain('pnpm/action-setup@');
      expect(pnpmProven(parseWorkflow(name, text))).toEqual([]);
    }
  });

  it('reports a job that runs pnpm/action-setup without checking the version it installed', async () => {
    const text = (await read('ci.yml')).replace(
      /(- uses: pnpm\/action-setup@v\d+\n)(?:\s+#.*\n)*\s+- name: Check pnpm[^\n]*\n\s+run: \|\n(?:\s{10}.*\n)+/,
      '$1',
    );
    const problems = pnpmProven(parseWorkflow('ci.yml', text));
    expect(problems).toEqual([
      expect.stringMatching(
        /ci\.yml:\d+:\d+ job lint: the step after pnpm\/action-setup must fail/,
      ),
    ]);
  });
});
