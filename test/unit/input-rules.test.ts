import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedBigint, inputProblem, jsonTextDepth, maxInputDepth, parseJsonInput, storableInstant } from '../../src/validation/input-rules.js';
import { isDataException } from '../../src/db/prisma-errors.js';
import { AppError } from '../../src/errors/app-error.js';

test('JSON depth is counted on the text, brackets inside strings and escapes aside', () => {
  assert.equal(jsonTextDepth('{"a":[1,{"b":2}]}'), 3);
  assert.equal(jsonTextDepth('{"a":"[[[[{{{{\\"]]]"}'), 1);
  assert.equal(jsonTextDepth('"\\\\"'), 0);
  assert.equal(jsonTextDepth('['.repeat(100_000)), maxInputDepth + 1, 'stops counting past the limit');
});

test('a body nested past the limit is refused before it is parsed; at the limit it is read', () => {
  const nested = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  assert.throws(() => parseJsonInput(nested(maxInputDepth + 1)), (e: unknown) => e instanceof AppError && e.code === 'request.invalid' && /nested deeper/.test(e.message));
  assert.ok(parseJsonInput(nested(maxInputDepth)));
  assert.throws(() => parseJsonInput('{"a":"x\\u0000"}'), /NUL/);
  assert.throws(() => parseJsonInput('"text"', { strict: true }), /an object or an array/);
});

test('inputProblem finds a NUL in any string or key, and nesting past the limit, without recursion', () => {
  assert.equal(inputProblem({ a: ['ok', { b: 'fine' }] }), null);
  assert.match(inputProblem({ a: ['ok', { b: 'x\u0000' }] }) ?? '', /NUL/);
  assert.match(inputProblem({ ['k\u0000']: 1 }) ?? '', /NUL/);
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  assert.match(inputProblem(deep) ?? '', /nested deeper than 32/);
});

test('instants PostgreSQL can hold: years 1 to 9999', () => {
  assert.equal(storableInstant(new Date('0001-01-01T00:00:00Z')), true);
  assert.equal(storableInstant(new Date('9999-12-31T23:59:59Z')), true);
  assert.equal(storableInstant(new Date('0000-01-01T00:00:00Z')), false);
  assert.equal(storableInstant(new Date('+010000-01-01T00:00:00Z')), false);
  assert.equal(storableInstant(new Date('nope')), false);
});

test('ids within bigint', () => {
  assert.equal(boundedBigint('9223372036854775807'), 9223372036854775807n);
  assert.equal(boundedBigint('9223372036854775808'), null);
  assert.equal(boundedBigint('99999999999999999999'), null);
  assert.equal(boundedBigint('-1'), null);
});

test('a PostgreSQL data exception is recognised as Prisma reports it through the driver adapter', () => {
  const prismaError = { code: 'P2039', meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode: '22021', kind: 'postgres' } } } };
  assert.equal(isDataException(prismaError), true);
  assert.equal(isDataException({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '22P05' } } } }), true);
  assert.equal(isDataException({ code: 'P2021', meta: { driverAdapterError: { cause: { originalCode: '42P01' } } } }), false);
  assert.equal(isDataException(new Error('boom')), false);
});
