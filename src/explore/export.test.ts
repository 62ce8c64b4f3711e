import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseExportArgs } from '../config/explore';
import { assertUsageError } from '../config/testing';
import { InfoGAN } from '../model/infogan';
import { parseSpec } from '../model/spec';
import { decodeSafetensors } from '../torch';
import { loadTrainedModel, readRunConfig } from '../train/run';
import { MemoryLogger } from '../util/log';
import { exportRun } from './export';
import { Renderer } from './render';
import { writeUntrainedRun } from './testing';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-explore-export-'));
const runDir = path.join(temp, 'run');
after(() => fs.rmSync(temp, { recursive: true, force: true }));

before(() => {
  writeUntrainedRun(runDir, { categoricalCardinality: [4], numContinuous: 1, styleSize: 8 });
  fs.writeFileSync(path.join(runDir, 'evaluation.json'),
    JSON.stringify({ codes: [{ name: 'continuous_0', kind: 'continuous', index: 0,
      attributes: [{ attribute: 'slant', auc: 0.7, sign: 1 }] }] }));
});

describe('infogan export', () => {
  it('writes the generator tensors only, and metadata describing the latent layout', () => {
    const out = path.join(temp, 'export');
    const log = new MemoryLogger();
    const files = exportRun({ run: runDir, out }, log);
    assert.deepEqual(files,
      [path.join(out, 'generator.safetensors'), path.join(out, 'metadata.json')]);
    assert.match(log.lines[0], new RegExp('^wrote .*generator\\.safetensors \\(\\d+ tensors, ' +
      '\\d+ bytes, iteration 5\\) and .*metadata\\.json with the evaluation results$'));

    const metadata = JSON.parse(fs.readFileSync(files[1], 'utf8'));
    assert.equal(metadata.format, 'infogan-generator/1');
    assert.equal(metadata.iteration, 5);
    assert.deepEqual(metadata.image, { height: 28, width: 28, channels: 1 });
    assert.deepEqual(metadata.latent, {
      size: 13, styleSize: 8, categorical: [4], numContinuous: 1,
      layout: [
        { name: 'style', offset: 0, size: 8, prior: 'normal(0, 0.1)' },
        { name: 'categorical_0', offset: 8, size: 4, prior: 'one-hot uniform' },
        { name: 'continuous_0', offset: 12, size: 1, prior: 'uniform(-1, 1)' },
      ],
    });
    assert.equal(metadata.generator.spec,
      'fc:1024,fc:6272,reshape:7:7:128,deconv:4:2:64,deconv:4:2:1:sigmoid');
    assert.equal(metadata.evaluation.codes[0].attributes[0].attribute, 'slant');

    const { tensors, metadata: header } = decodeSafetensors(fs.readFileSync(files[0]));
    assert.equal(header.format, 'infogan-generator/1');
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(metadata.generator.tensors).sort());
    assert.ok([...tensors.keys()].every((name) => name.startsWith('generator.')));
    assert.ok([...tensors.keys()].some((name) => name.includes('running_mean')));
    for (const [name, t] of tensors) assert.deepEqual(t.shape, metadata.generator.tensors[name]);
    for (const t of tensors.values()) t.dispose();
  });

  it('exports weights that rebuild the same generator, pixel for pixel', () => {
    const out = path.join(temp, 'rebuild');
    exportRun({ run: runDir, out, checkpoint: 5 }, new MemoryLogger());
    const metadata = JSON.parse(fs.readFileSync(path.join(out, 'metadata.json'), 'utf8'));
    const config = { ...readRunConfig(runDir), generator: parseSpec(metadata.generator.spec,
      'generator'), styleSize: metadata.latent.styleSize };
    const rebuilt = new InfoGAN(config, metadata.image);
    const { tensors } = decodeSafetensors(fs.readFileSync(path.join(out, 'generator.safetensors')));
    const generatorTensors = new Map([...tensors].map(([name, t]) =>
      [name.replace(/^generator\./, ''), t]));
    rebuilt.generator.loadStateDict(generatorTensors, 'export');
    for (const t of tensors.values()) t.dispose();
    const { model } = loadTrainedModel(runDir, new MemoryLogger());
    const state = { seed: 77, categorical: [2], continuous: [0.75] };
    assert.deepEqual(new Renderer(rebuilt).sample(state).png,
      new Renderer(model).sample(state).png);
    rebuilt.dispose();
    model.dispose();
  });

  it('refuses a file as --out, a missing checkpoint, and missing flags', () => {
    const file = path.join(temp, 'a-file');
    fs.writeFileSync(file, '');
    assert.throws(() => exportRun({ run: runDir, out: file }, new MemoryLogger()),
      /--out .*a-file is a file; give a folder/);
    assert.throws(() => exportRun({ run: runDir, out: path.join(temp, 'x'), checkpoint: 99 },
      new MemoryLogger()), /no checkpoint for iteration 99/);
    assertUsageError(() => parseExportArgs(['--run', 'r']), /infogan export needs --out DIR/);
    assertUsageError(() => parseExportArgs(['--out', 'o']), /infogan export needs --run DIR/);
    assertUsageError(() => parseExportArgs(['--run', 'r', '--out', 'o', '--checkpont', '3']),
      'unknown flag --checkpont; did you mean --checkpoint?');
    assert.deepEqual(parseExportArgs(['--run', 'r', '--out', 'o', '--checkpoint', '3']),
      { run: 'r', out: 'o', checkpoint: 3 });
  });
});
