/**
 * The explorer's HTTP server (Node's http module): the page's files, the run's exported model and
 * a small API that draws pictures with the generator.
 *
 *   GET /, /index.html, /app.js, /style.css   the page (built into dist/explore/)
 *   GET /model/generator.safetensors          infogan export's two files, built in memory
 *   GET /model/metadata.json
 *   GET /api/model                            code layout, attribute names, run facts (JSON)
 *   GET /api/curves                           training curves (JSON)
 *   GET /api/sample?seed=&cat=&cont=          one picture (PNG)
 *   GET /api/sweep?seed=&cat=&cont=&code=&rows=&steps=   one code swept (PNG grid)
 *
 * Paths are looked up verbatim in that table, never decoded or joined onto a folder, so no
 * request can name a file outside it. Only GET and HEAD, no bodies, URLs up to MAX_URL bytes,
 * headers up to MAX_HEADER_BYTES; every query value is checked (codes.ts) and a bad one gets
 * one 400 line saying which and why.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Logger } from '../util/log';
import { readCodeState, readSweepRequest, type CodeLayout, type CodeState, type Read,
  type SweepRequest } from './codes';
import type { Rendered } from './render';

export const MAX_URL = 2048;
export const MAX_HEADER_BYTES = 8192;

/** What the server serves besides the page: set up once per run by explore.ts. */
export interface ExploreApp {
  layout: CodeLayout;
  /** The body of /api/model. */
  modelInfo: unknown;
  /** The body of /api/curves. */
  curves: unknown;
  /** The bytes of /model/generator.safetensors and /model/metadata.json. */
  weights: Buffer;
  metadata: Buffer;
  renderer: { sample(state: CodeState): Rendered; sweep(request: SweepRequest): Rendered };
}

interface Resource {
  type: string;
  /** Static bytes, or a handler of the query string. */
  body: Buffer | ((query: URLSearchParams) => Reply);
  cache: 'no-cache' | 'no-store';
}

interface Reply {
  status: number;
  type: string;
  body: Buffer;
  headers?: Record<string, string>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

/**
 * The page's files: every file directly in `dir` with a known type, by URL path (`/app.js`),
 * read once. `/` serves index.html.
 */
export function readPageFiles(dir: string): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const type = CONTENT_TYPES[path.extname(entry.name)];
    if (!entry.isFile() || !type || !/^[\w.-]+$/.test(entry.name)) continue;
    files.set(`/${entry.name}`, { type, body: fs.readFileSync(path.join(dir, entry.name)) });
  }
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  return files;
}

/** The URL table: page files, exported model files and the API. */
function resources(app: ExploreApp, page: Map<string, { type: string; body: Buffer }>):
  Map<string, Resource> {
  const table = new Map<string, Resource>();
  for (const [route, file] of page) table.set(route, { ...file, cache: 'no-cache' });
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  table.set('/model/generator.safetensors', { type: 'application/octet-stream',
    body: app.weights, cache: 'no-cache' });
  table.set('/model/metadata.json', { type: CONTENT_TYPES['.json'], body: app.metadata,
    cache: 'no-cache' });
  table.set('/api/model', { type: CONTENT_TYPES['.json'], body: json(app.modelInfo),
    cache: 'no-store' });
  table.set('/api/curves', { type: CONTENT_TYPES['.json'], body: json(app.curves),
    cache: 'no-store' });
  table.set('/api/sample', { type: 'image/png', cache: 'no-store', body: (query) =>
    picture(readCodeState(query, app.layout), (state) => app.renderer.sample(state)) });
  table.set('/api/sweep', { type: 'image/png', cache: 'no-store', body: (query) =>
    picture(readSweepRequest(query, app.layout), (request) => app.renderer.sweep(request)) });
  return table;
}

function picture<T>(read: Read<T>, render: (value: T) => Rendered): Reply {
  if (!read.ok) return text(400, `bad request: ${read.error}`);
  const { png, milliseconds } = render(read.value);
  return { status: 200, type: 'image/png', body: png,
    headers: { 'Server-Timing': `render;dur=${milliseconds.toFixed(1)}` } };
}

function text(status: number, line: string): Reply {
  return { status, type: 'text/plain; charset=utf-8', body: Buffer.from(`${line}\n`) };
}

export interface ServerOptions {
  /** Requests must name this host (DNS-rebinding guard) unless it listens on every address. */
  host: string;
  log: Logger;
}

/** An http.Server for `app`; call `listen` to start it. */
export function createExploreServer(app: ExploreApp,
  page: Map<string, { type: string; body: Buffer }>, options: ServerOptions): http.Server {
  const table = resources(app, page);
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (request, response) => {
    let reply: Reply;
    try {
      reply = route(request, table, server, options.host);
    } catch (error) {
      options.log.warn(`explore: ${request.method} ${request.url?.slice(0, 200)} failed: ` +
        (error as Error).message);
      reply = text(500, `internal error: ${(error as Error).message.split('\n')[0]}`);
    }
    send(request, response, reply);
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxRequestsPerSocket = 1000;
  return server;
}

function route(request: http.IncomingMessage, table: Map<string, Resource>, server: http.Server,
  host: string): Reply {
  const url = request.url ?? '';
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return { ...text(405, `method ${request.method} not allowed; use GET`),
      headers: { Allow: 'GET, HEAD' } };
  }
  if (url.length > MAX_URL) return text(414, `URL longer than ${MAX_URL} bytes`);
  const length = request.headers['content-length'];
  if ((length !== undefined && length !== '0') || request.headers['transfer-encoding']) {
    return text(413, 'request bodies are not accepted');
  }
  if (!hostAllowed(request.headers.host, server, host)) {
    return text(403, 'unexpected Host header; open the URL that infogan explore printed');
  }
  const question = url.indexOf('?');
  const pathname = question < 0 ? url : url.slice(0, question);
  const resource = table.get(pathname);
  if (!resource) return text(404, 'not found');
  const body = typeof resource.body === 'function'
    ? resource.body(new URLSearchParams(question < 0 ? '' : url.slice(question + 1)))
    : { status: 200, type: resource.type, body: resource.body };
  return { ...body, headers: { 'Cache-Control': resource.cache, ...body.headers } };
}

/**
 * On a loopback address, only Host headers naming this machine, so a web page elsewhere cannot
 * reach the server through a DNS name it rebinds to 127.0.0.1.
 */
function hostAllowed(header: string | undefined, server: http.Server, host: string): boolean {
  if (!isLoopback(host)) return true;
  const port = (server.address() as AddressInfo | null)?.port;
  const allowed = ['127.0.0.1', 'localhost', '[::1]', host].map((name) => `${name}:${port}`);
  return header !== undefined && allowed.includes(header.toLowerCase());
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function send(request: http.IncomingMessage, response: http.ServerResponse, reply: Reply): void {
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    'Content-Type': reply.type,
    'Content-Length': reply.body.length,
    ...reply.headers,
  };
  // A request we refused may still be sending a body: close rather than read it.
  if (reply.status === 413 || reply.status === 414) headers.Connection = 'close';
  if (reply.status >= 400 && !headers['Cache-Control']) headers['Cache-Control'] = 'no-store';
  response.writeHead(reply.status, headers);
  response.end(request.method === 'HEAD' ? undefined : reply.body);
}

/** Starts listening; resolves to the page's URL. */
export function listen(server: http.Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${shown}:${address.port}/`);
    });
  });
}

/** Stops accepting connections, drops idle keep-alive ones, and resolves once closed. */
export function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
