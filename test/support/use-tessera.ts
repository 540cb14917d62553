// The usual set-up of an integration suite in one call: a Tessera server on a throwaway database and Redis prefix
// of its own, started in `before` and stopped — database dropped, keys deleted — in `after`.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startInProcess, type InProcessOptions } from './in-process-tessera.js';
import { createTestServices, type TestServices } from './test-env.js';
import { processesOnly, startTessera, type TesseraProcess } from './tessera-process.js';

export interface UseTesseraOptions {
  /** `node dist/src/main.js` in a process of its own (signals, process exit, what main.ts alone does) instead of the
   *  same app inside the test process; TESSERA_TEST_PROCESS=1 makes every server a process */
  process?: boolean;
  /** the test moves the server's clock on by more than it could wait (days): always in this process, whatever
   *  TESSERA_TEST_PROCESS says */
  movableClock?: boolean;
}

/** starts a server on `env`: in this process unless asked for a process (options.process or TESSERA_TEST_PROCESS=1) */
export function startServer(env: Record<string, string>, options: UseTesseraOptions & InProcessOptions = {}): Promise<TesseraProcess> {
  const { process: asProcess, movableClock, ...where } = options;
  return !movableClock && (asProcess || processesOnly) ? startTessera(env, where) : startInProcess(env, where);
}

/**
 * Registers the hooks in the current suite and returns a handle that stands for the server once its `before` has
 * run. Hooks run in the order they are registered, so call this at the top of a `describe`: the suite's own
 * `before` can then use the server, and the server is stopped before the suite's own `after` runs.
 * @param env added to (or overriding) the environment of the services, e.g. `{ LOG_LEVEL: 'trace' }`
 */
export function useTessera(env: Record<string, string> = {}, options: UseTesseraOptions = {}): TesseraProcess {
  let services: TestServices | undefined;
  let server: TesseraProcess | undefined;
  before(async () => {
    services = await createTestServices();
    server = await startServer({ ...services.env, ...env }, options);
  });
  after(async () => {
    await server?.stop();
    await services?.drop();
  });
  const started = (): TesseraProcess => server ?? assert.fail('the server is only there once the suite\'s before() has run');
  return {
    get url() { return started().url; },
    get port() { return started().port; },
    get env() { return started().env; },
    get clock() { return started().clock; },
    output: () => started().output(),
    issuer: (slug) => started().issuer(slug),
    cli: (argv) => started().cli(argv),
    stop: () => started().stop(),
  };
}
