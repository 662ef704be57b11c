// `pnpm run doctor <url>`: checks a deployed Shipshape from outside, one line per check with what
// to do when it fails. Exits 0 when every check passed, 1 when any failed, 2 on a usage mistake.
// The checks live in scripts/doctor/; docs/deploy/doctor.md explains each one.
import { parseOptions, usage, UsageError } from './doctor/options';
import { runDoctor } from './doctor/run';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`doctor: ${error.message}\n\n${usage}`);
  process.exit(2);
}
if (options === 'help') {
  console.log(usage);
  process.exit(0);
}

console.log(`Checking ${options.url.origin}`);
const { checks, failed } = await runDoctor(options, (line) => {
  console.log(line);
});
console.log(
  failed === 0 ? `All ${checks} checks passed.` : `${failed} of ${checks} checks failed.`,
);
process.exitCode = failed === 0 ? 0 : 1;
