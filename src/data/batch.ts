import type { ImageDataset } from './types';

/**
 * Converts the selected images to float32 in [0, 1], laid out [batch, channels, height, width]
 * (NCHW, what the engine takes). The dataset holds [count, height, width, channels] uint8.
 *
 * `out`, when given, must hold at least batch * channels * height * width floats; it is filled and
 * returned (a subarray of exactly that length when longer), so a trainer can reuse one buffer.
 */
export function batchToFloat(
  dataset: ImageDataset,
  indices: Int32Array | number[],
  out?: Float32Array,
): Float32Array {
  const { height, width, channels, count, pixels } = dataset;
  const plane = height * width;
  const frame = plane * channels;
  const needed = indices.length * frame;
  if (out && out.length < needed) {
    throw new RangeError(`Expected out to hold at least ${needed} floats but got ${out.length}`);
  }
  const result = out ? out.subarray(0, needed) : new Float32Array(needed);
  for (let b = 0; b < indices.length; b++) {
    const image = indices[b];
    if (!Number.isInteger(image) || image < 0 || image >= count) {
      throw new RangeError(`Expected image indices in [0, ${count}) but got ${image}`);
    }
    const source = image * frame;
    const target = b * frame;
    // Each channel becomes one contiguous plane: pixel p of channel c goes to c * plane + p.
    for (let c = 0; c < channels; c++) {
      const planeStart = target + c * plane;
      for (let p = 0, s = source + c; p < plane; p++, s += channels) {
        result[planeStart + p] = pixels[s] / 255;
      }
    }
  }
  return result;
}
