// W3C Trace Context: which traceparent headers are honoured (their trace id goes into the request log line).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceIdOf } from '../../src/http/request-log.js';

describe('traceparent', () => {
  it('reads the trace id of a valid version-00 header', () => {
    assert.equal(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), '4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it('reads the first four fields of a later version', () => {
    assert.equal(traceIdOf('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'), '4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it('refuses malformed, all-zero, version ff, and version 00 with extra fields', () => {
    for (const header of [
      '', 'garbage', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x',
    ]) assert.equal(traceIdOf(header), null, header);
  });
});
