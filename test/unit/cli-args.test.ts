// The CLI's flag parsing: a flag's value may start with a dash (random ids and secrets are base64url, so about one in
// 64 does), which node's parseArgs alone refuses as ambiguous.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlags, UsageError, withDashValues } from '../../src/cli/cli-args.js';

const options = { tenant: { type: 'string' }, session: { type: 'string' }, verified: { type: 'boolean' }, user: { type: 'string', short: 'u' } } as const;

describe('CLI flags', () => {
  it('takes a value that starts with a dash as the value of a string flag', () => {
    const { values } = parseFlags(['--tenant', 'acme', '--session', '-1So1iFyj8WhwTgwYPP6h', '--verified'], options);
    assert.deepEqual({ ...values }, { tenant: 'acme', session: '-1So1iFyj8WhwTgwYPP6h', verified: true });
    assert.deepEqual(withDashValues(['--session', '--', '-x'], options), ['--session', '--', '-x'], '-- still ends the flags');
  });

  it('never swallows a flag it knows, and still refuses unknown flags and missing values', () => {
    assert.deepEqual(withDashValues(['--session', '--tenant', 'acme'], options), ['--session', '--tenant', 'acme']);
    assert.deepEqual(withDashValues(['--session', '-u', 'x'], options), ['--session', '-u', 'x']);
    assert.throws(() => parseFlags(['--session', '--tenant', 'acme'], options), UsageError);
    assert.throws(() => parseFlags(['--nope', 'x'], options), UsageError);
    assert.deepEqual(withDashValues(['--verified', '-x'], options), ['--verified', '-x'], 'a boolean flag takes no value');
  });
});
