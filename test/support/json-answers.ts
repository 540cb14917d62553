// Reading the JSON APIs' answers in tests: an `{error}` answer with its status, or a success's body.
import assert from 'node:assert/strict';

/**
 * asserts the status, the catalogue code and a message of an error answer (the body in the assertion's message when
 * one differs); returns the message
 */
export async function expectError(response: Response, status: number, error: string): Promise<string> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  const body = JSON.parse(text) as { error: string; message?: unknown };
  assert.equal(body.error, error, text);
  assert.ok(typeof body.message === 'string' && body.message.length > 0, `an error answer has a message: ${text}`);
  return body.message;
}

/** asserts the status (200 unless given) and returns the parsed body */
export async function ok<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}
