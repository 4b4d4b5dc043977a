// The floor server for bench/scale.ts: the least a server can do to answer a scrape — send bytes
// it already holds. It serves the exporter's own exposition, captured once in each format and
// gzipped once, from memory, with node's http module and nothing else.
//
//   node --import tsx bench/floor-child.ts <dir>     (forked, with IPC)
//
// <dir> holds text.prom, text.prom.gz, openmetrics.prom, openmetrics.prom.gz and types.json
// ({text, openmetrics}: the exporter's Content-Type for each). Sends {type:'ready', port}.
// Exits when its parent goes away.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const dir = process.argv[2];
if (!process.send || !dir) {
  console.error('usage: node --import tsx bench/floor-child.ts <dir> (forked with IPC)');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));

const types = JSON.parse(readFileSync(join(dir, 'types.json'), 'utf8')) as { text: string; openmetrics: string };
const bodies = {
  text: { type: types.text, plain: readFileSync(join(dir, 'text.prom')), gzip: readFileSync(join(dir, 'text.prom.gz')) },
  openmetrics: { type: types.openmetrics, plain: readFileSync(join(dir, 'openmetrics.prom')), gzip: readFileSync(join(dir, 'openmetrics.prom.gz')) },
};

const server = createServer((req, res) => {
  if (req.url !== '/metrics') {
    res.writeHead(404).end();
    return;
  }
  const format = /application\/openmetrics-text/i.test(req.headers.accept ?? '') ? bodies.openmetrics : bodies.text;
  const gzip = /\bgzip\b/i.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? format.gzip : format.plain;
  res.writeHead(200, {
    'content-type': format.type,
    'content-length': body.length,
    'cache-control': 'no-store',
    vary: 'Accept-Encoding',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', port: (server.address() as AddressInfo).port }));
