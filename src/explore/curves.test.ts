import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { EventWriter } from '../tensorboard';
import { encodePng } from '../util/png';
import { MAX_POINTS, readCurves } from './curves';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-explore-curves-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

function writeRun(dir: string, steps: number, clock: number, offset = 0): string {
  const writer = new EventWriter(dir, { flushSeconds: 0, clock: () => clock });
  writer.hparams({ batch_size: 32 });
  for (let step = 1; step <= steps; step++) {
    writer.scalar('discriminator_objective', 1 + step / 100 + offset, step);
    writer.scalar('generator_objective', 2 - step / 100, step);
    writer.scalar('generator_lr', 0.001, step);
    if (step % 5 === 0) writer.image('grid', encodePng(new Uint8Array(4), 2, 2, 1), 2, 2, 1, step);
  }
  writer.close();
  return writer.file;
}

describe('training curves from TensorBoard event files', () => {
  it('reads the objective scalars the trainer writes, skipping other tags and images', () => {
    const dir = path.join(temp, 'plain');
    writeRun(dir, 20, 1_700_000_000);
    const { curves, files, problems } = readCurves(dir);
    assert.equal(files, 1);
    assert.deepEqual(problems, []);
    assert.deepEqual(curves.map((c) => c.tag), ['discriminator_objective', 'generator_objective']);
    assert.deepEqual(curves[0].steps, Array.from({ length: 20 }, (_, i) => i + 1));
    assert.ok(Math.abs(curves[0].values[19] - 1.2) < 1e-6);
    assert.ok(Math.abs(curves[1].values[0] - 1.99) < 1e-6);
  });

  it('lets a later file replace the steps an earlier one logged, as after a resume', () => {
    const dir = path.join(temp, 'resumed');
    writeRun(dir, 10, 1_700_000_000);
    writeRun(dir, 6, 1_700_000_100, 100);
    const curve = readCurves(dir).curves[0];
    assert.equal(curve.steps.length, 10);
    assert.ok(Math.abs(curve.values[5] - (101 + 6 / 100)) < 1e-4, String(curve.values[5]));
    assert.ok(Math.abs(curve.values[9] - 1.1) < 1e-6);
  });

  it('stops at a torn last record and at a damaged one, saying which', () => {
    const dir = path.join(temp, 'damaged');
    const file = writeRun(dir, 10, 1_700_000_000);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 7));
    const torn = readCurves(dir);
    assert.deepEqual(torn.problems, []);
    assert.ok(torn.curves[0].steps.length >= 8);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 30] ^= 0xff;
    fs.writeFileSync(file, flipped);
    const damaged = readCurves(dir);
    assert.equal(damaged.problems.length, 1);
    assert.match(damaged.problems[0], /bad record checksum at byte \d+/);
  });

  it('averages long runs into at most MAX_POINTS points', () => {
    const dir = path.join(temp, 'long');
    writeRun(dir, 1000, 1_700_000_000);
    const curve = readCurves(dir).curves[0];
    assert.ok(curve.steps.length <= MAX_POINTS && curve.steps.length >= MAX_POINTS / 2);
    assert.equal(curve.steps[curve.steps.length - 1], 1000);
  });

  it('returns no curves for a missing folder', () => {
    assert.deepEqual(readCurves(path.join(temp, 'none')), { curves: [], files: 0, problems: [] });
  });
});
