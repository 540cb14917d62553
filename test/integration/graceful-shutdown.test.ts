// test-group: lane (a Tessera process of its own, signalled mid-request: one such file at a time)
// SIGTERM: the server stops accepting connections, finishes the request in flight, closes its pools and exits 0.
// The request in flight is a token request whose body is still arriving when the signal comes.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { runCliInProcess } from '../support/tessera-process.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { uniqueSlug } from '../support/fixtures.js';

describe('graceful shutdown', () => {
  let services: TestServices;
  let server: ServerProcess;
  let env: Record<string, string>;
  const slug = uniqueSlug('stop');
  let client: { client_id: string; client_secret: string };

  before(async () => {
    services = await createTestServices();
    env = services.env;
    server = await startServerProcess(env);
    assert.equal((await runCliInProcess(['tenant', 'create', slug, '--name', 'Stop'], env)).code, 0);
    const created = await runCliInProcess(['client', 'create', '--tenant', slug, '--name', 'Worker', '--grant', 'client_credentials'], env);
    assert.equal(created.code, 0, created.stderr);
    client = created.json as typeof client;
  });
  after(async () => {
    await server?.kill();
    await services?.drop();
  });

  it('finishes a request in flight after SIGTERM, refuses new connections, and exits 0', async () => {
    const { port } = new URL(server.url);
    const body = 'grant_type=client_credentials';
    const socket = connect({ port: Number(port), host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (d) => { answer += d; });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // headers and half the body: the request is in flight, keep-alive asked for; `Expect: 100-continue` makes the
    // server say when it has read the headers and handed the request on (node answers 100 Continue, then dispatches)
    socket.write([
      `POST /t/${slug}/token HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: keep-alive', 'Expect: 100-continue',
      'Content-Type: application/x-www-form-urlencoded',
      `Authorization: Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      `Content-Length: ${body.length}`, '', body.slice(0, 10),
    ].join('\r\n'));
    const continued = 'HTTP/1.1 100 Continue\r\n\r\n';
    await new Promise<void>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        socket.off('data', check);
        socket.off('close', closedEarly);
        outcome();
      };
      const check = () => {
        if (answer.startsWith(continued)) settle(resolve);
        else if (!continued.startsWith(answer)) settle(() => reject(new Error(`expected 100 Continue, got:\n${answer}`)));
      };
      const closedEarly = () => settle(() => reject(new Error(`the connection closed before 100 Continue:\n${answer}`)));
      socket.on('data', check);
      socket.once('close', closedEarly);
    });
    answer = '';

    server.child.kill('SIGTERM');
    // once the listener is closed, a new connection is refused
    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      refused = await new Promise<boolean>((resolve) => {
        const probe = connect({ port: Number(port), host: '127.0.0.1' });
        probe.once('connect', () => { probe.destroy(); resolve(false); });
        probe.once('error', () => resolve(true));
      });
    }
    assert.ok(refused, 'new connections are refused after SIGTERM');
    assert.equal(server.child.exitCode, null, 'still running while a request is in flight');

    socket.write(body.slice(10));
    // a keep-alive connection is closed once its request is answered, not held for the keep-alive timeout (65 s)
    const keptOpen = new Promise((resolve) => setTimeout(resolve, 30_000, 'kept open'));
    assert.notEqual(await Promise.race([closed, keptOpen]), 'kept open', `the connection is closed after the answer:\n${answer}`);
    assert.match(answer, /^HTTP\/1\.1 200 /, `the request in flight is answered:\n${answer}`);
    assert.match(answer, /"access_token":"/);
    assert.equal(await server.exited, 0, `exit code 0:\n${server.output()}`);
  });
});
