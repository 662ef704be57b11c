// What every check hands back, `pnpm run doctor`'s and `pnpm check:deploy`'s alike: its name,
// whether it passed, what it saw, and on failure what to do about it, in words.
export interface CheckResult {
  name: string;
  ok: boolean;
  /** What the check saw: the evidence on success, the problem (one a line) on failure. */
  detail: string;
  /** On failure: what to do, in words a person can act on. */
  fix?: string;
}

export const pass = (name: string, detail: string): CheckResult => ({ name, ok: true, detail });

export const fail = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  ok: false,
  detail,
  fix,
});

/** A check that lists what it found wrong: it passed when the list is empty. */
export const judge = (name: string, problems: string[]): CheckResult =>
  problems.length === 0 ? pass(name, '') : { name, ok: false, detail: problems.join('\n') };

/** The problems of failed checks, one a line. */
export const problemsOf = (results: CheckResult[]): string[] =>
  results.flatMap((result) => (result.ok ? [] : result.detail.split('\n')));

export function formatLine({ name, ok, detail, fix }: CheckResult): string {
  return ok ? `✓ ${name} — ${detail}` : `✗ ${name} — ${detail}. Fix: ${fix ?? 'see above'}`;
}
