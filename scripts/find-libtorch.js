#!/usr/bin/env node
// Finds libtorch for the native build: $LIBTORCH, then a pip-installed torch, then the system.
// `node scripts/find-libtorch.js --include|--libdir|--defines|--describe` prints what binding.gyp
// needs; with no libtorch it prints one line saying how to get it and exits 1.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const HOW_TO_GET =
  'libtorch not found: install it with `sudo apt-get install libtorch-dev libopenblas0-openmp` ' +
  '(Debian/Ubuntu), `pip install torch` (any OS, then it is found automatically), or download ' +
  'libtorch from pytorch.org and set LIBTORCH=/path/to/libtorch (macOS too)';

function hasHeaders(includeDir) {
  return fs.existsSync(path.join(includeDir, 'ATen', 'ATen.h'));
}

function fromEnv() {
  const root = process.env.LIBTORCH;
  if (!root) return null;
  const include = path.join(root, 'include');
  if (!hasHeaders(include)) {
    console.error(`LIBTORCH=${root} has no include/ATen/ATen.h; expected an unpacked libtorch folder`);
    process.exit(1);
  }
  return { source: `LIBTORCH=${root}`, include, libdir: path.join(root, 'lib'), cxx11abi: null };
}

function fromPip() {
  for (const python of ['python3', 'python']) {
    const probe = spawnSync(python, ['-c',
      'import os, torch; print(os.path.dirname(torch.__file__)); ' +
      'print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    const [root, abi] = probe.stdout.trim().split('\n');
    const include = path.join(root, 'include');
    if (hasHeaders(include)) {
      return { source: `pip torch at ${root}`, include, libdir: path.join(root, 'lib'), cxx11abi: abi };
    }
  }
  return null;
}

function fromSystem() {
  for (const prefix of ['/usr', '/usr/local', '/opt/homebrew']) {
    const include = path.join(prefix, 'include');
    if (!hasHeaders(include) || !fs.existsSync(path.join(include, 'torch'))) continue;
    const libdirs = ['lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu', 'lib64', 'lib'];
    const libdir = libdirs.map((d) => path.join(prefix, d)).find((d) =>
      fs.existsSync(path.join(d, 'libtorch.so')) || fs.existsSync(path.join(d, 'libtorch.dylib')));
    if (libdir) return { source: `system libtorch in ${prefix}`, include, libdir, cxx11abi: null };
  }
  return null;
}

function findLibtorch() {
  return fromEnv() ?? fromPip() ?? fromSystem();
}

if (require.main === module) {
  const found = findLibtorch();
  if (!found) {
    console.error(HOW_TO_GET);
    process.exit(1);
  }
  const mode = process.argv[2] ?? '--describe';
  const api = path.join(found.include, 'torch', 'csrc', 'api', 'include');
  const out = {
    '--include': [found.include, api].join(' '),
    '--libdir': found.libdir,
    '--defines': found.cxx11abi === null ? '' : `_GLIBCXX_USE_CXX11_ABI=${found.cxx11abi}`,
    '--describe': found.source,
  }[mode];
  if (out === undefined) {
    console.error(`unknown option ${mode}; expected --include, --libdir, --defines or --describe`);
    process.exit(2);
  }
  console.log(out);
}

module.exports = { findLibtorch, HOW_TO_GET };
