import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_TRAIN_CONFIG } from '../config/train';
import { InfoGAN } from '../model/infogan';
import { parseSpec } from '../model/spec';
import { Generator, memory } from '../torch';
import { MemoryLogger } from '../util/log';
import { pngInfo } from '../util/png';
import { defaultState } from './codes';
import { PAGE_DIR, startExplorer, type Explorer } from './explore';
import { Renderer } from './render';
import { MAX_URL } from './server';
import { rawGet, rawRequest, writeUntrainedRun } from './testing';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-explore-server-'));
const runDir = path.join(temp, 'run');
const log = new MemoryLogger();
let explorer: Explorer;
let port: number;

before(async () => {
  writeUntrainedRun(runDir, { categoricalCardinality: [10, 3] });
  explorer = await startExplorer({ run: runDir, port: 0, host: '127.0.0.1' }, log);
  port = Number(new URL(explorer.url).port);
});
after(async () => {
  await explorer?.stop();
  fs.rmSync(temp, { recursive: true, force: true });
});

describe('explore server: what it serves', () => {
  it('listens on 127.0.0.1 and logs the URL', () => {
    assert.match(explorer.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(log.lines.some((line) => line.includes(explorer.url)));
  });

  it('serves the built page files with their content types', async () => {
    const expected: [string, RegExp, string][] = [
      ['/', /^text\/html; charset=utf-8$/, 'index.html'],
      ['/index.html', /^text\/html/, 'index.html'],
      ['/app.js', /^text\/javascript; charset=utf-8$/, 'app.js'],
      ['/style.css', /^text\/css; charset=utf-8$/, 'style.css'],
    ];
    for (const [target, type, file] of expected) {
      const response = await rawGet(port, target);
      assert.equal(response.status, 200, target);
      assert.match(response.headers['content-type'], type, target);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.match(response.headers['content-security-policy'], /default-src 'none'/);
      assert.deepEqual(response.body, fs.readFileSync(path.join(PAGE_DIR, file)), target);
    }
  });

  it('serves the exported model: generator tensors only, and the metadata', async () => {
    const weights = await rawGet(port, '/model/generator.safetensors');
    assert.equal(weights.status, 200);
    assert.equal(weights.headers['content-type'], 'application/octet-stream');
    const headerLength = Number(weights.body.readBigUInt64LE(0));
    const header = JSON.parse(weights.body.subarray(8, 8 + headerLength).toString('utf8'));
    const names = Object.keys(header).filter((n) => n !== '__metadata__');
    assert.ok(names.length > 0 && names.every((n) => n.startsWith('generator.')), names.join());
    const metadata = await rawGet(port, '/model/metadata.json');
    assert.equal(metadata.headers['content-type'], 'application/json; charset=utf-8');
    const parsed = JSON.parse(metadata.body.toString('utf8'));
    assert.deepEqual(parsed.latent.categorical, [10, 3]);
    assert.equal(parsed.iteration, 5);
    assert.deepEqual(Object.keys(parsed.generator.tensors).sort(), names.sort());
  });

  it('describes the model for the page', async () => {
    const response = await rawGet(port, '/api/model');
    const info = JSON.parse(response.body.toString('utf8'));
    assert.deepEqual(info.layout, { categorical: [10, 3], numContinuous: 2 });
    assert.deepEqual(info.image, { height: 28, width: 28, channels: 1 });
    assert.deepEqual(info.ranges, { continuous: [-2, 2], training: [-1, 1] });
    assert.equal(info.evaluated, false);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('draws the same PNG for the same query and a different one when a code changes', async () => {
    const query = '/api/sample?seed=42&cat=3,1&cont=0.5,-1.25';
    const first = await rawGet(port, query);
    const again = await rawGet(port, query);
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'image/png');
    assert.match(first.headers['server-timing'], /^render;dur=\d+(\.\d)?$/);
    assert.deepEqual(pngInfo(first.body), { width: 28, height: 28, channels: 1 });
    assert.deepEqual(again.body, first.body);
    for (const other of ['seed=43&cat=3,1&cont=0.5,-1.25', 'seed=42&cat=4,1&cont=0.5,-1.25',
      'seed=42&cat=3,1&cont=0.55,-1.25']) {
      const response = await rawGet(port, `/api/sample?${other}`);
      assert.notDeepEqual(response.body, first.body, other);
    }
  });

  it('draws a sweep grid: one row per seed, one column per value', async () => {
    const continuous = await rawGet(port,
      '/api/sweep?seed=1&cat=0,0&cont=0,0&code=continuous:1&rows=2&steps=5');
    assert.equal(continuous.status, 200);
    assert.deepEqual(pngInfo(continuous.body),
      { width: 5 * 29 + 1, height: 2 * 29 + 1, channels: 1 });
    const categorical = await rawGet(port, '/api/sweep?seed=1&code=categorical:1');
    assert.deepEqual(pngInfo(categorical.body),
      { width: 3 * 29 + 1, height: 3 * 29 + 1, channels: 1 });
  });

  it('answers HEAD with the headers only', async () => {
    const response = await rawRequest(port, `HEAD /app.js HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      'Connection: close\r\n\r\n');
    assert.equal(response.status, 200);
    assert.equal(Number(response.headers['content-length']),
      fs.statSync(path.join(PAGE_DIR, 'app.js')).size);
    assert.equal(response.body.length, 0);
  });
});

describe('explore server: what it refuses', () => {
  const outside = [
    '/../package.json',
    '/..%2f..%2fpackage.json',
    '/..%2F..%2F..%2Fetc%2Fpasswd',
    '/%2e%2e/%2e%2e/package.json',
    '/%2E%2E%2F%2E%2E%2Fpackage.json',
    '/..%5c..%5cpackage.json',
    '/%5c..%5c..%5cpackage.json',
    '/..\\..\\package.json',
    '/etc/passwd',
    '//etc/passwd',
    '/%2fetc%2fpasswd',
    `/${encodeURIComponent(path.resolve(__dirname, '..', '..', '..', 'package.json'))}`,
    '/app.js/../../../package.json',
    '/model/../../package.json',
    '/model/%2e%2e/config.json',
    '/model/generator.safetensors/..',
    '/api/../config.json',
    '/config.json',
    '/checkpoints/manifest.json',
    '/app.js%00.html',
    '/APP.JS',
    'http://127.0.0.1/etc/passwd',
    '*',
  ];
  for (const target of outside) {
    it(`404s ${target}`, async () => {
      const response = await rawGet(port, target);
      assert.equal(response.status, 404, `${target}: ${response.body.toString()}`);
      assert.equal(response.body.toString(), 'not found\n');
    });
  }

  const bad: [string, RegExp][] = [
    ['seed=-1', /^bad request: seed must be a whole number, got "-1"$/],
    ['seed=4294967296', /^bad request: seed must be between 0 and 4294967295, got 4294967296$/],
    ['seed=1e3', /seed must be a whole number/],
    ['seed=0x10', /seed must be a whole number/],
    ['seed=', /seed must be a whole number, got ""/],
    ['cat=3', /^bad request: cat has 1 value; this run has 2 categorical codes$/],
    ['cat=10,0', /^bad request: cat value 1 must be between 0 and 9, got 10$/],
    ['cat=1,3', /cat value 2 must be between 0 and 2, got 3/],
    ['cat=a,b', /cat value 1 must be a whole number/],
    ['cont=0.5', /^bad request: cont has 1 value; this run has 2 continuous codes$/],
    ['cont=3,0', /^bad request: cont value 1 must be between -2 and 2, got 3$/],
    ['cont=NaN,0', /cont value 1 must be a decimal number, got "NaN"/],
    ['cont=Infinity,0', /must be a decimal number/],
    ['cont=1e-1,0', /must be a decimal number/],
    ['cont=0,%0A1', /^bad request: cont value 2 must be a decimal number, got "\?1"$/],
    ['seed=1&seed=2', /^bad request: parameter seed given twice$/],
    ['colour=red', /^bad request: unknown parameter "colour"; expected seed, cat, cont$/],
    ['code=continuous:0', /unknown parameter "code"/],
  ];
  for (const [query, message] of bad) {
    it(`400s /api/sample?${query} with one line`, async () => {
      const response = await rawGet(port, `/api/sample?${query}`);
      assert.equal(response.status, 400);
      assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
      const text = response.body.toString();
      assert.ok(text.endsWith('\n') && !text.slice(0, -1).includes('\n'), text);
      assert.match(text.trimEnd(), message);
    });
  }

  it('400s sweeps without a valid code, rows or steps', async () => {
    const cases: [string, RegExp][] = [
      ['seed=1', /parameter code is missing/],
      ['code=continuous:2', /code continuous:2: this run has 2 continuous codes/],
      ['code=categorical:0&rows=9', /rows must be between 1 and 8, got 9/],
      ['code=continuous:0&steps=1', /steps must be between 2 and 16, got 1/],
      ['code=style:0', /code must be categorical:I or continuous:I, got "style:0"/],
    ];
    for (const [query, message] of cases) {
      const response = await rawGet(port, `/api/sweep?${query}`);
      assert.equal(response.status, 400, query);
      assert.match(response.body.toString(), message);
    }
  });

  it('refuses other methods, bodies, long URLs, big headers and foreign Host headers', async () => {
    const post = await rawRequest(port, `POST /api/sample HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      'Content-Length: 0\r\nConnection: close\r\n\r\n');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const body = await rawRequest(port, `GET /api/sample HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      `Content-Length: 100000\r\nConnection: close\r\n\r\n${'x'.repeat(100)}`);
    assert.equal(body.status, 413);
    const long = await rawGet(port, `/api/sample?seed=1&pad=${'a'.repeat(MAX_URL)}`);
    assert.equal(long.status, 414);
    const headers = await rawGet(port, '/', `X-Padding: ${'a'.repeat(10_000)}\r\n`);
    assert.equal(headers.status, 431);
    const rebound = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: evil.example:80\r\n' +
      'Connection: close\r\n\r\n');
    assert.equal(rebound.status, 403);
    const localhost = await rawRequest(port, `GET / HTTP/1.1\r\nHost: localhost:${port}\r\n` +
      'Connection: close\r\n\r\n');
    assert.equal(localhost.status, 200);
  });
});

describe('explore rendering', () => {
  it('leaks no tensors over many redraws', () => {
    const model = new InfoGAN(DEFAULT_TRAIN_CONFIG, { height: 28, width: 28, channels: 1 },
      new Generator(3));
    const renderer = new Renderer(model);
    const state = defaultState({ categorical: [10], numContinuous: 2 }, 9);
    renderer.sample(state);
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) {
      renderer.sample({ ...state, continuous: [i / 5, -i / 5] });
      renderer.sweep({ ...state, code: { kind: 'categorical', index: 0 }, rows: 2, steps: 3 });
    }
    assert.equal(memory().numTensors, before);
    model.dispose();
  });

  // Each redraw is one forward pass of the generator; its speed is measured by bench/redraw.ts,
  // not here (tests check behaviour, never wall-clock time).
  const generators: [string, string, number][] = [
    ['MNIST 28x28 (default spec)', '', 28],
    ['64x64 (the README\'s face spec)', 'fc:1024,fc:8x8x256,reshape:8:8:256,deconv:4:1:256,' +
      'deconv:4:2:256,deconv:4:2:128,deconv:4:2:64,deconv:4:1:1:sigmoid', 64],
  ];
  for (const [name, spec, size] of generators) {
    it(`redraws a ${name} sample as a PNG of the image size, the same each time for one seed`, () => {
      const config = { ...DEFAULT_TRAIN_CONFIG,
        ...(spec ? { generator: parseSpec(spec, 'generator'), categoricalCardinality: [20, 20, 20],
          numContinuous: 1, styleSize: 128 } : {}) };
      const image = { height: size, width: size, channels: 1 };
      const model = new InfoGAN(config, image, new Generator(1));
      const renderer = new Renderer(model);
      const state = defaultState({ categorical: model.categorical,
        numContinuous: model.numContinuous }, 5);
      const first = renderer.sample(state).png;
      assert.deepEqual(pngInfo(first), { width: size, height: size, channels: 1 });
      assert.deepEqual(renderer.sample(state).png, first);
      model.dispose();
    });
  }
});
