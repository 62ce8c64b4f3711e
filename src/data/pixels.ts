/**
 * Collects decoded images, arriving in any order, into one [count, height, width, channels] uint8
 * array, and settles the channel count: 1 while every image is grey, 3 as soon as one has colour
 * (grey images then become three equal channels).
 *
 * Each slot has a frame of its own in `pixels`, with room for three channels (one when grey output
 * is forced), so a decoder can write an image straight into its frame (the native JPEG path does)
 * or hand it over to be copied (`put`). `finish` packs the frames of the images that loaded, in
 * slot order, at the settled channel count, in place.
 */
import type { DecodedImage } from './decode';

export class PixelStore {
  grayImages = 0;
  colourImages = 0;
  /** [capacity, frameBytes]: each slot's frame, as the decoders left it. */
  readonly pixels: Uint8Array;
  readonly frameBytes: number;
  private readonly plane: number;
  /** Channels written to each slot's frame; 0 while empty. */
  private readonly written: Uint8Array;

  /** With `grayscale`, every image must arrive as one channel. */
  constructor(
    private readonly capacity: number,
    readonly width: number,
    readonly height: number,
    private readonly grayscale: boolean,
  ) {
    this.plane = width * height;
    this.frameBytes = this.plane * (grayscale ? 1 : 3);
    this.pixels = new Uint8Array(capacity * this.frameBytes);
    this.written = new Uint8Array(capacity);
  }

  /** Where `slot`'s frame starts in `pixels`. */
  offset(slot: number): number {
    return slot * this.frameBytes;
  }

  /** True once `slot` holds an image. */
  has(slot: number): boolean {
    return this.written[slot] !== 0;
  }

  /** Records that a decoder wrote `slot`'s image into its frame itself. */
  wrote(slot: number, channels: 1 | 3, gray: boolean): void {
    if (this.grayscale && channels !== 1)
      throw new Error(`decoded to ${channels} channels, expected 1 (grey output)`);
    this.written[slot] = channels;
    if (gray) this.grayImages++;
    else this.colourImages++;
  }

  /** Copies `image` into `slot`'s frame; its size must be the store's. */
  put(slot: number, image: DecodedImage): void {
    if (image.width !== this.width || image.height !== this.height) {
      throw new Error(
        `decoded to ${image.width}x${image.height}, expected ${this.width}x${this.height}`,
      );
    }
    this.wrote(slot, image.channels, image.gray);
    this.pixels.set(image.pixels, this.offset(slot));
  }

  /** 1 when every image so far is grey (or grey output is forced), else 3. */
  get channels(): 1 | 3 {
    return this.grayscale || this.colourImages === 0 ? 1 : 3;
  }

  /** The filled slots' images, in slot order, packed together: [count, height, width, channels]. */
  finish(): { count: number; pixels: Uint8Array } {
    const channels = this.channels;
    const frame = this.plane * channels;
    let count = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      const written = this.written[slot];
      if (written === 0) continue;
      // Images before this one were packed into frames no larger than theirs: their bytes end
      // at or before this frame's start, and a frame is rewritten front to back (or spread back
      // to front, within itself), so nothing is overwritten before it is read.
      const from = this.offset(slot);
      const to = count * frame;
      if (channels === 3 && written === 1) spreadGray(this.pixels, from, this.plane);
      if (channels === 3 || written === 1) {
        if (to !== from) this.pixels.copyWithin(to, from, from + frame);
      } else {
        for (let p = 0; p < this.plane; p++) this.pixels[to + p] = this.pixels[from + 3 * p];
      }
      count++;
    }
    // Few holes (skipped files, grey frames with room for colour) are left as unused tail; many
    // are worth a right-sized copy.
    const packed = this.pixels.subarray(0, count * frame);
    return { count, pixels: packed.length < this.pixels.length * 0.9 ? packed.slice() : packed };
  }
}

/** Spreads `plane` grey bytes at `start` to three equal channels, in place (back to front). */
function spreadGray(pixels: Uint8Array, start: number, plane: number): void {
  for (let p = plane - 1; p >= 0; p--) {
    const v = pixels[start + p];
    const o = start + 3 * p;
    pixels[o] = v;
    pixels[o + 1] = v;
    pixels[o + 2] = v;
  }
}
