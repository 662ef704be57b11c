// What each check of `pnpm check:deploy` hands back: its name, and the problems it found (none
// means it passed). The main script prints them one line per check.
export interface CheckResult {
  name: string;
  problems: string[];
}
