// `npm run conformance -- --issuer URL [--plan …]`: runs the checks of OpenID Foundation certification plans
// that can run on this machine against any deployment, prints each one and a tally, exits 1 on any failure.
// Not the official suite (README "Conformance"). Kept out of the server's import graph: nothing in src imports it.
import { Harness, type HarnessOptions, type PlanName } from './harness.js';
import { parseOptions, usage, UsageError } from './conformance-options.js';
import { configPlan } from './plan-config.js';
import { basicPlan } from './plan-basic.js';
import { formPostPlan } from './plan-formpost.js';
import { logoutPlan } from './plan-logout.js';
import { dynamicPlan } from './plan-dynamic.js';
import { fapi2Plan } from './plan-fapi2.js';

const plans: Record<PlanName, (h: Harness) => Promise<void>> = {
  config: configPlan, basic: basicPlan, formpost: formPostPlan, logout: logoutPlan, dynamic: dynamicPlan, fapi2: fapi2Plan,
};

/** runs the chosen plans; resolves to the process exit code */
export async function runConformance(options: HarnessOptions): Promise<number> {
  const h = new Harness(options);
  process.stdout.write(`Conformance checks for ${options.issuer} (plans: ${options.plans.join(', ')}) — an in-repo harness, not the OpenID Foundation's certification suite\n`);
  try {
    for (const plan of options.plans) {
      try {
        await plans[plan](h);
      } catch (error) {
        await h.report.check(plan, 'the plan runs to its end', () => { throw error; });
      }
    }
  } finally {
    await h.close();
  }
  process.stdout.write(`${h.report.tally()}\n`);
  return h.report.count('FAIL') > 0 ? 1 : 0;
}

try {
  process.exitCode = await runConformance(parseOptions(process.argv.slice(2)));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message ? `${error.message}\n` : ''}${usage}\n`);
  process.exitCode = 2;
}
