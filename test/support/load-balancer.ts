// A reverse proxy in front of several Tessera processes, written for the tests so that each test decides which process
// serves each request (multi-process.test.ts, chaos.test.ts). It keeps Host (the public one); a backend that does
// not answer gets 502, as a load balancer's would.
import { createServer, request, type Server } from 'node:http';
import { freePort } from './tessera-process.js';

export type Route = 'A' | 'B' | 'round-robin';

export interface Proxy {
  readonly url: string;
  /** where the next requests go */
  route: Route;
  /** every request served: which process, method and path (without query) */
  readonly log: { process: 'A' | 'B'; method: string; path: string }[];
  close(): Promise<void>;
}

/** a reverse proxy that keeps Host (the public one) and forwards each request to the process `route` names */
export async function startProxy(backends: Record<'A' | 'B', () => string>): Promise<Proxy> {
  let turn = 0;
  const proxy: Proxy = {
    url: '',
    route: 'round-robin',
    log: [],
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const server: Server = createServer((req, res) => {
    const target: 'A' | 'B' = proxy.route === 'round-robin' ? (turn++ % 2 === 0 ? 'A' : 'B') : proxy.route;
    proxy.log.push({ process: target, method: req.method!, path: new URL(req.url!, 'http://x').pathname });
    const backend = new URL(backends[target]());
    const upstream = request({ host: backend.hostname, port: backend.port, method: req.method, path: req.url, headers: req.headers }, (response) => {
      res.writeHead(response.statusCode!, response.rawHeaders);
      response.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  (proxy as { url: string }).url = `http://127.0.0.1:${port}`;
  return proxy;
}
