// `pnpm check:deploy`: validates the deployment files offline, without a container engine.
// One line per check; exits 1 if any check failed, after running all of them, so one run shows
// every problem. Each module of scripts/check-deploy/ checks one kind of file; the tools it
// calls are Debian's docker-compose and caddy, shellcheck, and what node_modules holds.
import type { CheckResult } from './check-result';
import { checkCompose } from './check-deploy/compose';
import { checkDocs } from './check-deploy/docs';
import { checkHetzner } from './check-deploy/hetzner';
import { checkImages } from './check-deploy/images';
import { checkKubernetes } from './check-deploy/k8s';
import { checkRailway } from './check-deploy/railway';
import { checkRender } from './check-deploy/render';
import { checkTags } from './check-deploy/tags';
import { checkTools } from './check-deploy/tools';
import { checkWorkflowCommands } from './check-deploy/workflow-commands';
import { checkWorkflows } from './check-deploy/workflows';

const checks: (() => CheckResult[] | Promise<CheckResult[]>)[] = [
  checkCompose,
  checkTools,
  checkRender,
  checkRailway,
  checkWorkflows, // before checkHetzner: see parseHcl() there
  checkHetzner,
  checkKubernetes,
  // The contracts with the world outside this repository: images pinned to tags their upstream
  // publishes, programs the runner has, tags CI pushes, and docs that name what the scripts use.
  checkImages,
  checkWorkflowCommands,
  checkTags,
  checkDocs,
];

let failures = 0;
for (const check of checks) {
  for (const { name, ok, detail } of await check()) {
    console.log(`${ok ? 'ok  ' : 'FAIL'}  ${name}`);
    if (ok) continue;
    failures += 1;
    for (const line of detail.split('\n')) console.log(`      ${line}`);
  }
}
console.log(failures === 0 ? 'check:deploy: all passed' : `check:deploy: ${failures} failed`);
process.exitCode = failures === 0 ? 0 : 1;
