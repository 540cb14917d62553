// Request bodies against a zod schema: refused as a whole when any field holds what no field may (input-rules.ts),
// else every problem named at once in one request.invalid.
import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { assertCleanInput } from './input-rules.js';

/** parses `input` or throws request.invalid naming every problem */
export function validate<T>(schema: z.ZodType<T>, input: unknown): T {
  assertCleanInput(input);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new AppError('request.invalid', result.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; '));
}
