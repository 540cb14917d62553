// A KvStore that opens the real one when it is first used: a one-shot CLI command that never reads or announces
// anything in Redis then neither loads the Redis client (about a third of a command's start-up CPU) nor connects.
// Should such a command use it after all, it gets the same store, opened then (which commands: cli/commands.ts).
import type { KvStore } from './kv-store.js';

type Operation = Exclude<keyof KvStore, 'kind' | 'close'>;

// a record, not a list, so that a method added to KvStore fails to compile here until it is forwarded
const operations: Record<Operation, true> = {
  get: true, getMany: true, set: true, setIfAbsent: true, compareAndSet: true, del: true, ttl: true, incr: true, decr: true,
  addToSet: true, setAndAddToSet: true, setMembers: true, listPush: true, listRange: true, publish: true, subscribe: true, ping: true,
};

/**
 * `open` runs at the first call, and again at the next call after it failed (its error is that call's). close()
 * closes what was opened, waiting for an opening under way, and nothing when nothing was; calls after it reject.
 */
export function storeOnFirstUse(kind: KvStore['kind'], open: () => Promise<KvStore>): KvStore {
  let opened: Promise<KvStore> | undefined;
  let closed = false;
  const store = () => {
    if (closed) return Promise.reject(new Error('the store is closed'));
    return (opened ??= open().catch((error: unknown) => {
      opened = undefined;
      throw error;
    }));
  };
  const forward = (name: Operation) => async (...args: unknown[]) => {
    const target = await store();
    return (target[name] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
  };
  return {
    kind,
    ...Object.fromEntries(Object.keys(operations).map((name) => [name, forward(name as Operation)])) as Pick<KvStore, Operation>,
    async close() {
      closed = true;
      const target = await opened?.catch(() => undefined);
      await target?.close();
    },
  };
}
