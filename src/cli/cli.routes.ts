// With the embedded database only the server process may open ./data, so `tessera` sends its commands
// here instead. Reachable only from this machine (loopback) and only with the token the server wrote,
// readable by its owner alone, into ./data/tessera.lock.
import { timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import type { Services } from '../services.js';
import { cliPath, errorOutput, runCommand } from './commands.js';

export { cliPath };
const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function cliRoutes(deps: { services: Services; token: string }) {
  const router = new Router();
  const expected = Buffer.from(`Bearer ${deps.token}`);
  router.post(cliPath, koaBody({ json: true, urlencoded: false, jsonLimit: '64kb' }), async (ctx) => {
    const presented = Buffer.from(ctx.get('Authorization'));
    const authorised = presented.length === expected.length && timingSafeEqual(presented, expected);
    // same machine: loopback, or a server bound to one address that the CLI dialled from that very address
    const { remoteAddress = '', localAddress } = ctx.req.socket;
    if (!(loopback.has(remoteAddress) || remoteAddress === localAddress) || !authorised) {
      ctx.status = 401;
      ctx.body = { error: 'auth.unauthorized', message: 'This endpoint serves the local tessera CLI only.' };
      return;
    }
    const argv = (ctx.request.body as { argv?: unknown })?.argv;
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
      ctx.status = 400;
      ctx.body = { error: 'request.invalid', message: 'argv must be an array of strings' };
      return;
    }
    try {
      ctx.body = { result: await runCommand(deps.services, argv) };
    } catch (error) {
      const out = errorOutput(error);
      ctx.status = out.exitCode === 2 ? 400 : 422;
      ctx.body = { error: out.error, message: out.message, exitCode: out.exitCode };
    }
  });
  return router;
}
