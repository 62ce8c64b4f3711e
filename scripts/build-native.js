#!/usr/bin/env node
// `npm install` step: build the native bindings with node-gyp (infogan_torch over libtorch,
// infogan_image over libjpeg-turbo), after checking both libraries are there, so a missing one is
// one line saying how to get it rather than pages of compiler errors.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { findLibtorch, HOW_TO_GET } = require('./find-libtorch');

const found = findLibtorch();
if (!found) {
  console.error(HOW_TO_GET);
  process.exit(1);
}

const LIBJPEG_HOW_TO_GET =
  'libjpeg not found (jpeglib.h): install it with `sudo apt-get install libjpeg62-turbo-dev` ' +
  '(Debian; `libjpeg-turbo8-dev` on Ubuntu) or `brew install jpeg-turbo` (macOS)';

/** True when the C compiler finds jpeglib.h, with the include paths the build will use. */
function hasLibjpeg() {
  const compiler = process.env.CC || 'cc';
  const probe = spawnSync(compiler, ['-E', '-x', 'c', '-'], {
    input: '#include <stddef.h>\n#include <stdio.h>\n#include <jpeglib.h>\n',
    encoding: 'utf8',
  });
  if (probe.error) return true; // no `cc` to ask: node-gyp reports a missing compiler itself
  return probe.status === 0;
}
if (!hasLibjpeg()) {
  console.error(LIBJPEG_HOW_TO_GET);
  process.exit(1);
}
function findNodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  // Outside an npm script: the node-gyp that ships inside npm, beside this Node.js.
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm',
    'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(bundled)) return bundled;
  return require.resolve('node-gyp/bin/node-gyp.js');
}

console.log(`infogan: building the native bindings against ${found.source} and libjpeg-turbo`);
const nodeGyp = findNodeGyp();
// Build against this Node's own headers when they are installed, so nothing is downloaded.
const args = [nodeGyp, 'rebuild'];
const prefix = path.join(path.dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${path.resolve(prefix)}`);
}
const result = spawnSync(process.execPath, args, {
  cwd: path.join(__dirname, '..'),
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
