/**
 * What every data source produces: the whole set decoded to uint8 pixels, ready for batching.
 *
 * Pixels are held as uint8 ([count, height, width, channels], row-major, channels last) and are
 * converted to float in [0, 1] one batch at a time by the trainer.
 */
export interface ImageDataset {
  /** Where it came from, for logs and config.json: a folder path or `bundled:mnist`. */
  source: string;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** count * height * width * channels bytes. */
  pixels: Uint8Array;
  labels?: DatasetLabels;
  /** Path of each image relative to the folder, aligned by index (image folders only). */
  files?: string[];
  /** What the folder held that is not in the set, and why, in path order (image folders only). */
  skipped?: SkippedFile[];
}

/** A file (or, with a trailing '/', a folder) left out of an image folder's set. */
export interface SkippedFile {
  relative: string;
  /** Why: "empty", "not an image", "unreadable: permission denied", ... */
  why: string;
}

/** Optional labels, aligned with the images by index; used by evaluation, never by training. */
export interface DatasetLabels {
  /** A class per image: MNIST digit, identity from the sub-folder name (LFW, Yale B), or from a
   * `file class` list; -1 for an image the list gives no class. */
  classes?: { names: string[]; index: Int32Array };
  /**
   * Binary attributes per image, [count, names.length], +1 / -1 (CelebA's 40); 0 for an image
   * whose file has no row in the attribute list.
   */
  attributes?: { names: string[]; values: Int8Array };
  /** Continuous values per image, [count, names.length] (Yale B light azimuth and elevation). */
  continuous?: { names: string[]; values: Float32Array };
}

/** What the user asked for; every field maps to a `train` flag. */
export interface DatasetOptions {
  /** `--dataset`: a folder of images, a folder of MNIST idx files, or undefined for the bundled digits. */
  dataset?: string;
  /** `--scale_dataset W H`. */
  scale?: { width: number; height: number };
  /** `--force_grayscale`. */
  forceGrayscale?: boolean;
  /** `--max_images N`: a seeded random subset. */
  maxImages?: number;
  /** Seed for the subset. */
  seed?: number;
  /** Squash to the new aspect instead of centre-cropping first (the old script's behaviour). */
  squash?: boolean;
  /** Folder for decoded-set caches; default `~/.cache/infogan`. */
  cacheDir?: string;
  /** `--labels FILE`: CelebA-style attribute file; by default one found beside the images. */
  labels?: string;
  /** Decoder threads; default all cores. */
  threads?: number;
  /** Read and write the decoded-set cache. Default: true. */
  cache?: boolean;
}
