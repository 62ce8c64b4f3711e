/**
 * makeFolder and writeFileAtomic: folders made one level at a time (with errors that name the real
 * cause, and no endless retry on /proc), and files replaced whole or not at all.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import fsModule from 'node:fs';
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

  it('makes a parent again when another process removes it in between', (t) => {
    const runs = path.join(temp.dir, 'shared', 'runs');
    const mine = path.join(runs, 'mine');
    const mkdir = fsModule.mkdirSync;
    let removed = 0;
    // Another run drops the empty `runs/` just after this one made it, twice. (The module itself
    // is mocked: `import * as` gives this file a copy of its names.)
    t.mock.method(fsModule, 'mkdirSync', (at: fs.PathLike, options?: fs.MakeDirectoryOptions) => {
      if (at === mine && removed < 2) {
        removed++;
        fs.rmdirSync(runs);
      }
      return mkdir(at, options);
    });
    makeFolder(mine);
    assert.equal(removed, 2);
    assert.ok(fs.statSync(mine).isDirectory());
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
