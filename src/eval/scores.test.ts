import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DatasetLabels } from '../data/types';
import type { CodeOutputs } from './predict';
import { labelWarnings, scoreCodes, summaryLines } from './scores';

/**
 * Six images, one categorical code of 3 values and one continuous code:
 * - value 1's probability is high exactly on Eyeglasses images;
 * - the continuous code falls as Smiling goes on, and rises with light azimuth;
 * - image 5 has no attribute row (all zeros) and must be left out of the AUCs.
 */
function outputs(): CodeOutputs {
  const probabilities = Float32Array.from([
    0.8, 0.1, 0.1,
    0.1, 0.8, 0.1,
    0.7, 0.2, 0.1,
    0.2, 0.7, 0.1,
    0.1, 0.1, 0.8,
    0.1, 0.1, 0.8,
  ]);
  return {
    count: 6,
    probabilities: [probabilities],
    categories: [Int32Array.from([0, 1, 0, 1, 2, 2])],
    means: [Float32Array.from([0.9, 0.5, 0.1, -0.3, -0.7, 5])],
  };
}

const labels: DatasetLabels = {
  classes: { names: ['a', 'b', 'c'], index: Int32Array.from([1, 0, 1, 0, 2, 2]) },
  attributes: {
    names: ['Eyeglasses', 'Smiling', 'Bald'],
    // Eyeglasses on images 1 and 3; Smiling on 3 and 4; Bald on none (no AUC possible).
    values: Int8Array.from([
      -1, -1, -1,
      1, -1, -1,
      -1, -1, -1,
      1, 1, -1,
      -1, 1, -1,
      0, 0, 0,
    ]),
  },
  continuous: { names: ['light_azimuth'], values: Float32Array.from([40, 20, 0, -20, -40, 90]) },
};

describe('scoreCodes', () => {
  const codes = scoreCodes({ categorical: [3], numContinuous: 1 }, outputs(), labels);

  it('matches categorical values to classes', () => {
    const classes = codes[0].classes!;
    assert.deepEqual(classes.confusion, [[0, 2, 0], [2, 0, 0], [0, 0, 2]]);
    assert.equal(classes.accuracy, 1);
    assert.equal(classes.nmi, 1);
    assert.deepEqual(classes.matchedClass, ['b', 'a', 'c']);
  });

  it('scores attributes by AUC, best first, without unlabelled images or one-class ones', () => {
    const [eyeglasses, smiling, ...rest] = codes[0].attributes!;
    assert.deepEqual(eyeglasses, { attribute: 'Eyeglasses', auc: 1, sign: 1, value: 1 });
    assert.equal(smiling.attribute, 'Smiling');
    assert.equal(rest.length, 0, 'Bald has no positive image and gets no AUC');
    // The continuous code falls as Smiling appears: AUC 0 -> reported 1 with sign -1. Image 5
    // (mean 5, no attribute row) would break that if it were counted as "not smiling".
    assert.deepEqual(codes[1].attributes![0], { attribute: 'Smiling', auc: 1, sign: -1 });
  });

  it('correlates codes with continuous labels', () => {
    const [azimuth] = codes[1].continuousLabels!;
    assert.equal(azimuth.label, 'light_azimuth');
    assert.ok(azimuth.correlation > 0.5 && azimuth.correlation <= 1);
    assert.equal(codes[0].continuousLabels![0].label, 'light_azimuth');
    assert.equal(typeof codes[0].continuousLabels![0].value, 'number');
  });

  it('leaves images without a continuous label (NaN) out of its correlation', () => {
    // Image 5 (an ambient shot: no light direction) would pull r below 1 if it counted.
    const unlit: DatasetLabels = { continuous: { names: ['light_azimuth'],
      values: Float32Array.from([40, 20, 0, -20, -40, NaN]) } };
    const [code] = scoreCodes({ categorical: [], numContinuous: 1 }, outputs(), unlit);
    assert.ok(Math.abs(code.continuousLabels![0].correlation - 1) < 1e-6);
  });

  it('prints one line per code and kind of label', () => {
    const lines = summaryLines(codes);
    assert.match(lines[0], /^categorical 0 -> 3 classes +accuracy 1\.00, NMI 1\.00, purity 1\.00$/);
    assert.match(lines[1],
      /^categorical 0, value 1 -> Eyeglasses +\(AUC 1\.00\); next value 0 -> not Smiling 0\.75$/);
    assert.ok(lines.some((l) => /^continuous 0, low -> Smiling +\(AUC 1\.00\)/.test(l)));
    assert.ok(lines.some((l) => /^continuous 0 -> light_azimuth +\(r 0\.\d\d\)$/.test(l)));
  });

  it('leaves out kinds of label the data set does not have', () => {
    const only = scoreCodes({ categorical: [3], numContinuous: 1 }, outputs(),
      { classes: labels.classes });
    assert.equal(only[0].attributes, undefined);
    assert.equal(only[1].continuousLabels, undefined);
    assert.match(summaryLines(only).at(-1)!, /^continuous 0 +no label of this data set to compare/);
  });
});

describe('labelWarnings', () => {
  const layout = { categorical: [3], numContinuous: 1 };
  const noScore = 'accuracy, NMI and purity against fewer than 2 classes say nothing about what ' +
    'a categorical code learned; give labels of 2 or more classes';

  it('warns of classes and attributes too uniform to score, once each', () => {
    assert.deepEqual(labelWarnings(layout, labels, 6), ['attributes with one value on all 5 ' +
      'images with an attribute row are not scored (they have no AUC): Bald (1 of 3)']);
    const one = { names: ['George'], index: Int32Array.from([-1, 0, -1, -1, -1, -1]) };
    assert.deepEqual(labelWarnings(layout, { classes: one }, 6),
      [`only 1 class among the 1 labelled image (of 6): ${noScore}`]);
    // Two class names, but only one of them among the images.
    const named = { names: ['a', 'b'], index: Int32Array.from([1, 1, 1, 1, 1, 1]) };
    assert.deepEqual(labelWarnings(layout, { classes: named }, 6),
      [`only 1 class among the 6 labelled images: ${noScore}`]);
  });

  it('says nothing of classes no categorical code is scored against', () => {
    const one = { names: ['George'], index: Int32Array.from([0, 0, 0, 0, 0, 0]) };
    assert.deepEqual(labelWarnings({ categorical: [], numContinuous: 1 }, { classes: one }, 6), []);
    assert.deepEqual(labelWarnings(layout, { classes: labels.classes }, 6), []);
  });

  it('names the first few attributes with one value, and how many there are', () => {
    const attributes = { names: ['A', 'B', 'C', 'D', 'E'],
      values: Int8Array.from([1, 1, -1, -1, 1]) };
    assert.deepEqual(labelWarnings(layout, { attributes }, 1), ['attributes with one value on ' +
      'the 1 image with an attribute row are not scored (they have no AUC): A, B, C, ... ' +
      '(5 of 5)']);
  });
});
