// One name for "a store cannot be reached right now": Redis down or reconnecting, or PostgreSQL refusing or
// dropping connections. The HTTP layer answers such a failure with 503 and Retry-After (http/store-outage.ts):
// the request did nothing wrong, and retrying shortly will work once the store is back.

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    readonly store: 'redis' | 'database',
    options?: { cause?: unknown },
  ) {
    super(`${store === 'redis' ? 'Redis' : 'the database'} cannot be reached`, options);
  }
}

// Prisma's own codes for "cannot reach / lost / timed out waiting for a connection"
const PRISMA_CONNECTION_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
// the driver adapter's kinds for the same
const ADAPTER_CONNECTION_KINDS = new Set(['DatabaseNotReachable', 'DatabaseDoesNotExist', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionAlreadyClosed']);
// SQLSTATE class 08 (connection exception), 57P01–57P03 (admin/crash shutdown, cannot connect now), 53300 (too many connections)
const SQLSTATE_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

/** which store failed, when `error` (or an error it wraps) says a store could not be reached; else null */
export function storeOutageOf(error: unknown): 'redis' | 'database' | null {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && typeof e === 'object' && !seen.has(e); ) {
    seen.add(e);
    if (e instanceof StoreUnavailableError) return e.store;
    const record = e as { code?: unknown; originalCode?: unknown; kind?: unknown; message?: unknown; meta?: { driverAdapterError?: unknown }; cause?: unknown };
    if (typeof record.code === 'string' && PRISMA_CONNECTION_CODES.has(record.code)) return 'database';
    if (typeof record.kind === 'string' && ADAPTER_CONNECTION_KINDS.has(record.kind)) return 'database';
    for (const code of [record.originalCode, record.code]) {
      if (typeof code === 'string' && (SQLSTATE_UNAVAILABLE.test(code) || SOCKET_CODES.has(code))) return 'database';
    }
    if (typeof record.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(record.message)) return 'database';
    e = record.meta?.driverAdapterError ?? record.cause;
  }
  return null;
}
