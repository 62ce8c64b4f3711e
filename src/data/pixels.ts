/**
 * Collects decoded images, arriving in any order, into one [count, height, width, channels] uint8
 * array, and settles the channel count: 1 while every image is grey, 3 from the first image with
 * colour on (earlier grey images are then spread to three equal channels, once).
 */
import type { DecodedImage } from './decode';

export class PixelStore {
  channels: 1 | 3;
  grayImages = 0;
  colourImages = 0;
  private pixels: Uint8Array;
  private readonly filled: Uint8Array;
  private readonly plane: number;

  /** `fixedChannels` 1 when grey output is forced; otherwise the store starts grey, may grow. */
  constructor(
    private readonly capacity: number,
    readonly width: number,
    readonly height: number,
    private readonly fixedChannels?: 1,
  ) {
    this.plane = width * height;
    this.channels = 1;
    this.pixels = new Uint8Array(capacity * this.plane);
    this.filled = new Uint8Array(capacity);
  }

  /** Stores `image` in `slot`; its size must be the store's. */
  put(slot: number, image: DecodedImage): void {
    if (image.width !== this.width || image.height !== this.height) {
      throw new Error(
        `decoded to ${image.width}x${image.height}, expected ${this.width}x${this.height}`,
      );
    }
    if (image.gray) this.grayImages++;
    else this.colourImages++;
    if (!image.gray && this.channels === 1 && this.fixedChannels === undefined) this.growToColour();
    const start = slot * this.plane * this.channels;
    if (image.channels === this.channels) {
      this.pixels.set(image.pixels, start);
    } else if (image.channels === 3) {
      // A grey image in RGB form going into a grey store: keep one of its equal channels.
      for (let p = 0; p < this.plane; p++) this.pixels[start + p] = image.pixels[3 * p];
    } else {
      spreadGray(image.pixels, this.pixels, start);
    }
    this.filled[slot] = 1;
  }

  /** Converts every stored grey image to three equal channels. */
  private growToColour(): void {
    const colour = new Uint8Array(this.capacity * this.plane * 3);
    for (let slot = 0; slot < this.capacity; slot++) {
      if (!this.filled[slot]) continue;
      const grey = this.pixels.subarray(slot * this.plane, (slot + 1) * this.plane);
      spreadGray(grey, colour, slot * this.plane * 3);
    }
    this.pixels = colour;
    this.channels = 3;
  }

  /** The filled slots, in slot order, packed together: [filled, height, width, channels]. */
  finish(): { count: number; pixels: Uint8Array } {
    const frame = this.plane * this.channels;
    let count = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      if (!this.filled[slot]) continue;
      if (slot !== count) this.pixels.copyWithin(count * frame, slot * frame, (slot + 1) * frame);
      count++;
    }
    // Few holes (skipped files) are left as unused tail; many are worth a right-sized copy.
    const packed = this.pixels.subarray(0, count * frame);
    return { count, pixels: count < this.capacity * 0.9 ? packed.slice() : packed };
  }
}

function spreadGray(grey: Uint8Array, rgb: Uint8Array, start: number): void {
  for (let p = 0, o = start; p < grey.length; p++, o += 3) {
    const v = grey[p];
    rgb[o] = v;
    rgb[o + 1] = v;
    rgb[o + 2] = v;
  }
}
