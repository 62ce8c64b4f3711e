// Seeded random streams: reproducible, replayable from a saved state, and in range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Generator, rand, randint, randn, tidy } from './tensor';

test('the same seed gives the same numbers; another seed gives others', () => tidy(() => {
  for (const draw of [
    (g: Generator) => randn([5, 7], g).toArray(),
    (g: Generator) => rand([33], g).toArray(),
    (g: Generator) => randint(10, [20], g).toArray(),
  ]) {
    assert.deepEqual(draw(new Generator(42)), draw(new Generator(42)));
    assert.notDeepEqual(draw(new Generator(42)), draw(new Generator(43)));
  }
}));

test('a generator continues its stream: two draws differ', () => tidy(() => {
  const g = new Generator(1);
  assert.notDeepEqual(randn([8], g).toArray(), randn([8], g).toArray());
}));

test('getState / setState replays the stream exactly, normal cache included', () => tidy(() => {
  const g = new Generator(7);
  randn([3], g); // odd sizes exercise the scalar path and its cached second normal
  rand([5], g);
  const state = g.getState();
  const first = [randn([3], g).toArray(), randn([17], g).toArray(), rand([4], g).toArray(),
    randint(1000, [6], g).toArray()];
  randn([9], g); // move on, then rewind
  g.setState(state);
  const replay = [randn([3], g).toArray(), randn([17], g).toArray(), rand([4], g).toArray(),
    randint(1000, [6], g).toArray()];
  assert.deepEqual(replay, first);

  const other = new Generator(999); // a state moves between generators too
  other.setState(state);
  assert.deepEqual(randn([3], other).toArray(), first[0]);
}));

test('setState refuses bytes that are not a generator state', () => {
  const g = new Generator(0);
  assert.throws(() => g.setState(new Uint8Array(10)), /state|size|expected/i);
});

test('randint stays in [0, high) and reaches every value; it is int64', () => tidy(() => {
  const values = randint(6, [6000], new Generator(3));
  assert.equal(values.dtype, 'int64');
  const counts = new Array(6).fill(0);
  for (const v of values.toArray()) {
    assert.ok(Number.isInteger(v) && v >= 0 && v < 6, `randint gave ${v}`);
    counts[v] += 1;
  }
  for (const c of counts) assert.ok(c > 850 && c < 1150, `counts ${counts}`);
}));

test('rand stays in [0, 1) with mean 1/2; randn has mean 0 and deviation 1', () => tidy(() => {
  const u = rand([20000], new Generator(4));
  assert.equal(u.dtype, 'float32');
  assert.ok(u.min().item() >= 0 && u.max().item() < 1);
  assert.ok(Math.abs(u.mean().item() - 0.5) < 0.01);
  const z = randn([20000], new Generator(5));
  assert.ok(Math.abs(z.mean().item()) < 0.03);
  assert.ok(Math.abs(z.square().mean().item() - 1) < 0.05);
}));
