// `npm run conformance -- --issuer URL [--plan …]`: runs the checks of OpenID Foundation certification plans
// that can run on this machine against any deployment, prints each one and a tally, exits 1 on any failure.
// Several `--issuer` in one process share one Chromium (a launch costs seconds of CPU).
// Not the official suite (README "Conformance"). Kept out of the server's import graph: nothing in src imports it.
import type { Browser } from 'playwright-core';
import { Harness, type HarnessOptions, type PlanName } from './harness.js';
import { Report } from './check-report.js';
import { launchChromium } from './chromium-launch.js';
import { parseRuns, usage, UsageError, type ConformanceRuns } from './conformance-options.js';
import { configPlan } from './plan-config.js';
import { basicPlan } from './plan-basic.js';
import { formPostPlan } from './plan-formpost.js';
import { logoutPlan } from './plan-logout.js';
import { dynamicPlan } from './plan-dynamic.js';
import { fapi2Plan } from './plan-fapi2.js';

const plans: Record<PlanName, (h: Harness) => Promise<void>> = {
  config: configPlan, basic: basicPlan, formpost: formPostPlan, logout: logoutPlan, dynamic: dynamicPlan, fapi2: fapi2Plan,
};

const print = (line: string) => process.stdout.write(`${line}\n`);

/** one run's plans, its header first and its tally last */
async function runPlans(options: HarnessOptions, chromium: () => Promise<Browser>, report: Report): Promise<void> {
  const h = new Harness(options, chromium, report);
  const named = options.plans.map((plan) => (plan === 'fapi2' ? `fapi2 (${options.fapi2Variant}${options.messageSigning ? ', message signing' : ''})` : plan));
  report.print(`Conformance checks for ${options.issuer} (plans: ${named.join(', ')}) — an in-repo harness, not the OpenID Foundation's certification suite`);
  for (const plan of options.plans) {
    try {
      await plans[plan](h);
    } catch (error) {
      await report.check(plan, 'the plan runs to its end', () => { throw error; });
    }
  }
  report.print(report.tally());
}

/**
 * Runs each run's plans, `parallel` runs at a time, in one browser. One run prints as it goes; of several, each
 * prints as a block when it ends (header, checks, tally), and a last line tallies them all.
 * @returns the process exit code: 1 when any check failed
 */
export async function runConformance({ runs, parallel }: ConformanceRuns): Promise<number> {
  let browser: Promise<Browser> | undefined;
  const chromium = () => (browser ??= launchChromium());
  const alone = runs.length === 1;
  const reports = runs.map(() => {
    const lines: string[] = [];
    return { lines, report: new Report(alone ? print : (line) => lines.push(line)) };
  });
  const waiting = runs.map((options, i) => ({ options, ...reports[i]! }));
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, runs.length) }, async () => {
      for (let next = waiting.shift(); next; next = waiting.shift()) {
        await runPlans(next.options, chromium, next.report);
        if (!alone) print(next.lines.join('\n'));
      }
    }));
  } finally {
    await (await browser?.catch(() => undefined))?.close();
  }
  const all = reports.map(({ report }) => report);
  if (!alone) print(`all ${runs.length} runs: ${Report.tallyOf(all.flatMap((report) => report.results))}`);
  return all.some((report) => report.count('FAIL') > 0) ? 1 : 0;
}

try {
  process.exitCode = await runConformance(parseRuns(process.argv.slice(2)));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message ? `${error.message}\n` : ''}${usage}\n`);
  process.exitCode = 2;
}
