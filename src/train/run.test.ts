import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../config/train';
import { tempFolder } from '../data/testing';
import { InfoGAN } from '../model/infogan';
import { UserError } from '../util/log';
import { readRunConfig } from './run';
import { serializableConfig } from './trainer';

const temp = tempFolder('run-config');
after(() => temp.cleanup());

function saved(name: string, edit: (json: Record<string, unknown>) => void): string {
  const dir = path.join(temp.dir, name);
  fs.mkdirSync(dir);
  const json = serializableConfig({ ...DEFAULT_TRAIN_CONFIG, out: dir } as TrainConfig);
  edit(json);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(json));
  return dir;
}

const bodyNorms = (config: TrainConfig) => {
  const model = new InfoGAN(config, { height: 28, width: 28, channels: 1 });
  const lines = model.summary.filter((l) => l.startsWith('--discriminator'));
  model.dispose();
  return lines.map((l) => l.includes('batch norm'));
};

describe('readRunConfig', () => {
  it('names a damaged numeric field', () => {
    for (const [value, shown] of [['abc', '"abc"'], [null, 'null'], [-1, '-1'], [0, '0']] as const) {
      const dir = saved(`damaged-${shown}`, (json) => { json.styleStd = value; });
      assert.throws(() => readRunConfig(dir), (e) => e instanceof UserError && e.message ===
        `${path.join(dir, 'config.json')} is damaged: styleStd is ${shown}, which --style_std ` +
        'does not accept');
    }
    const cardinality = saved('damaged-cardinality', (json) => { json.categoricalCardinality = [10, 1.5]; });
    assert.throws(() => readRunConfig(cardinality), /categoricalCardinality is \[10,1.5\]/);
    const augment = saved('damaged-augment', (json) => { json.augment = ['translation', 'spin']; });
    assert.throws(() => readRunConfig(augment), (e) => e instanceof UserError &&
      e.message.startsWith(`${path.join(augment, 'config.json')} is damaged: --augment expects`));
    const threads = readRunConfig(saved('many-threads', (json) => { json.threads = 4096; }));
    assert.equal(threads.threads, 4096);
  });

  it('reads back what train writes', () => {
    const config = readRunConfig(saved('current', () => {}));
    assert.equal(config.styleStd, 0.1);
    assert.deepEqual(bodyNorms(config), [false, true, true]);
    const augmented = readRunConfig(saved('augmented', (json) => { json.augment = ['flip', 'cutout']; }));
    assert.deepEqual(augmented.augment, ['flip', 'cutout']);
    assert.ok(!('format' in config));
  });

  it('rebuilds runs written before --style_std as they were trained', () => {
    const legacy = readRunConfig(saved('legacy', (json) => {
      delete json.format;
      delete json.styleStd;
      delete json.labeledLambda;
      delete json.augment;
      delete json.realInfoLambda;
      delete json.invarianceLambda;
    }));
    assert.equal(legacy.styleStd, 1);
    assert.equal(legacy.labeledLambda, 1);
    assert.deepEqual(legacy.augment, []);
    assert.equal(legacy.realInfoLambda, 0);
    assert.equal(legacy.invarianceLambda, 0);
    assert.deepEqual(bodyNorms(legacy), [true, true, true]);
    const withoutNorm = readRunConfig(saved('legacy-nobn', (json) => {
      delete json.format;
      json.useBatchNorm = false;
    }));
    assert.deepEqual(bodyNorms(withoutNorm), [false, false, false]);
  });
});
