import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, TestContext } from 'node:test';

import { MemoryLogger } from '../util/log';
import { makePng } from './png.test-util';
import { decodeHParamsData, readEventFile, ReadEvent } from './reader.test-util';
import { EventWriter } from './writer';

function tempLogdir(t: TestContext): string {
  const logdir = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-tb-writer-'));
  t.after(() => fs.rmSync(logdir, { recursive: true, force: true }));
  return logdir;
}

/** Every summary value of a file, with its event's step, after the file_version event. */
function valuesOf(events: ReadEvent[]) {
  return events
    .slice(1)
    .flatMap((event) => event.values.map((value) => ({ step: event.step, ...value })));
}

test('one file per run, events.out.tfevents.<unixtime>.<hostname>, file_version first', (t) => {
  const logdir = tempLogdir(t);
  const writer = new EventWriter(logdir, { clock: () => 1700000000.25 });
  writer.close();
  assert.deepEqual(fs.readdirSync(logdir), [`events.out.tfevents.1700000000.${os.hostname()}`]);
  const { events } = readEventFile(writer.file);
  assert.deepEqual(events, [
    { wallTime: 1700000000.25, step: 0, fileVersion: 'brain.Event:2', values: [] },
  ]);
  // A second writer in the same second gets its own file.
  const second = new EventWriter(logdir, { clock: () => 1700000000.5 });
  second.close();
  assert.equal(second.file, `${writer.file}.1`);
});

test('scalars round-trip with their tags, steps, values (as float32) and wall times', (t) => {
  const logdir = tempLogdir(t);
  let now = 1000;
  const writer = new EventWriter(logdir, { clock: () => (now += 0.5) });
  assert.match(writer.file, /tfevents\.1000\./);
  const expected = [];
  for (let step = 0; step < 200; step++) {
    const losses = {
      'loss/discriminator': Math.exp(-step / 50),
      'loss/generator': 1 / (step + 1) - 0.3,
    };
    for (const [tag, value] of Object.entries(losses)) {
      writer.scalar(tag, value, step);
      expected.push({ step, tag, simpleValue: Math.fround(value) });
    }
  }
  writer.scalar('big-step', -0, 2 ** 40);
  writer.scalar('nan', NaN, 3);
  writer.close();
  const { events, tailBytes } = readEventFile(writer.file);
  assert.equal(tailBytes, 0);
  const values = valuesOf(events);
  assert.deepEqual(values.slice(0, 400), expected);
  assert.deepEqual(values.slice(400, 401), [{ step: 2 ** 40, tag: 'big-step', simpleValue: -0 }]);
  assert.ok(Number.isNaN(values[401].simpleValue));
  // wall_time is the clock at each call: 1000.5 for file_version (and file name), then +0.5 each.
  assert.deepEqual(
    events.slice(0, 3).map((e) => e.wallTime),
    [1000.5, 1001, 1001.5],
  );
});

test('images decode to the exact PNG bytes written, with height, width, colorspace', (t) => {
  const logdir = tempLogdir(t);
  const writer = new EventWriter(logdir);
  const pngs = [1, 2, 3, 4].map((channels) => makePng(7, 5, channels));
  pngs.forEach((png, i) => writer.image(`traversal/code${i}`, png, 7, 5, i + 1, 100 * i));
  writer.close();
  const values = valuesOf(readEventFile(writer.file).events);
  assert.equal(values.length, 4);
  values.forEach((value, i) => {
    assert.equal(value.tag, `traversal/code${i}`);
    assert.equal(value.step, 100 * i);
    assert.deepEqual(value.image, { height: 5, width: 7, colorspace: i + 1, encoded: pngs[i] });
  });
});

test('image refuses bytes that are not a PNG of the stated size or channels', (t) => {
  const writer = new EventWriter(tempLogdir(t));
  t.after(() => writer.close());
  const png = makePng(4, 3, 3);
  assert.throws(
    () => writer.image('x', Buffer.from('not a png at all, just text'), 4, 3, 3, 0),
    /no PNG signature/,
  );
  assert.throws(() => writer.image('x', png, 3, 4, 3, 0), /to be 3x4 but its PNG header says 4x3/);
  assert.throws(() => writer.image('x', png, 4, 3, 5, 0), /1, 2, 3 or 4 channels .* got 5/);
});

test('histograms carry min, max, num, sum, sum of squares and buckets that add up', (t) => {
  const logdir = tempLogdir(t);
  const logger = new MemoryLogger();
  const writer = new EventWriter(logdir, { logger });
  const weights = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 2);
  writer.histogram('generator/weights', weights, 7);
  writer.histogram('generator/weights', [NaN, 1, 2.5, Infinity, 3], 8);
  writer.histogram('generator/weights', [NaN], 9);
  writer.close();
  const values = valuesOf(readEventFile(writer.file).events);
  assert.equal(values.length, 2, 'the all-NaN histogram is left out');
  const first = values[0].histogram!;
  assert.equal(values[0].step, 7);
  assert.equal(first.num, 1000);
  assert.equal(first.min, Math.min(...weights));
  assert.equal(first.max, Math.max(...weights));
  assert.ok(Math.abs(first.sum - weights.reduce((a, b) => a + b, 0)) < 1e-9);
  assert.ok(Math.abs(first.sumSquares - weights.reduce((a, b) => a + b * b, 0)) < 1e-9);
  assert.equal(first.bucket.length, 30);
  assert.equal(
    first.bucket.reduce((a, b) => a + b, 0),
    1000,
  );
  assert.equal(first.bucketLimit.at(-1), first.max);
  const second = values[1].histogram!;
  assert.deepEqual(
    [second.min, second.max, second.num, second.sum, second.sumSquares],
    [1, 3, 3, 6.5, 16.25],
  );
  // 30 buckets of width 1/15 from 1 to 3: 2.5 falls in bucket 22.
  assert.deepEqual(second.bucket, [1, ...Array(21).fill(0), 1, ...Array(6).fill(0), 1]);
  second.bucketLimit.forEach((limit, i) =>
    assert.ok(Math.abs(limit - (1 + (i + 1) / 15)) < 1e-12, `limit ${i}`),
  );
  assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
  assert.match(
    logger.warnings[0],
    /'generator\/weights' at step 8 had NaN or infinite values among 5/,
  );
});

test('text is a DT_STRING tensor for the text plugin', (t) => {
  const writer = new EventWriter(tempLogdir(t));
  writer.text('config', '| lr | 2e-4 |\n|---|---|\nµ ✓', 0);
  writer.close();
  const [value] = valuesOf(readEventFile(writer.file).events);
  assert.equal(value.pluginName, 'text');
  assert.deepEqual(value.tensor, {
    dtype: 7,
    shape: [1],
    stringVal: [Buffer.from('| lr | 2e-4 |\n|---|---|\nµ ✓')],
  });
});

test('hparams write session_start_info and, with metrics, the experiment', (t) => {
  const writer = new EventWriter(tempLogdir(t), { clock: () => 1234.5 });
  const config = {
    learningRate: 0.0002,
    dataset: 'mnist',
    spectralNorm: false,
    categoricalCodes: 10,
  };
  writer.hparams(config, ['loss/discriminator', 'mutualInformation']);
  writer.close();
  const values = valuesOf(readEventFile(writer.file).events);
  assert.deepEqual(
    values.map((v) => [v.tag, v.step, v.pluginName]),
    [
      ['_hparams_/experiment', 0, 'hparams'],
      ['_hparams_/session_start_info', 0, 'hparams'],
    ],
  );
  // TensorBoard's NULL_TENSOR: float32 of shape [0].
  for (const value of values)
    assert.deepEqual(value.tensor, { dtype: 1, shape: [0], stringVal: [] });
  const experiment = decodeHParamsData(values[0].pluginContent!);
  assert.deepEqual(experiment.experiment, {
    hparams: [
      { name: 'learningRate', type: 3 },
      { name: 'dataset', type: 1 },
      { name: 'spectralNorm', type: 2 },
      { name: 'categoricalCodes', type: 3 },
    ],
    metricTags: ['loss/discriminator', 'mutualInformation'],
  });
  const session = decodeHParamsData(values[1].pluginContent!);
  assert.deepEqual(session, {
    version: 0,
    sessionStart: { hparams: config, startTimeSecs: 1234.5 },
  });
});

test('hparams without metrics write only session_start_info', (t) => {
  const writer = new EventWriter(tempLogdir(t));
  writer.hparams({ batchSize: 64 });
  writer.close();
  const values = valuesOf(readEventFile(writer.file).events);
  assert.deepEqual(
    values.map((v) => v.tag),
    ['_hparams_/session_start_info'],
  );
});

test('bad tags, steps and values are refused with what was expected', (t) => {
  const writer = new EventWriter(tempLogdir(t));
  t.after(() => writer.close());
  assert.throws(() => writer.scalar('', 1, 0), /Expected a non-empty tag but got ""/);
  assert.throws(
    () => writer.scalar('loss', 1, -1),
    /Expected a whole step >= 0 for 'loss' but got -1/,
  );
  assert.throws(() => writer.scalar('loss', 1, 1.5), /whole step .* got 1.5/);
  assert.throws(
    () => writer.scalar('loss', '1' as unknown as number, 1),
    /Expected a number for 'loss'/,
  );
  assert.throws(() => writer.hparams({ codes: [1, 2] as unknown as number }), /hparam 'codes'/);
  assert.throws(
    () => new EventWriter(tempLogdir(t), { flushSeconds: -1 }),
    /flushSeconds >= 0 but got -1/,
  );
});

test('close flushes, is idempotent, and later writes throw', (t) => {
  const writer = new EventWriter(tempLogdir(t), { flushSeconds: 3600 });
  writer.scalar('loss', 1, 1);
  assert.equal(readEventFile(writer.file).events.length, 1, 'only file_version before a flush');
  writer.flush();
  assert.equal(readEventFile(writer.file).events.length, 2);
  writer.scalar('loss', 2, 2);
  writer.close();
  writer.close();
  writer.flush();
  assert.equal(readEventFile(writer.file).events.length, 3);
  assert.throws(() => writer.scalar('loss', 3, 3), /is closed/);
});

test('buffered events reach the file within flushSeconds without a flush call', async (t) => {
  const writer = new EventWriter(tempLogdir(t), { flushSeconds: 0.05 });
  t.after(() => writer.close());
  writer.scalar('loss', 1, 1);
  assert.equal(readEventFile(writer.file).events.length, 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(readEventFile(writer.file).events.length, 2);
});

test('an unwritable log folder is reported as a UserError naming it', (t) => {
  const file = path.join(tempLogdir(t), 'a-file');
  fs.writeFileSync(file, '');
  assert.throws(
    () => new EventWriter(path.join(file, 'run')),
    (error: Error) => {
      assert.equal(error.name, 'UserError');
      assert.match(error.message, /cannot write TensorBoard logs to .*a-file\/run: /);
      return true;
    },
  );
});

test('100,000 scalars in a row are all written (their cost is printed, not asserted)', (t) => {
  const writer = new EventWriter(tempLogdir(t), { flushSeconds: 3600 });
  t.after(() => writer.close());
  const count = 100_000;
  const started = process.hrtime.bigint();
  for (let step = 0; step < count; step++) writer.scalar('loss/generator', step * 1e-3, step);
  writer.flush();
  const microseconds = Number(process.hrtime.bigint() - started) / 1000 / count;
  t.diagnostic(`${count} scalars: ${microseconds.toFixed(2)} us each, flush included`);
  assert.equal(readEventFile(writer.file).events.length, count + 1);
});
