// `--env <name>` (issue #19) on every command that takes `--tenant`: the command then addresses that environment
// of the tenant, whose slug is `{tenant}~{name}` (tenants/environment-names.ts); `live` (the default) is the
// tenant itself. Rewritten once, before the command runs in-process, in the server or through the Management API.
import { environmentNamePattern, environmentSlug, liveEnvironment, tenantSlugPattern } from '../tenants/environment-names.js';
import { UsageError } from './cli-args.js';

function take(argv: string[], flag: string): { value: string | undefined; at: number; width: number } {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return { value: argv[i + 1], at: i, width: 2 };
    if (argv[i]!.startsWith(`${flag}=`)) return { value: argv[i]!.slice(flag.length + 1), at: i, width: 1 };
  }
  return { value: undefined, at: -1, width: 0 };
}

/** argv with `--env` folded into `--tenant` @throws UsageError for a malformed name or `--env` without `--tenant` */
export function applyEnvironmentFlag(argv: readonly string[]): string[] {
  const env = take([...argv], '--env');
  if (env.at < 0) return [...argv];
  const name = env.value;
  if (name === undefined || !(name === liveEnvironment || environmentNamePattern.test(name))) throw new UsageError('--env takes an environment name, e.g. live or sandbox');
  const rest = [...argv.slice(0, env.at), ...argv.slice(env.at + env.width)];
  const tenant = take(rest, '--tenant');
  if (tenant.at < 0 || tenant.value === undefined) throw new UsageError('--env needs --tenant <slug>');
  if (!tenantSlugPattern.test(tenant.value)) throw new UsageError('--env needs --tenant to name the tenant itself (not an environment slug)');
  rest.splice(tenant.at, tenant.width, '--tenant', environmentSlug(tenant.value, name));
  return rest;
}
