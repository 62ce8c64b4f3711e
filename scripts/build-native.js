#!/usr/bin/env node
// `npm install` step: build the libtorch binding with node-gyp, after checking libtorch is there,
// so a missing libtorch is one line saying how to get it rather than pages of compiler errors.
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
function findNodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  // Outside an npm script: the node-gyp that ships inside npm, beside this Node.js.
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm',
    'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(bundled)) return bundled;
  return require.resolve('node-gyp/bin/node-gyp.js');
}

console.log(`infogan: building the libtorch binding against ${found.source}`);
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
