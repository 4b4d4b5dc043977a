// A TCP proxy in front of an endpoint, for tests that need the network itself to fail: it can
// black-hole (accept connections and never answer) or refuse them (stop listening: the port is
// closed, so connecting gets ECONNREFUSED), and come back on the same port.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** 'http://127.0.0.1:PORT', the same for the proxy's whole life */
  url: string;
  port: number;
  /** accept connections, read, never answer */
  dark: boolean;
  /** destroys every connection open now, both sides */
  cutAll(): void;
  /** closes the port (connections are refused) and cuts what is open */
  refuse(): Promise<void>;
  /** listens again on the same port */
  reopen(): Promise<void>;
  close(): Promise<void>;
  server: Server;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let listening = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (proxy.dark) return; // accepted, read, never answered
    const upstream = createConnection(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        listening = true;
        resolve();
      });
    });
  const stop = async () => {
    proxy.cutAll();
    if (listening) {
      listening = false;
      await new Promise((resolve) => server.close(resolve));
    }
  };
  await listen(0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const proxy: TcpProxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    dark: false,
    server,
    cutAll() {
      for (const s of sockets) s.destroy();
    },
    refuse: stop,
    reopen: () => listen(port),
    close: stop,
  };
  return proxy;
}
