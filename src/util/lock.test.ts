/**
 * claimNewFolder and lockRunFolder: two runs started together never share a run folder, a folder
 * in use by a live run is refused, and a lock left by a killed run is taken over.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import fsModule from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { tempFolder } from '../data/testing';
import { LOCK_FILE, claimNewFolder, lockRunFolder } from './lock';
import { UserError } from './log';

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(child.status, 0);
  return child.pid!;
}

function writeLock(folder: string, holder: object): string {
  const lock = path.join(folder, LOCK_FILE);
  fs.writeFileSync(lock, JSON.stringify(holder));
  return lock;
}

describe('claimNewFolder', () => {
  const temp = tempFolder('claim');
  after(temp.cleanup);

  it('gives two claims of one name two folders: the name, then the name with -2, -3', () => {
    const name = path.join(temp.dir, 'runs', '2026-12-04_16-47-14');
    assert.equal(claimNewFolder(name), name);
    assert.equal(claimNewFolder(name), `${name}-2`);
    fs.writeFileSync(`${name}-3`, 'a file in the way');
    assert.equal(claimNewFolder(name), `${name}-4`);
    assert.deepEqual(fs.readdirSync(path.dirname(name)).sort(),
      ['2026-12-04_16-47-14', '2026-12-04_16-47-14-2', '2026-12-04_16-47-14-3',
        '2026-12-04_16-47-14-4']);
  });

  it('makes the parent again when another run drops it in between', (t) => {
    const runs = path.join(temp.dir, 'shared', 'runs');
    const name = path.join(runs, 'now');
    const mkdir = fsModule.mkdirSync;
    let removed = 0;
    t.mock.method(fsModule, 'mkdirSync', (at: fs.PathLike, options?: fs.MakeDirectoryOptions) => {
      if (at === name && removed < 2) {
        removed++;
        fs.rmdirSync(runs);
      }
      return mkdir(at, options);
    });
    assert.equal(claimNewFolder(name), name);
    assert.equal(removed, 2);
  });
});

describe('lockRunFolder', () => {
  const temp = tempFolder('lock');
  after(temp.cleanup);
  const folder = (name: string) => {
    const dir = path.join(temp.dir, name);
    fs.mkdirSync(dir);
    return dir;
  };

  it('refuses the folder while another lock of it is held, and unlocks only its own', () => {
    const run = folder('held');
    const unlock = lockRunFolder(run, '--out');
    const lock = path.join(run, LOCK_FILE);
    assert.equal(JSON.parse(fs.readFileSync(lock, 'utf8')).pid, process.pid);
    assert.throws(() => lockRunFolder(run, '--resume'), (error: unknown) =>
      error instanceof UserError && error.message === `--resume ${run} is in use by another ` +
        `infogan run (pid ${process.pid}); wait for it to end or choose another --resume`);
    unlock();
    assert.equal(fs.existsSync(lock), false);
    const again = lockRunFolder(run, '--out');
    unlock(); // a second call: the lock is no longer its own
    assert.ok(fs.existsSync(lock));
    again();
    assert.deepEqual(fs.readdirSync(run), []);
  });

  it('refuses a lock held by another live process', () => {
    const run = folder('live');
    writeLock(run, { pid: process.ppid, host: os.hostname(), started: '' });
    assert.throws(() => lockRunFolder(run, '--out'),
      new RegExp(`^UserError: --out ${run} is in use by another infogan run \\(pid ` +
        `${process.ppid}\\); wait for it to end or choose another --out$`));
  });

  it('refuses a lock from another host, where it cannot tell, naming the file to delete', () => {
    const run = folder('elsewhere');
    const lock = writeLock(run, { pid: deadPid(), host: `not-${os.hostname()}`, started: '' });
    assert.throws(() => lockRunFolder(run, '--out'), (error: unknown) =>
      error instanceof UserError && error.message.endsWith(`if that run is gone, delete ${lock}`));
  });

  it('takes over a lock left by a process that is gone', () => {
    const run = folder('stale');
    const lock = writeLock(run, { pid: deadPid(), host: os.hostname(), started: '' });
    const unlock = lockRunFolder(run, '--resume');
    assert.equal(JSON.parse(fs.readFileSync(lock, 'utf8')).pid, process.pid);
    unlock();
    assert.deepEqual(fs.readdirSync(run), []);
  });

  it('takes over a lock whose pid now belongs to a later process',
    { skip: !fs.existsSync('/proc/self/stat') && 'no /proc here' }, () => {
      const run = folder('reused');
      const lock = writeLock(run, { pid: process.pid, host: os.hostname(), started: '1' });
      const unlock = lockRunFolder(run, '--out');
      assert.notEqual(JSON.parse(fs.readFileSync(lock, 'utf8')).started, '1');
      unlock();
    });

  it('takes over a lock that holds no pid, once it has waited for one to be written', () => {
    const run = folder('garbled');
    writeLock(run, {});
    lockRunFolder(run, '--out')();
    assert.deepEqual(fs.readdirSync(run), []);
  });
});
