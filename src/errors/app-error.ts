// The one error type our own endpoints throw: a stable code from the catalogue, an HTTP status, a human message.
import { errorCatalogue, type ErrorCode } from './error-catalogue.js';

export class AppError extends Error {
  readonly status: number;
  constructor(readonly code: ErrorCode, message?: string, readonly details?: Record<string, unknown>) {
    super(message ?? errorCatalogue[code].message);
    this.name = 'AppError';
    this.status = errorCatalogue[code].status;
  }
}

/** Throws AppError(code) unless `condition` holds. */
export function assertThat(condition: unknown, code: ErrorCode, message?: string): asserts condition {
  if (!condition) throw new AppError(code, message);
}
