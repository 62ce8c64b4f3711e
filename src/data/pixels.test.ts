/**
 * PixelStore: images written into their frames in any order, packed at the settled channel count.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PixelStore } from './pixels';

/** A 2x2 image's pixels, [2, 2, channels], counting up from `first`. */
function frame(channels: 1 | 3, first: number, equalChannels = false): Uint8Array {
  return Uint8Array.from({ length: 4 * channels }, (_, i) =>
    equalChannels ? first + Math.floor(i / 3) : first + i,
  );
}

/** Writes `pixels` into `slot`'s frame as a decoder writing in place does. */
function write(store: PixelStore, slot: number, pixels: Uint8Array, gray: boolean) {
  store.pixels.set(pixels, store.offset(slot));
  store.wrote(slot, pixels.length === 4 ? 1 : 3, gray);
}

/** Grey pixels as three equal channels. */
const spread = (grey: Uint8Array) =>
  Uint8Array.from({ length: grey.length * 3 }, (_, i) => grey[Math.floor(i / 3)]);

describe('PixelStore', () => {
  it('packs colour and grey images as three channels, skipping empty slots', () => {
    const store = new PixelStore(5, 2, 2, false);
    const colour = frame(3, 100);
    const grey = frame(1, 10);
    const greyAsRgb = frame(3, 50, true);
    write(store, 3, greyAsRgb, true);
    write(store, 1, colour, false);
    store.put(0, { width: 2, height: 2, channels: 1, pixels: grey, gray: true });
    assert.equal(store.channels, 3);
    const { count, pixels } = store.finish();
    assert.equal(count, 3);
    assert.deepEqual(pixels, Uint8Array.from([...spread(grey), ...colour, ...greyAsRgb]));
    assert.deepEqual([store.has(0), store.has(2)], [true, false]);
    assert.deepEqual([store.grayImages, store.colourImages], [2, 1]);
  });

  it('packs an all-grey set as one channel, from one- and three-channel frames', () => {
    const store = new PixelStore(4, 2, 2, false);
    write(store, 0, frame(3, 20, true), true);
    write(store, 2, frame(1, 40), true);
    write(store, 3, frame(3, 60, true), true);
    assert.equal(store.channels, 1);
    const { count, pixels } = store.finish();
    assert.equal(count, 3);
    assert.deepEqual(pixels, Uint8Array.from([20, 21, 22, 23, 40, 41, 42, 43, 60, 61, 62, 63]));
  });

  it('holds one channel per image when grey output is forced, and refuses colour then', () => {
    const store = new PixelStore(2, 2, 2, true);
    assert.equal(store.frameBytes, 4);
    write(store, 1, frame(1, 7), true);
    assert.throws(() => store.wrote(0, 3, false), /expected 1/);
    assert.deepEqual(store.finish(), { count: 1, pixels: frame(1, 7) });
  });

  it('refuses an image of another size, and finishes empty', () => {
    const store = new PixelStore(2, 2, 2, false);
    const wide = { width: 3, height: 2, channels: 1 as const, pixels: frame(1, 0), gray: true };
    assert.throws(() => store.put(0, wide), /decoded to 3x2, expected 2x2/);
    assert.equal(store.has(0), false);
    assert.equal(store.finish().count, 0);
  });
});
