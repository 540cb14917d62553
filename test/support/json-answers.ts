// Reading the JSON APIs' answers in tests: an `{error}` answer with its status, or a success's body.
import assert from 'node:assert/strict';

/** asserts the status and the catalogue code of an error answer (the body in the message when either differs) */
export async function expectError(response: Response, status: number, error: string): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.equal((JSON.parse(text) as { error: string }).error, error, text);
}

/** asserts the status (200 unless given) and returns the parsed body */
export async function ok<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}
