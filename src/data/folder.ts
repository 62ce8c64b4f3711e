/**
 * Loads a user's image folder: walk, recognise images by content, take a seeded subset, decode in
 * parallel to one size and channel count, attach labels, and cache the result on disk.
 *
 * JPEGs are decoded in native batches (jpeg.ts) when the binding is built; every other format,
 * and a JPEG in a colour space the native path leaves out (CMYK), one by one through decode.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { type Logger, UserError } from '../util/log';
import {
  type CachedSet,
  type CacheHeader,
  discardCache,
  type FileStamp,
  hashOf,
  readCache,
  type SetLabels,
  writeCache,
} from './cache';
import {
  decodeImage,
  decoderVersion,
  type Preprocessing,
  probeSize,
  withDecoderSettings,
} from './decode';
import { decodeJpegFiles, jpegBinding, type JpegResult, probeJpegFiles } from './jpeg';
import {
  type AttributeTable, type ClassTable, findAttributeFile, folderLabels, readLabelFile,
} from './labels';
import { PixelStore } from './pixels';
import { defaultThreads, forEachParallel } from './pool';
import { seededSubset } from './random';
import { fileHead, type ImageKind, sniffFiles, unsupportedImageFormat } from './sniff';
import type { DatasetOptions, ImageDataset, SkippedFile } from './types';
import {
  type FolderFile, type FolderListing, filesOf, type LeftOut, listFolder, RUN_FOLDER,
} from './walk';

/** Why loading stopped short: the caller's shouldStop said so (a Ctrl-C) while it decoded. */
export class LoadStopped extends Error {
  constructor() {
    super('stopped while decoding the images');
    this.name = 'LoadStopped';
  }
}

/** Bumped whenever the cache's content would differ for the same files and settings. */
const CACHE_FORMAT = 1;

/** A file that looks like an image. */
interface Candidate {
  file: FolderFile;
  kind: ImageKind;
}

/** A file left out, and why. */
interface Skipped {
  relative: string;
  reason: 'empty' | 'marked .bad' | 'not an image' | 'unreadable' | 'unsupported format';
  detail?: string;
}

/** Files that are not images whose heads are read again to name an unsupported format. */
const NAMED_SKIPS = 1000;

/** Headers read per native probe call, between progress updates. */
const PROBE_BATCH = 1024;

/** The default cache folder: `~/.cache/infogan`. */
export function defaultCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'infogan');
}

/** Loads the image folder `options.dataset` (see DatasetOptions for every setting). */
export async function loadImageFolder(options: DatasetOptions, log: Logger,
  shouldStop?: () => boolean): Promise<ImageDataset> {
  const started = performance.now();
  const root = resolveFolder(options.dataset ?? '.');
  const attributeFile = options.labels
    ? resolveLabelsFile(options.labels)
    : findAttributeFile(root);
  const cacheDir = path.resolve(options.cacheDir ?? defaultCacheDir());
  const threads = threadCount(options);
  const settings = preprocessing(options);
  // The folder is listed on worker threads, started as early as can be, while this one checks
  // the cache (nothing before the listing is awaited may throw).
  const excluded = [cacheDir, ...(attributeFile ? [attributeFile] : [])];
  const listed = listFolder(root, excluded, threads);
  const useCache = options.cache !== false;
  // One cache per folder and settings: a changed folder replaces its own stale cache.
  const name = hashOf(root, JSON.stringify(settings), subsetSetting(options)).slice(0, 24);
  const cacheFile = path.join(cacheDir, `folder-${name}.bin`);
  let labels: SetLabels | undefined;
  let cached = useCache ? readCache(cacheFile, log, threads) : undefined;
  let set: CachedSet;
  try {
    const listing = await listed;
    const key = cacheKey(listing, options, settings);
    if (cached && cached.key !== key) {
      cached.release();
      cached = undefined;
      discardCache(cacheFile, 'stale (the folder or the settings changed)', log);
    }
    if (cached) {
      for (const note of cached.notes) log.info(note);
      log.info(
        `loaded ${cached.count} images ${describeShape(cached)} from cache ${cacheFile} ` +
          `in ${seconds(started)}`,
      );
      labels = labelsFor(cached, attributeFile, log);
      set = { ...cached, pixels: cached.takePixels() };
    } else {
      // Read before the decoding, which may take minutes: a malformed list fails at once.
      const table = attributeFile === undefined ? undefined : readLabelFile(attributeFile);
      set = { key,
        ...(await decodeFolder(root, listing, options, settings, threads, log, shouldStop)) };
      try {
        labels = labelsFor(set, attributeFile, log, table);
      } finally {
        // Written even when the labels are refused: the pixels do not depend on them.
        if (useCache) writeCache(cacheFile, { ...set, labels }, log);
      }
    }
  } catch (error) {
    cached?.release();
    throw error;
  }
  const { pixels, count, height, width, channels } = set;
  return {
    source: root,
    count,
    height,
    width,
    channels,
    pixels,
    files: set.files,
    ...(set.skipped.length > 0 && { skipped: set.skipped }),
    ...(labels?.labels && { labels: labels.labels }),
  };
}

/**
 * The set's labels: those kept in its cache while the label file is unchanged (or still absent),
 * else found again from the file names and the label file.
 */
function labelsFor(set: CacheHeader, labelFile: string | undefined, log: Logger,
  read?: AttributeTable | ClassTable): SetLabels {
  const source = labelFile === undefined ? null : fileStamp(labelFile);
  const kept = set.labels;
  if (kept && sameStamp(kept.source, source)) {
    for (const line of kept.lines) log.info(line);
    return kept;
  }
  const lines: string[] = [];
  const recording: Logger = {
    info: (line) => {
      lines.push(line);
      log.info(line);
    },
    warn: (line) => log.warn(line),
    progress: (label, total) => log.progress(label, total),
  };
  const labels = folderLabels(set.files, labelFile, recording, read);
  return { source, lines, ...(labels && { labels }) };
}

function fileStamp(file: string): FileStamp {
  const { size, mtimeMs, ctimeMs } = fs.statSync(file);
  return { file, size, mtimeMs, ctimeMs };
}

function sameStamp(a: FileStamp | null, b: FileStamp | null): boolean {
  if (a === null || b === null) return a === b;
  return a.file === b.file && a.size === b.size && a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs;
}

function resolveFolder(dataset: string): string {
  const root = path.resolve(dataset);
  if (!fs.existsSync(root)) throw new UserError(`dataset folder not found: ${root}`, 2);
  if (!fs.statSync(root).isDirectory())
    throw new UserError(`--dataset must be a folder: ${root}`, 2);
  return root;
}

function resolveLabelsFile(labels: string): string {
  const file = path.resolve(labels);
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new UserError(`labels file not found: ${file}`, 2);
  if (!stat.isFile()) {
    throw new UserError(`--labels ${labels}: expected a file of labels, got ` +
      (stat.isDirectory() ? 'a folder' : 'a pipe or device'), 2);
  }
  return file;
}

function preprocessing(options: DatasetOptions): Preprocessing {
  const scale = options.scale;
  if (scale && !(isPositiveInteger(scale.width) && isPositiveInteger(scale.height))) {
    throw new UserError(
      `--scale_dataset expects two positive integers, got ${scale.width} ${scale.height}`,
      2,
    );
  }
  return { scale, squash: options.squash === true, grayscale: options.forceGrayscale === true };
}

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value > 0;
}

/**
 * Hash of what the decoded set depends on: every file's path, size, mtime and ctime, what was
 * left out, and the settings.
 */
function cacheKey(
  { names, sizes, mtimesMs, ctimesMs, leftOut }: FolderListing,
  options: DatasetOptions,
  settings: Preprocessing,
): string {
  return hashOf(
    `format ${CACHE_FORMAT}`,
    decoderVersion(),
    JSON.stringify(settings),
    subsetSetting(options),
    names,
    new Uint8Array(sizes.buffer, sizes.byteOffset, sizes.byteLength),
    new Uint8Array(mtimesMs.buffer, mtimesMs.byteOffset, mtimesMs.byteLength),
    new Uint8Array(ctimesMs.buffer, ctimesMs.byteOffset, ctimesMs.byteLength),
    // What could not be read: it is named in the cached notes, and readable later it adds files.
    JSON.stringify(leftOut.filter(isData)),
  );
}

function subsetSetting(options: DatasetOptions): string {
  return options.maxImages === undefined ? '' : `${options.maxImages}/${options.seed ?? 0}`;
}

function describeShape(set: { height: number; width: number; channels: number }): string {
  return `${set.width}x${set.height}x${set.channels}`;
}

function seconds(started: number): string {
  return `${((performance.now() - started) / 1000).toFixed(2)}s`;
}

/** Everything from the file list to packed pixels; logs what was skipped and what was chosen. */
async function decodeFolder(
  root: string,
  listing: FolderListing,
  options: DatasetOptions,
  settings: Preprocessing,
  threads: number,
  log: Logger,
  shouldStop?: () => boolean,
) {
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    log.info(line);
  };
  const skipped: Skipped[] = [];
  const files = filesOf(listing);
  const leftOut = listing.leftOut.filter(isData);
  const folders = leftOut.filter((left) => left.relative.endsWith('/'));
  if (folders.length > 0) note(leftOutSummary(folders));
  for (const left of leftOut) {
    if (!left.relative.endsWith('/'))
      skipped.push({ relative: left.relative, reason: 'unreadable', detail: left.reason });
  }
  const total = files.length + leftOut.length - folders.length;
  let candidates = await classify(files, threads, skipped);
  candidates = applySubset(candidates, options, note);
  const started = performance.now();
  const decoded = await withDecoderSettings(async () => {
    let size = settings.scale;
    try {
      size ??= await commonSize(root, candidates, skipped, threads, log);
    } catch (error) {
      // Sizes that differ stop the load: say first what was already found not to be an image.
      if (skipped.length > 0) note(skippedSummary(skipped, total));
      throw error;
    }
    return decodeAll(candidates, size, settings, threads, skipped, log, shouldStop);
  });
  if (skipped.length > 0) note(skippedSummary(skipped, total));
  if (decoded.files.length === 0) {
    const why = total > 0 ? skippedSummary(skipped, total)
      : folders.length > 0 ? leftOutSummary(folders) : 'it holds no files';
    throw new UserError(`no readable images in ${root}: ${why}`);
  }
  note(channelChoice(decoded.store, settings));
  const rate = decoded.files.length / ((performance.now() - started) / 1000);
  log.info(
    `decoded ${decoded.files.length} images ${describeShape(decoded)} from ${root} in ` +
      `${seconds(started)} (${rate.toFixed(0)}/s, ${threads} ` +
      `${threads === 1 ? 'thread' : 'threads'})`,
  );
  const { files: loaded, count, pixels, width, height, channels } = decoded;
  const all: SkippedFile[] = [
    ...folders.map((f) => ({ relative: f.relative, why: f.reason })),
    ...skipped.map((s) => ({ relative: s.relative, why: s.detail ? `${s.reason}: ${s.detail}`
      : s.reason })),
  ].sort(byPath);
  return { files: loaded, count, pixels, width, height, channels, notes, skipped: all };
}

function threadCount(options: DatasetOptions): number {
  const threads = options.threads ?? defaultThreads();
  if (!isPositiveInteger(threads))
    throw new UserError(`threads must be a positive integer, got ${threads}`, 2);
  return threads;
}

/** Sorts files into image candidates and skipped ones, by their first bytes (and `.bad` names). */
async function classify(
  files: FolderFile[],
  threads: number,
  skipped: Skipped[],
): Promise<Candidate[]> {
  const toSniff: FolderFile[] = [];
  for (const file of files) {
    if (file.size === 0) {
      skipped.push({ relative: file.relative, reason: 'empty' });
    } else if (file.relative.endsWith('.bad')) {
      // A `.bad` suffix is how a data set's owner marks a known-corrupt file (Yale B does).
      skipped.push({ relative: file.relative, reason: 'marked .bad' });
    } else {
      toSniff.push(file);
    }
  }
  const { kinds, errors } = await sniffFiles(toSniff.map((file) => file.absolute), threads);
  const candidates: Candidate[] = [];
  let named = 0;
  toSniff.forEach((file, i) => {
    const kind = kinds[i];
    if (kind) {
      candidates.push({ file, kind });
      return;
    }
    if (errors[i]) {
      skipped.push({ relative: file.relative, reason: 'unreadable', detail: errors[i] });
      return;
    }
    // Pictures in a format not read here are told apart from other files (for the first many).
    const format = named++ < NAMED_SKIPS ? unsupportedImageFormat(fileHead(file.absolute))
      : undefined;
    skipped.push(format ? { relative: file.relative, reason: 'unsupported format', detail: format }
      : { relative: file.relative, reason: 'not an image' });
  });
  return candidates;
}

function applySubset(
  candidates: Candidate[],
  options: DatasetOptions,
  note: (line: string) => void,
) {
  const { maxImages } = options;
  if (maxImages === undefined || maxImages >= candidates.length) return candidates;
  if (!isPositiveInteger(maxImages))
    throw new UserError(`--max_images must be a positive integer, got ${maxImages}`, 2);
  const seed = options.seed ?? 0;
  note(`using a random subset of ${maxImages} of ${candidates.length} images (seed ${seed})`);
  return Array.from(seededSubset(candidates.length, maxImages, seed), (i) => candidates[i]);
}

/**
 * With no --scale_dataset, every image must have one size; finds it from the headers, or fails
 * with the sizes seen. Files whose header cannot be read are skipped.
 */
async function commonSize(
  root: string,
  candidates: Candidate[],
  skipped: Skipped[],
  threads: number,
  log: Logger,
): Promise<{ width: number; height: number }> {
  const sizes = new Map<string, { count: number; example: string }>();
  const count = (size: { width: number; height: number }, relative: string) => {
    const seen = sizes.get(`${size.width}x${size.height}`) ?? { count: 0, example: relative };
    seen.count++;
    sizes.set(`${size.width}x${size.height}`, seen);
  };
  const progress = log.progress('reading image sizes', candidates.length);
  // An unreadable header is left to the decoding pass, which skips and reports it.
  const { jpegs, others } = byDecoder(candidates);
  for (let start = 0; start < jpegs.length; start += PROBE_BATCH) {
    const batch = jpegs.slice(start, start + PROBE_BATCH);
    const found = await probeJpegFiles(batch.map((c) => c.file.absolute), threads);
    found.forEach((size, j) => 'width' in size && count(size, batch[j].file.relative));
    progress.update(start + batch.length);
  }
  await forEachParallel(
    others.length,
    threads,
    async (i) => {
      const { file, kind } = others[i];
      try {
        count(await probeSize(fs.readFileSync(file.absolute), kind), file.relative);
      } catch {
        // Left to the decoding pass, as above.
      }
    },
    (done) => progress.update(jpegs.length + done),
  );
  progress.finish();
  if (sizes.size <= 1) {
    const [only] = [...sizes.keys(), '1x1'];
    const [width, height] = only.split('x').map(Number);
    return { width, height };
  }
  const byCount = [...sizes.entries()].sort((a, b) => b[1].count - a[1].count);
  const listed = byCount
    .slice(0, 4)
    .map(([size, seen]) => `${seen.count} ${seen.count === 1 ? 'is' : 'are'} ${size} ` +
      `(e.g. ${seen.example})`);
  const [width, height] = byCount[0][0].split('x');
  throw new UserError(
    `images in ${root} differ in size: ${listed.join(', ')}${byCount.length > 4 ? ', ...' : ''}; ` +
      `pass --scale_dataset W H to resize them all, e.g. --scale_dataset ${width} ${height}`,
    2,
  );
}

/** Candidates by decoder: JPEGs for the native batch path (when built), the rest one by one. */
function byDecoder<T extends Candidate>(candidates: T[]): { jpegs: T[]; others: T[] } {
  if (!jpegBinding()) return { jpegs: [], others: candidates };
  return {
    jpegs: candidates.filter((c) => c.kind === 'jpeg'),
    others: candidates.filter((c) => c.kind !== 'jpeg'),
  };
}

/** Decodes every candidate into one PixelStore; failures go to `skipped`. */
async function decodeAll(
  candidates: Candidate[],
  size: { width: number; height: number },
  settings: Preprocessing,
  threads: number,
  skipped: Skipped[],
  log: Logger,
  shouldStop?: () => boolean,
) {
  const store = new PixelStore(candidates.length, size.width, size.height, settings.grayscale);
  const progress = log.progress('decoding images', candidates.length);
  const skip = (slot: number, error: unknown) => {
    const detail = firstLine(error);
    skipped.push({ relative: candidates[slot].file.relative, reason: 'unreadable', detail });
  };
  const { jpegs, others } = byDecoder(candidates.map((c, slot) => ({ ...c, slot })));
  // Asked only while images are left, so `stopped` means some were never decoded.
  let stopped = false;
  const stop = () => (stopped ||= shouldStop?.() === true);
  let done = 0;
  const onJpeg = (j: number, result: JpegResult) => {
    const { slot } = jpegs[j];
    if ('unsupported' in result) return void others.push(jpegs[j]); // CMYK: sharp, below
    if ('error' in result) skip(slot, result.error);
    else store.wrote(slot, result.channels, result.gray);
    progress.update(++done);
  };
  if (jpegs.length > 0) {
    // Straight into the store: each JPEG's pixels are written once, by a worker thread.
    const paths = jpegs.map((c) => c.file.absolute);
    const offsets = Float64Array.from(jpegs, (c) => store.offset(c.slot));
    const output = { pixels: store.pixels, offsets };
    await decodeJpegFiles(paths, size, settings, threads, output, onJpeg, stop);
  }
  await forEachParallel(
    others.length,
    threads,
    async (i) => {
      if (stop()) return;
      const { file, kind, slot } = others[i];
      try {
        store.put(slot, await decodeImage(fs.readFileSync(file.absolute), kind, settings));
      } catch (error) {
        skip(slot, error);
      }
    },
    (finished) => progress.update(done + finished),
  );
  progress.finish();
  if (stopped) throw new LoadStopped();
  const files = candidates.filter((_, slot) => store.has(slot)).map((c) => c.file.relative);
  const { count, pixels } = store.finish();
  return {
    store,
    files,
    count,
    pixels,
    width: size.width,
    height: size.height,
    channels: store.channels,
  };
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}

/**
 * Whether what the listing left out was the user's: run folders written inside the data are
 * this tool's own output, left out without a word, and a new one does not make the cache stale.
 */
function isData(left: LeftOut): boolean {
  return left.reason !== RUN_FOLDER;
}

/** One line naming the sub-folders left out of the listing, and why. */
function leftOutSummary(folders: LeftOut[]): string {
  const shown = folders.slice(0, 3).map((f) => `${f.relative} (${f.reason})`);
  const more = folders.length > shown.length ? `, +${folders.length - shown.length} more` : '';
  const noun = folders.length === 1 ? 'folder' : 'folders';
  return `left out ${folders.length} ${noun}: ${shown.join(', ')}${more}`;
}

/** One line naming what was skipped: counts per reason, then the first few files. */
export function skippedSummary(skipped: Skipped[], total: number): string {
  // Decoding failures first: they are the surprising ones.
  const reasons =
    ['unreadable', 'unsupported format', 'empty', 'marked .bad', 'not an image'] as const;
  const groups = reasons
    .map((reason) => skipped.filter((s) => s.reason === reason).sort(byPath))
    .filter((group) => group.length > 0)
    .map((group) => {
      const shown = group
        .slice(0, 3)
        .map((s) => (s.detail ? `${s.relative}: ${s.detail}` : s.relative));
      const more = group.length > shown.length ? `, +${group.length - shown.length} more` : '';
      return `${group.length} ${group[0].reason} (${shown.join(', ')}${more})`;
    });
  return `skipped ${skipped.length} of ${total} files: ${groups.join('; ')}`;
}

function byPath(a: { relative: string }, b: { relative: string }): number {
  return a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0;
}

function channelChoice(store: PixelStore, settings: Preprocessing): string {
  const total = store.grayImages + store.colourImages;
  // Grey decoding (JPEG straight to luminance) never sees the colour, so none is counted.
  if (settings.grayscale) return 'channels: 1 (--force_grayscale)';
  if (store.channels === 3)
    return `channels: 3 (${store.colourImages} of ${total} images have colour)`;
  return `channels: 1 (all ${total} images are grey)`;
}
