// The listening servers: plain HTTP, or HTTPS when the web configuration has tls_server_config,
// one per --web.listen-address. As each connection opens (before its TLS handshake) the web
// configuration is asked whether its files changed — a look at their metadata at most once a
// second, never a read — so a rotated certificate or changed users apply from the next connection
// after the change; the TLS context is rebuilt only then. Client certificates are checked under
// the toolkit's client_auth_type once the handshake is done.
import { once } from 'node:events';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { clientAllowed, type WebConfig } from './web-config.js';

/** One --web.listen-address. */
export interface ListenAddress {
  /** undefined: every interface */
  host?: string;
  port: number;
}

/**
 * What Go's net/http writes, in clear, to a client that speaks plain HTTP to a TLS port (the
 * servers of exporter-toolkit are net/http servers), where Node drops the connection unanswered.
 */
export const PLAIN_HTTP_TO_TLS_ANSWER = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** What a client is given, from connecting, before it is cut. */
export interface ConnectionTimeouts {
  /** to finish its TLS handshake */
  handshakeMs: number;
  /** to send a request's headers (the first from connecting or from the handshake's end) */
  headersMs: number;
  /** to send a whole request */
  requestMs: number;
}

/** As net/http servers with timeouts set: a connection that sends nothing is cut within 11 s. */
export const CONNECTION_TIMEOUTS: Readonly<ConnectionTimeouts> = { handshakeMs: 10_000, headersMs: 10_000, requestMs: 30_000 };

export function createServer(app: RequestListener, web?: WebConfig, timeouts: ConnectionTimeouts = CONNECTION_TIMEOUTS): Server {
  const http = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    // How often Node looks for connections past those timeouts (30 s by default, which let an
    // idle connection live 10 to 40 s).
    connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
  };
  const tls = web?.settings.tls;
  if (!web || !tls) {
    const server = createHttpServer(http, app);
    if (web) server.prependListener('connection', () => web.checkForChange());
    return server;
  }
  const server: HttpsServer = createHttpsServer({ ...tls.options, ...http, handshakeTimeout: timeouts.handshakeMs }, app);
  let applied = web.generation;
  // First in line: the TLS socket is made, with the server's context, by the next listener.
  server.prependListener('connection', () => {
    web.checkForChange();
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
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    // OpenSSL found an HTTP request line (GET, POST, HEAD, PUT) where a TLS record belongs: the
    // case net/http answers. The answer goes on the TCP socket under the TLS one, a field Node
    // does not document, hence the guard.
    if (err.code !== 'ERR_SSL_HTTP_REQUEST') return;
    const tcp = (socket as TLSSocket & { _parent?: Socket | null })._parent;
    if (tcp && typeof tcp.end === 'function' && !tcp.destroyed) tcp.end(PLAIN_HTTP_TO_TLS_ANSWER);
  });
  return server;
}

export interface Listener {
  server: Server;
  /** the URL to reach it by (localhost for every interface) */
  url: string;
  /** HOST:PORT it listens on */
  address: string;
}

/**
 * One server per address, as exporter-toolkit listens on every --web.listen-address given. If one
 * cannot listen, those already listening are closed and its error (EADDRINUSE...) is thrown.
 */
export async function listenOn(addresses: readonly ListenAddress[], make: () => Server, tls: boolean): Promise<Listener[]> {
  const listeners: Listener[] = [];
  try {
    for (const { host, port } of addresses) {
      const server = make();
      server.listen(port, host ?? '');
      await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
      const info = server.address() as AddressInfo;
      const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      const reachable = shown === '[::]' || shown === '0.0.0.0' ? 'localhost' : shown;
      listeners.push({ server, url: `${tls ? 'https' : 'http'}://${reachable}:${info.port}`, address: `${shown}:${info.port}` });
    }
  } catch (err) {
    await Promise.all(listeners.map(({ server }) => new Promise((resolve) => server.close(resolve))));
    throw err;
  }
  return listeners;
}
