// The variables a deployment cannot start without are whatever the config package rejects when
// APP_ENV=production and nothing else is set: asking it keeps every check's list from drifting
// away from the schema.
import { ConfigError, envVariableNames, loadConfig } from '@shipshape/config';

export function requiredOutsideLocal(): string[] {
  try {
    loadConfig({ APP_ENV: 'production' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const names = error.problems.map((problem) => problem.slice(0, problem.indexOf(':')));
    // A name outside the schema would mean the problem text changed shape: fail loudly.
    const unknown = names.filter((name) => !envVariableNames.includes(name));
    if (unknown.length > 0) throw new Error(`not schema variables: ${unknown.join(', ')}`);
    return names;
  }
  throw new Error('loadConfig accepted APP_ENV=production with nothing else set');
}
