// Recognises Prisma's "unique constraint failed" so callers can answer 409 instead of 500.
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}
