// A reverse proxy as nginx (`proxy_add_x_forwarded_for`) or any load balancer runs one: it keeps Host and appends the
// address of its own peer to whatever X-Forwarded-For the request came with.
import { createServer, request, type Server } from 'node:http';
import { freePort } from './tessera-process.js';

export interface ForwardingProxy {
  readonly url: string;
  close(): Promise<void>;
}

/** @param target the origin requests are forwarded to, e.g. a Tessera process */
export async function startForwardingProxy(target: () => string, options: { host?: string } = {}): Promise<ForwardingProxy> {
  const server: Server = createServer((req, res) => {
    const backend = new URL(target());
    const peer = req.socket.remoteAddress ?? '';
    const prior = req.headers['x-forwarded-for'];
    const headers = { ...req.headers, 'x-forwarded-for': [prior, peer].flat().filter(Boolean).join(', ') };
    const upstream = request({ host: backend.hostname, port: backend.port, method: req.method, path: req.url, headers }, (response) => {
      res.writeHead(response.statusCode!, response.rawHeaders);
      response.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const host = options.host ?? '127.0.0.1';
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
