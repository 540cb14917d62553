// Recognises Prisma's "unique constraint failed" so callers can answer 409 instead of 500.
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}

/**
 * Recognises a PostgreSQL data exception (SQLSTATE class 22: a value the column or cast cannot take — a NUL in
 * text, a timestamp out of range, a number too large) as Prisma reports it through the driver adapter. Input
 * validation refuses these first; this is the last resort that lets the error handler answer 400, not 500.
 */
export function isDataException(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && typeof e === 'object' && !seen.has(e); ) {
    seen.add(e);
    const record = e as { code?: unknown; originalCode?: unknown; meta?: { driverAdapterError?: unknown }; cause?: unknown };
    for (const code of [record.originalCode, record.code]) if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return true;
    e = record.meta?.driverAdapterError ?? record.cause;
  }
  return false;
}
