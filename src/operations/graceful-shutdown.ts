// Stopping an HTTP server the way orchestrators expect on SIGTERM: stop accepting at once, let requests in flight
// finish, and close keep-alive connections as soon as they fall idle (a client holding one open would otherwise
// delay the exit by the whole keep-alive timeout). Past the deadline, whatever is still open is cut.
import type { Server } from 'node:http';

/** how often connections that became idle are closed while stopping */
const SWEEP_MS = 100;

/** resolves once every connection is closed; `deadlineMs` after the call, the remaining ones are destroyed */
export function closeGracefully(server: Server, deadlineMs: number): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
    const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
    deadline.unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
