// The variables a deployment cannot start without are the ones the config package itself lists
// as required outside local: every check reads that one list, so none drifts from the schema.
import { deploymentVariableNames } from '@shipshape/config';

export function requiredOutsideLocal(): string[] {
  return [...deploymentVariableNames];
}
