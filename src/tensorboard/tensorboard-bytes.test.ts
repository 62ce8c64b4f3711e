// Checks against bytes other TensorBoard writers produce; fixtures/README.md says where from.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { readEventFile, readRecords } from './reader.test-util';
import { EventWriter } from './writer';

// Tests run from dist/src/tensorboard; the fixtures stay in the source tree.
const FIXTURES = path.join(__dirname, '..', '..', '..', 'src', 'tensorboard', 'fixtures');
const LOGGER_FILE = path.join(FIXTURES, 'tensorboard_logger.scalars.tfevents');
const TF_FILE = path.join(FIXTURES, 'tensorflow.file_version.tfevents');

test('the test reader reads scalars written by tensorboard_logger', () => {
  const { events, tailBytes } = readEventFile(LOGGER_FILE);
  assert.equal(tailBytes, 0);
  assert.equal(events.length, 3);
  assert.deepEqual(events[0], {
    wallTime: 256.5,
    step: 0,
    fileVersion: 'brain.Event:2',
    values: [],
  });
  assert.deepEqual(events.slice(1), [
    {
      wallTime: 256.5,
      step: 1,
      fileVersion: undefined,
      values: [{ tag: 'v/1', simpleValue: 1.5 }],
    },
    {
      wallTime: 256.5,
      step: 2,
      fileVersion: undefined,
      values: [{ tag: 'v/22', simpleValue: 16 }],
    },
  ]);
});

test('the test reader reads file_version records written by TensorFlow', () => {
  const { events, tailBytes } = readEventFile(TF_FILE);
  assert.equal(tailBytes, 0);
  // Whole-second wall times from 2015-08-21 and 2016-02-26, when TensorFlow's test was written.
  assert.deepEqual(
    events.map((e) => [e.fileVersion, e.wallTime, e.step]),
    [
      ['brain.Event:1', 1440183447, 0],
      ['brain.Event:2', 1456445596, 0],
    ],
  );
});

test('the test reader rejects a flipped bit and tolerates a cut-off last record', () => {
  const bytes = fs.readFileSync(LOGGER_FILE);
  const flipped = Buffer.from(bytes);
  flipped[60] ^= 0x01;
  assert.throws(() => readRecords(flipped), /data CRC mismatch in the record at byte 40/);
  const lengthFlipped = Buffer.from(bytes);
  lengthFlipped[40] ^= 0x01;
  assert.throws(() => readRecords(lengthFlipped), /length CRC mismatch in the record at byte 40/);
  for (const cut of [1, 4, 20, 30, 41]) {
    const { records, tailBytes } = readRecords(bytes.subarray(0, bytes.length - cut));
    assert.equal(records.length, 2, `cut ${cut}`);
    assert.equal(tailBytes, 42 - cut, `cut ${cut}`);
  }
});

test('EventWriter writes the same bytes as tensorboard_logger for the same scalars', (t) => {
  // Same wall_time (256.5), tags, steps and values as the fixture; every byte must match.
  const logdir = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-tb-bytes-'));
  t.after(() => fs.rmSync(logdir, { recursive: true, force: true }));
  const writer = new EventWriter(logdir, { clock: () => 256.5 });
  writer.scalar('v/1', 1.5, 1);
  writer.scalar('v/22', 16.0, 2);
  writer.close();
  assert.deepEqual(fs.readFileSync(writer.file), fs.readFileSync(LOGGER_FILE));
});
