// `tessera demo [--reset]`: the development demo's sign-in details again, or new ones (demo.service.ts).
import { AppError } from '../errors/app-error.js';
import { demoBanner } from '../demo/demo-banner.js';
import { parseFlags } from './cli-args.js';
import type { PreparedCommand } from './commands.js';

export function demoCommand(args: string[]): PreparedCommand {
  const { values } = parseFlags(args, { reset: { type: 'boolean' } });
  return async (services) => {
    if (services.config.env === 'production') throw new AppError('demo.unavailable', 'There is no demo in production.');
    if (!services.config.seedDemo && !(await services.tenants.find('demo'))) {
      throw new AppError('demo.unavailable', 'There is no demo: it is created at start-up in development (SEED_DEMO=true).');
    }
    // loaded here: it brings the provider's modules, which argument checking does not need
    const { ensureDemo } = await import('../demo/demo.service.js');
    const demo = await ensureDemo(services, { reset: values.reset === true });
    if (!demo) throw new AppError('demo.unavailable', 'The demo is being created by a server starting now: try again in a moment.');
    return { printed: demoBanner(demo.info), exitCode: 0 };
  };
}
