import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { codeNames, readEvaluation } from './evaluation';

const layout = { categorical: [10], numContinuous: 2 };
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-explore-evaluation-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

describe('attribute names from evaluation.json', () => {
  it('reads evaluate\'s layout: attributes best first, correlations, matched classes', () => {
    const names = codeNames({
      codes: [
        { name: 'categorical_0', kind: 'categorical', index: 0, cardinality: 10,
          classes: { names: ['0', '1'], accuracy: 0.8123, matchedClass: ['7', '1', null] } },
        { name: 'continuous_0', kind: 'continuous', index: 0,
          attributes: [{ attribute: 'Smiling', auc: 0.8312, sign: 1 },
            { attribute: 'Male', auc: 0.6, sign: -1 }] },
        { name: 'continuous_1', kind: 'continuous', index: 1,
          continuousLabels: [{ label: 'azimuth', correlation: -0.715 }] },
      ],
    }, layout);
    assert.deepEqual(names.categorical, [{ name: '2 classes, accuracy 0.81',
      values: ['7', '1', null, null, null, null, null, null, null, null] }]);
    assert.deepEqual(names.continuous, [{ name: 'high: Smiling (AUC 0.83)' },
      { name: 'azimuth (r -0.71)' }]);
  });

  it('reads codes[].best as a string, an object with a score, or per-category labels', () => {
    const names = codeNames({
      codes: [
        { code: 'continuous:1', best: { attribute: 'Eyeglasses', score: 0.912 } },
        { code: 'cont_0', best: '  stroke\nwidth ' },
        { kind: 'categorical', index: 0, best: ['zero', 'one'] },
      ],
    }, layout);
    assert.deepEqual(names.continuous, [{ name: 'stroke width' }, { name: 'Eyeglasses (0.91)' }]);
    assert.deepEqual(names.categorical[0].values?.slice(0, 3), ['zero', 'one', null]);
  });

  it('reads codes keyed by name', () => {
    const names = codeNames({ codes: { continuous_1: { best: 'slant' } } }, layout);
    assert.deepEqual(names.continuous, [{ name: null }, { name: 'slant' }]);
  });

  it('ignores what it does not recognise instead of failing', () => {
    const empty = { categorical: [{ name: null }], continuous: [{ name: null }, { name: null }] };
    for (const evaluation of [null, 42, 'text', [], { codes: 'x' }, { codes: [null, 3, 'a'] },
      { codes: [{ code: 'continuous:7', best: 'x' }, { code: 'style:0', best: 'x' },
        { kind: 'continuous', index: -1, best: 'x' },
        { code: 'continuous:0', best: { x: 1 } }] }]) {
      assert.deepEqual(codeNames(evaluation, layout), empty, JSON.stringify(evaluation));
    }
  });

  it('reads the file when there is one, and reports a damaged one', () => {
    assert.deepEqual(readEvaluation(temp, layout).raw, null);
    fs.writeFileSync(path.join(temp, 'evaluation.json'),
      '{"codes": [{"code": "continuous:0", "best": "slant"}]}');
    const read = readEvaluation(temp, layout);
    assert.equal(read.names.continuous[0].name, 'slant');
    assert.equal(read.problem, undefined);
    fs.writeFileSync(path.join(temp, 'evaluation.json'), '{"codes": [');
    assert.match(readEvaluation(temp, layout).problem ?? '', /evaluation\.json is not valid JSON/);
  });
});
