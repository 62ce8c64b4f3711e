import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatCodeState, readCodeState, readSweepRequest, sweepValues, type CodeLayout,
} from './codes';

const layout: CodeLayout = { categorical: [10, 3], numContinuous: 2 };
const read = (query: string) => readCodeState(new URLSearchParams(query), layout);

describe('code state in URLs', () => {
  it('reads every code and defaults the missing ones to 0', () => {
    assert.deepEqual(read('seed=7&cat=9,2&cont=-2,1.25'),
      { ok: true, value: { seed: 7, categorical: [9, 2], continuous: [-2, 1.25] } });
    assert.deepEqual(read(''),
      { ok: true, value: { seed: 0, categorical: [0, 0], continuous: [0, 0] } });
    assert.deepEqual(read('seed=4294967295'),
      { ok: true, value: { seed: 4294967295, categorical: [0, 0], continuous: [0, 0] } });
  });

  it('writes what it reads back unchanged, continuous values to 2 decimals', () => {
    const state = { seed: 12, categorical: [4, 1], continuous: [0.123456, -0] };
    const text = formatCodeState(state);
    assert.equal(text, 'seed=12&cat=4,1&cont=0.12,0');
    assert.deepEqual(read(text), { ok: true, value: { seed: 12, categorical: [4, 1],
      continuous: [0.12, 0] } });
  });

  it('takes an empty list for a run without codes of that kind', () => {
    const none = { categorical: [], numContinuous: 0 };
    const text = formatCodeState({ seed: 3, categorical: [], continuous: [] });
    assert.equal(text, 'seed=3');
    assert.deepEqual(readCodeState(new URLSearchParams('seed=3&cat=&cont='), none),
      { ok: true, value: { seed: 3, categorical: [], continuous: [] } });
  });

  it('refuses malformed, out-of-range, miscounted, repeated and unknown values', () => {
    const errors: [string, string][] = [
      ['seed=1.5', 'seed must be a whole number, got "1.5"'],
      ['seed=%2B1', 'seed must be a whole number, got "+1"'],
      ['seed=99999999999', 'seed must be a whole number, got "99999999999"'],
      ['cat=1,2,3', 'cat has 3 values; this run has 2 categorical codes'],
      ['cat=', 'cat has 0 values; this run has 2 categorical codes'],
      ['cat=1,', 'cat value 2 must be a whole number, got ""'],
      ['cont=2.01,0', 'cont value 1 must be between -2 and 2, got 2.01'],
      ['cont=-0.5,--1', 'cont value 2 must be a decimal number, got "--1"'],
      ['cont=0,1.', 'ok'],
      ['seed=1&cat=0,0&seed=1', 'parameter seed given twice'],
      [`x${'y'.repeat(60)}=1`,
        `unknown parameter "x${'y'.repeat(39)}..."; expected seed, cat, cont`],
    ];
    for (const [query, message] of errors) {
      const result = read(query);
      if (message === 'ok') assert.ok(result.ok, query);
      else assert.deepEqual(result, { ok: false, error: message }, query);
    }
  });

  it('reads sweeps with their defaults and limits', () => {
    const sweep = readSweepRequest(new URLSearchParams('seed=2&code=categorical:1'), layout);
    assert.deepEqual(sweep, { ok: true, value: { seed: 2, categorical: [0, 0], continuous: [0, 0],
      code: { kind: 'categorical', index: 1 }, rows: 3, steps: 9 } });
    const bad = readSweepRequest(new URLSearchParams('code=categorical:2'), layout);
    assert.deepEqual(bad,
      { ok: false, error: 'code categorical:2: this run has 2 categorical codes' });
  });

  it('sweeps a continuous code evenly over [-2, 2] and a categorical one over every value', () => {
    assert.deepEqual(sweepValues({ kind: 'continuous', index: 0 }, layout, 5), [-2, -1, 0, 1, 2]);
    assert.deepEqual(sweepValues({ kind: 'categorical', index: 1 }, layout, 5), [0, 1, 2]);
  });
});
