// What each check of `pnpm run doctor` hands back, and the one line it becomes: a tick and what was
// seen, or a cross, what is wrong and what to do about it, in words.
export interface CheckResult {
  name: string;
  ok: boolean;
  /** What the check saw: the evidence on success, the problem on failure. */
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

export function formatLine({ name, ok, detail, fix }: CheckResult): string {
  return ok ? `✓ ${name} — ${detail}` : `✗ ${name} — ${detail}. Fix: ${fix ?? 'see above'}`;
}
