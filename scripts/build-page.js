#!/usr/bin/env node
// Builds the `infogan explore` page: type-checks src/explore/page/ against the DOM (its own
// tsconfig; the main one has no DOM), bundles main.ts with esbuild into dist/explore/app.js, and
// copies index.html and style.css beside it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'explore', 'page');
const out = path.join(root, 'dist', 'explore');

function fail(message) {
  console.error(`build-page: ${message}`);
  process.exit(1);
}

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  fail('esbuild is not installed; run npm install (it is a devDependency)');
}

const tsc = require.resolve('typescript/bin/tsc');
const check = spawnSync(process.execPath, [tsc, '-p', path.join(source, 'tsconfig.json')],
  { stdio: 'inherit' });
if (check.status !== 0) fail('the page does not type-check (see above)');

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
esbuild.buildSync({
  entryPoints: [path.join(source, 'main.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) {
  fs.copyFileSync(path.join(source, file), path.join(out, file));
}
const bytes = fs.readdirSync(out).map((f) => `${f} ${fs.statSync(path.join(out, f)).size} B`);
console.log(`build-page: dist/explore/ ${bytes.join(', ')}`);
