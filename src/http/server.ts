// The listening server: plain HTTP, or HTTPS when the web configuration has tls_server_config.
// The web configuration is read again as each connection opens (before its TLS handshake), so a
// rotated certificate or changed users apply from the next connection; client certificates are
// checked under the toolkit's client_auth_type once the handshake is done.
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { clientAllowed, type WebConfig } from './web-config.js';

export function createServer(app: RequestListener, web?: WebConfig): Server {
  const tls = web?.settings.tls;
  if (!web || !tls) {
    const server = createHttpServer(app);
    if (web) server.prependListener('connection', () => web.refresh());
    return server;
  }
  const server: HttpsServer = createHttpsServer(tls.options, app);
  let applied = web.generation;
  // First in line: the TLS socket is made, with the server's context, by the next listener.
  server.prependListener('connection', () => {
    web.refresh();
    if (web.generation !== applied && web.settings.tls) {
      applied = web.generation;
      const { options } = web.settings.tls;
      server.setSecureContext(options);
      Object.assign(server, { requestCert: options.requestCert, rejectUnauthorized: options.rejectUnauthorized });
    }
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (web.settings.tls && !clientAllowed(socket, web.settings.tls)) socket.destroy();
  });
  return server;
}
