/**
 * makeFolder and writeFileAtomic: folders made one level at a time (with errors that name the real
 * cause, and no endless retry on /proc), and files replaced whole or not at all.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { tempFolder } from '../data/testing';
import { makeFolder, writeFileAtomic } from './atomic';

const code = (run: () => void) => {
  try {
    run();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
  return 'no error';
};

describe('makeFolder', () => {
  const temp = tempFolder('atomic');
  after(temp.cleanup);

  it('makes every missing folder, and accepts one that is there', () => {
    const deep = path.join(temp.dir, 'a', 'b', 'c');
    makeFolder(deep);
    assert.ok(fs.statSync(deep).isDirectory());
    makeFolder(deep);
    makeFolder(temp.dir);
  });

  it('refuses a file or a loop of links in the way, by its own errno', () => {
    const file = path.join(temp.dir, 'notes.txt');
    fs.writeFileSync(file, 'not a folder');
    assert.equal(code(() => makeFolder(file)), 'ENOTDIR');
    assert.equal(code(() => makeFolder(path.join(file, 'x'))), 'ENOTDIR');
    fs.symlinkSync('loop-b', path.join(temp.dir, 'loop-a'));
    fs.symlinkSync('loop-a', path.join(temp.dir, 'loop-b'));
    assert.equal(code(() => makeFolder(path.join(temp.dir, 'loop-a', 'x'))), 'EEXIST');
  });

  it('makes the folder a dangling link points to, as writing a file through it would', () => {
    const dangling = path.join(temp.dir, 'dangling');
    fs.symlinkSync('later/runs', dangling);
    makeFolder(path.join(dangling, 'x'));
    assert.ok(fs.statSync(path.join(temp.dir, 'later', 'runs', 'x')).isDirectory());
    assert.ok(fs.lstatSync(dangling).isSymbolicLink());
  });

  it('fails at once under /proc, where a recursive mkdir retries forever',
    { skip: !fs.existsSync('/proc/self') && 'no /proc here' }, () => {
      assert.equal(code(() => makeFolder('/proc/infogan-test/run')), 'ENOENT');
    });
});

describe('writeFileAtomic', () => {
  const temp = tempFolder('atomic-write');
  after(temp.cleanup);

  it('replaces the whole file and leaves no temporary beside it', () => {
    const file = path.join(temp.dir, 'out.json');
    writeFileAtomic(file, 'first');
    writeFileAtomic(file, new Uint8Array([115, 101, 99, 111, 110, 100]));
    assert.equal(fs.readFileSync(file, 'utf8'), 'second');
    assert.deepEqual(fs.readdirSync(temp.dir), ['out.json']);
  });
});
