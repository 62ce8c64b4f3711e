import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, TestContext } from 'node:test';

import { MemoryLogger } from '../util/log';
import { readEventFile } from './reader.test-util';
import { EventWriter } from './writer';

function tempLogdir(t: TestContext): string {
  const logdir = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-tb-resume-'));
  t.after(() => fs.rmSync(logdir, { recursive: true, force: true }));
  return logdir;
}

/** [tag, step] of every summary value in the file, in order. */
function tagSteps(file: string): [string, number][] {
  return readEventFile(file).events.flatMap((e) =>
    e.values.map((v): [string, number] => [v.tag, e.step]),
  );
}

function writeScalars(writer: EventWriter, tags: string[], from: number, to: number): void {
  for (let step = from; step <= to; step++)
    for (const tag of tags) writer.scalar(tag, step / 10, step);
}

test('resume appends to the same file and leaves out steps it already has, per tag', (t) => {
  const logdir = tempLogdir(t);
  const first = new EventWriter(logdir, { clock: () => 1000 });
  writeScalars(first, ['loss/generator', 'loss/discriminator'], 0, 9);
  first.scalar('sampled-late', 1, 4);
  first.close();
  const logger = new MemoryLogger();
  const second = new EventWriter(logdir, { resume: true, clock: () => 2000, logger });
  assert.equal(second.file, first.file);
  writeScalars(second, ['loss/generator', 'loss/discriminator'], 5, 14);
  writeScalars(second, ['sampled-late'], 3, 6);
  second.close();
  assert.deepEqual(fs.readdirSync(logdir), [path.basename(first.file)]);
  const { events, tailBytes } = readEventFile(first.file);
  assert.equal(tailBytes, 0);
  assert.equal(
    events.filter((e) => e.fileVersion !== undefined).length,
    1,
    'one file_version event',
  );
  for (const tag of ['loss/generator', 'loss/discriminator']) {
    const steps = tagSteps(first.file)
      .filter(([t]) => t === tag)
      .map(([, s]) => s);
    assert.deepEqual(steps, [...Array(15).keys()], tag);
  }
  assert.deepEqual(
    tagSteps(first.file)
      .filter(([t]) => t === 'sampled-late')
      .map(([, s]) => s),
    [4, 5, 6],
  );
  assert.deepEqual(logger.lines, [
    `tensorboard: resuming ${path.basename(first.file)}: 22 records, 3 tags, last step 9`,
    `tensorboard: left out 12 values at steps ${path.basename(first.file)} already had`,
  ]);
});

test('resume cuts a partial last record off before appending', (t) => {
  const logdir = tempLogdir(t);
  const first = new EventWriter(logdir);
  writeScalars(first, ['loss'], 0, 4);
  first.close();
  const whole = fs.statSync(first.file).size;
  // Simulate a kill in the middle of writing step 5's record: its first 20 bytes made it.
  const scratch = new EventWriter(tempLogdir(t));
  scratch.scalar('loss', 0.5, 5);
  scratch.close();
  const bytes = fs.readFileSync(scratch.file);
  const scalarRecord = 12 + bytes.readUInt32LE(0) + 4; // after the file_version record
  fs.appendFileSync(first.file, bytes.subarray(scalarRecord, scalarRecord + 20));
  assert.equal(readEventFile(first.file).tailBytes, 20);

  const logger = new MemoryLogger();
  const second = new EventWriter(logdir, { resume: true, logger });
  assert.equal(fs.statSync(first.file).size, whole, 'cut back to the last whole record');
  writeScalars(second, ['loss'], 5, 7);
  second.close();
  const { tailBytes } = readEventFile(first.file);
  assert.equal(tailBytes, 0);
  assert.deepEqual(
    tagSteps(first.file),
    [0, 1, 2, 3, 4, 5, 6, 7].map((s) => ['loss', s]),
  );
  assert.match(
    logger.warnings.join('\n'),
    /cut 20 bytes of a partial record \(short-data\) off the end .* after 6 whole records/,
  );
});

test('resume cuts off zeros left at the end by a crash (a length that fails its CRC)', (t) => {
  const logdir = tempLogdir(t);
  const first = new EventWriter(logdir);
  writeScalars(first, ['loss'], 0, 2);
  first.close();
  const whole = fs.statSync(first.file).size;
  fs.appendFileSync(first.file, Buffer.alloc(4096));
  const logger = new MemoryLogger();
  const second = new EventWriter(logdir, { resume: true, logger });
  second.scalar('loss', 0, 3);
  second.close();
  assert.match(logger.warnings.join('\n'), /cut 4096 bytes of a partial record \(bad-length-crc\)/);
  assert.ok(fs.statSync(first.file).size > whole);
  assert.deepEqual(
    tagSteps(first.file),
    [0, 1, 2, 3].map((s) => ['loss', s]),
  );
});

test('resume refuses a file whose damage is followed by more data', (t) => {
  const logdir = tempLogdir(t);
  const first = new EventWriter(logdir);
  writeScalars(first, ['loss'], 0, 4);
  first.close();
  const bytes = fs.readFileSync(first.file);
  bytes[60] ^= 0xff; // inside the second record's data
  fs.writeFileSync(first.file, bytes);
  assert.throws(
    () => new EventWriter(logdir, { resume: true }),
    (error: Error) => {
      assert.equal(error.name, 'UserError');
      assert.match(error.message, /record at byte 40 fails its checksum and \d+ bytes follow it/);
      return true;
    },
  );
  assert.deepEqual(fs.readFileSync(first.file), bytes, 'the file is left as it was');
});

test('resume in an empty folder starts a new file, and keeps hparams from the first run', (t) => {
  const logdir = tempLogdir(t);
  const first = new EventWriter(path.join(logdir, 'run'), { resume: true });
  first.hparams({ epochs: 10 });
  first.close();
  const second = new EventWriter(path.join(logdir, 'run'), { resume: true });
  second.hparams({ epochs: 20 });
  second.close();
  assert.equal(second.file, first.file);
  assert.deepEqual(tagSteps(first.file), [['_hparams_/session_start_info', 0]]);
});

test('resume reads last steps from every file in the folder, appends to the newest', (t) => {
  const logdir = tempLogdir(t);
  const old = new EventWriter(logdir, { clock: () => 1000 });
  writeScalars(old, ['loss'], 0, 20);
  old.close();
  const newer = new EventWriter(logdir, { clock: () => 2000 });
  writeScalars(newer, ['accuracy'], 0, 3);
  newer.close();
  const resumed = new EventWriter(logdir, { resume: true });
  assert.equal(resumed.file, newer.file);
  writeScalars(resumed, ['loss', 'accuracy'], 19, 21);
  resumed.close();
  // loss had steps to 20 in the older file, accuracy to 3 in the newer one.
  const appended = tagSteps(newer.file).slice(4);
  assert.deepEqual(appended, [
    ['accuracy', 19],
    ['accuracy', 20],
    ['loss', 21],
    ['accuracy', 21],
  ]);
});

const WRITER_MODULE = path.join(__dirname, 'writer.js');

/** Node arguments that run `script` with EventWriter in scope. */
function childScript(script: string): string[] {
  return ['-e', `const { EventWriter } = require(${JSON.stringify(WRITER_MODULE)});\n${script}`];
}

test('an open writer does not keep the process alive (its timer is unref-ed)', (t) => {
  const logdir = tempLogdir(t);
  const script =
    `const w = new EventWriter(${JSON.stringify(logdir)});\n` +
    "w.scalar('loss', 1, 1);\nw.flush();";
  // A timer that kept the process alive would flush every 2 s forever: spawnSync's timeout would
  // kill the child, and its status would be null, not 0.
  const child = spawnSync(process.execPath, childScript(script), {
    timeout: 10_000,
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  const [file] = fs.readdirSync(logdir);
  assert.deepEqual(tagSteps(path.join(logdir, file)), [['loss', 1]]);
});

test('a killed writer leaves a readable file, and resume continues it', async (t) => {
  const logdir = tempLogdir(t);
  const script = `
    const w = new EventWriter(${JSON.stringify(logdir)}, { flushSeconds: 0 });
    const weights = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i));
    for (let step = 0; ; step++) {
      w.scalar('loss', 1 / (step + 1), step);
      w.histogram('weights', weights, step);
    }`;
  const child = spawn(process.execPath, childScript(script), { stdio: 'ignore' });
  // Kill it once it has written some 200 KB.
  for (let waited = 0; waited < 10_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [file] = fs.readdirSync(logdir);
    if (file && fs.statSync(path.join(logdir, file)).size > 200_000) break;
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const [name] = fs.readdirSync(logdir);
  const file = path.join(logdir, name);
  const { events, tailBytes } = readEventFile(file);
  t.diagnostic(`killed after ${events.length} whole records, ${tailBytes} bytes of a partial one`);
  assert.ok(events.length > 100, `${events.length} records`);
  const steps = tagSteps(file)
    .filter(([tag]) => tag === 'loss')
    .map(([, step]) => step);
  assert.deepEqual(steps, [...steps.keys()], 'every loss step from 0, in order');

  const resumed = new EventWriter(logdir, { resume: true });
  const last = steps.length - 1;
  writeScalars(resumed, ['loss'], last - 2, last + 3);
  resumed.close();
  const after = tagSteps(file)
    .filter(([tag]) => tag === 'loss')
    .map(([, step]) => step);
  assert.deepEqual(after, [...Array(last + 4).keys()]);
  assert.equal(readEventFile(file).tailBytes, 0);
});
