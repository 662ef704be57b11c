// Two workflow rules of scripts/check-deploy/workflows.ts: every job proves which pnpm it ran,
// and no image is tagged before the doctor passed. Each passes the committed workflows and
// catches the mistake it exists for.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseWorkflow, pnpmProven, tagsAfterDoctor } from '../../scripts/check-deploy/workflows';

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

describe('the rule that tags follow the doctor', () => {
  it('passes the committed deploy.yml, which tags after the doctor', async () => {
    const text = await read('deploy.yml');
    expect(text).toContain('imagetools create');
    expect(tagsAfterDoctor(parseWorkflow('deploy.yml', text))).toEqual([]);
  });

  it('reports a step that tags the release before the doctor, as deploy.yml once did', async () => {
    const text = (await read('deploy.yml')).replace(
      '      - name: Doctor\n',
      `      - name: Tag the release
        run: docker buildx imagetools create --tag "$REPO:$RELEASE_TAG" "$REF"

      - name: Doctor
`,
    );
    expect(tagsAfterDoctor(parseWorkflow('deploy.yml', text))).toEqual([
      expect.stringMatching(/deploy\.yml:\d+:\d+ writes an image tag before the doctor step/),
    ]);
  });
});
