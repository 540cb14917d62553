// What every value from outside must satisfy before anything reads it further (issue #13): nesting no deeper than
// a settings document needs (deeper JSON overflowed the stack of mergePatch and structuredClone), no NUL character
// in any text (PostgreSQL cannot store or even compare one: 22021 / 22P05), instants within the years PostgreSQL's
// timestamps hold (22008) and whole numbers within its bigint (22003). Each edge — JSON bodies, forms, queries,
// cursors — applies these rules, so a hostile value is a 400 with a reason, never a database error.
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';

/** how deep arrays and objects may nest in any input; the deepest settings document needs 5 */
export const maxInputDepth = 32;

/** PostgreSQL's bigint, the type of audit ids and cursors */
export const maxBigint = 2n ** 63n - 1n;

/**
 * The deepest nesting of arrays and objects in JSON text, counted without parsing (brackets outside strings), so a
 * body can be refused before it is parsed; stops counting once past `limit`.
 */
export function jsonTextDepth(text: string, limit = maxInputDepth): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/**
 * What is wrong with a parsed input (a JSON body, a form, a query), or null: nesting deeper than `maxDepth`, or a NUL
 * in any string or key. Walks without recursion, so the check itself cannot overflow the stack.
 */
export function inputProblem(value: unknown, maxDepth = maxInputDepth): string | null {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return 'text must not contain NUL characters';
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return `nested deeper than ${maxDepth} levels`;
    for (const [key, child] of Object.entries(node)) {
      if (key.includes('\u0000')) return 'names must not contain NUL characters';
      stack.push([child, depth + 1]);
    }
  }
  return null;
}

/** @throws AppError(code, default 'request.invalid') naming what is wrong with the input */
export function assertCleanInput(value: unknown, where = 'input', code: 'request.invalid' | 'tenant.invalid_settings' = 'request.invalid'): void {
  const problem = inputProblem(value);
  if (problem) throw new AppError(code, `${where}: ${problem}.`);
}

/**
 * Parses a JSON body after checking its depth on the raw text.
 * @throws AppError('request.invalid') for text that is not JSON, is too deeply nested, or holds a NUL
 */
export function parseJsonInput(text: string, options: { strict?: boolean } = {}): unknown {
  if (jsonTextDepth(text) > maxInputDepth) throw new AppError('request.invalid', `The request body is nested deeper than ${maxInputDepth} levels.`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('request.invalid', 'The request body is not valid JSON.');
  }
  if (options.strict && (value === null || typeof value !== 'object')) throw new AppError('request.invalid', 'The request body is not valid JSON (an object or an array).');
  assertCleanInput(value, 'body');
  return value;
}

/** whether PostgreSQL's timestamp holds this instant, cut to the years ISO 8601 writes with four digits (1–9999) */
export function storableInstant(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= 1 && year <= 9999;
}

export const instantRangeMessage = 'must be a time between the years 1 and 9999';

/** an ISO 8601 date-time with an offset (RFC 3339) that the database can compare */
export const isoInstant = z.iso.datetime({ offset: true }).refine((value) => storableInstant(new Date(value)), instantRangeMessage);

/** a decimal id within PostgreSQL's bigint, or null */
export function boundedBigint(text: string): bigint | null {
  if (!/^\d{1,19}$/.test(text)) return null;
  const value = BigInt(text);
  return value <= maxBigint ? value : null;
}
