/**
 * Semi-supervised InfoGAN (`--labeled N`): the class labels of N real images tie the first
 * categorical code to the classes. Each step Q also classifies a batch of those N images, and
 * its cross-entropy against their labels joins the discriminator's objective (the body D and Q
 * share learns the classes) and the generator/Q objective (Q's head does), so category k of the
 * code comes to mean class k while the information term carries the meaning over to G.
 */
import { batchToFloat } from '../data/batch';
import { SeededRandom, shuffledOrder } from '../data/random';
import type { ImageDataset } from '../data/types';
import { Tensor, tensor } from '../torch';
import { UserError } from '../util/log';

/** Keeps the labelled subset's draws apart from the epoch shuffles of the same seed. */
const LABELED_STREAM = 0x7fffffff;

/**
 * Which `n` images keep their labels: as evenly over the classes as their sizes allow (classes in
 * turn, in a seeded random order within each), so 100 digits are 10 of each. Images of class -1
 * (none given) are never chosen. Ascending image indices.
 */
export function chooseLabeled(classIndex: Int32Array, classCount: number, n: number,
  seed: number): Int32Array {
  const members: number[][] = Array.from({ length: classCount }, () => []);
  classIndex.forEach((c, image) => {
    if (c >= 0) members[c].push(image);
  });
  const random = new SeededRandom(seed, LABELED_STREAM);
  for (const list of members) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = random.below(i + 1);
      [list[i], list[j]] = [list[j], list[i]];
    }
  }
  const chosen: number[] = [];
  for (let round = 0; chosen.length < n; round++) {
    const before = chosen.length;
    for (const list of members) {
      if (round < list.length && chosen.length < n) chosen.push(list[round]);
    }
    if (chosen.length === before) break;
  }
  return Int32Array.from(chosen).sort();
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The first few of `names`, and how many more. */
function listSome(names: string[], shown = 5): string {
  const more = names.length - shown;
  return names.slice(0, shown).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** A batch of labelled real images and their classes (int64), both to be freed by the caller. */
export interface LabeledBatch {
  images: Tensor;
  classes: Tensor;
}

/**
 * Serves batches of the labelled images, cycling through them in a seeded shuffle per pass. The
 * batch of a step depends only on the step's number, so a resumed run draws the same ones.
 */
export class LabeledBatches {
  readonly size: number;
  private passOrder: Int32Array | null = null;
  private pass = -1;
  private readonly floats: Float32Array;
  private readonly picked: Int32Array;
  private readonly classes: Int32Array;

  constructor(private readonly dataset: ImageDataset, private readonly images: Int32Array,
    private readonly classIndex: Int32Array, batchSize: number, private readonly seed: number) {
    this.size = Math.min(batchSize, images.length);
    this.floats = new Float32Array(this.size * dataset.channels * dataset.height * dataset.width);
    this.picked = new Int32Array(this.size);
    this.classes = new Int32Array(this.size);
  }

  /** The batch for step `iteration` (counted from 0). */
  batch(iteration: number): LabeledBatch {
    const n = this.images.length;
    for (let k = 0; k < this.size; k++) {
      const position = iteration * this.size + k;
      const pass = Math.floor(position / n);
      if (pass !== this.pass) {
        this.passOrder = shuffledOrder(n, this.seed, pass);
        this.pass = pass;
      }
      const image = this.images[this.passOrder![position % n]];
      this.picked[k] = image;
      this.classes[k] = this.classIndex[image];
    }
    batchToFloat(this.dataset, this.picked, this.floats);
    const { channels, height, width } = this.dataset;
    return {
      images: tensor(this.floats, [this.size, channels, height, width]),
      classes: tensor(this.classes, [this.size], 'int64'),
    };
  }
}

/**
 * The labelled batches for `--labeled N`, after checking that the data has classes and the first
 * categorical code has a value for each; `description` is one line for the log, and `warning` one
 * more when some classes got no labelled image (their code values are then left to chance).
 */
export function labeledBatches(dataset: ImageDataset, options: { labeled: number;
  cardinality: number[]; lambda: number; batchSize: number; seed: number }): {
  batches: LabeledBatches; description: string; warning?: string } {
  const { labeled, cardinality } = options;
  const classes = dataset.labels?.classes;
  if (!classes) {
    throw new UserError(`--labeled ${labeled} needs class labels, and ${dataset.source} has ` +
      'none: use MNIST, a folder with one sub-folder per class, or --labels FILE with a class ' +
      'per image', 2);
  }
  if (cardinality.length === 0) {
    throw new UserError(`--labeled ${labeled} ties the first categorical code to the classes; ` +
      'give one with --categorical_cardinality', 2);
  }
  const classCount = classes.names.length;
  if (classCount < 2) {
    throw new UserError(`--labeled ${labeled} needs 2 or more classes, and ${dataset.source} ` +
      `has ${classCount}`, 2);
  }
  if (classCount > cardinality[0]) {
    throw new UserError(`--labeled: the data has ${classCount} classes but the first ` +
      `categorical code has ${cardinality[0]} values; use --categorical_cardinality ` +
      `${[classCount, ...cardinality.slice(1)].join(' ')}`, 2);
  }
  const labelledCount = classes.index.reduce((n, c) => n + (c >= 0 ? 1 : 0), 0);
  if (labeled > labelledCount) {
    throw new UserError(`--labeled ${labeled} is more than the ${labelledCount} images with a ` +
      `class in ${dataset.source}`, 2);
  }
  const images = chooseLabeled(classes.index, classCount, labeled, options.seed);
  const perClass = new Array<number>(classCount).fill(0);
  for (const image of images) perClass[classes.index[image]]++;
  const fewest = Math.min(...perClass);
  const most = Math.max(...perClass);
  const spread = fewest === most ? `${most} per class` : `${fewest}-${most} per class` +
    (fewest === 0 ? `, ${plural(perClass.filter((n) => n === 0).length, 'class', 'classes')} ` +
      'with none' : '');
  const batches = new LabeledBatches(dataset, images, classes.index, options.batchSize,
    options.seed + 1);
  const unlabelled = classes.names.filter((_, c) => perClass[c] === 0);
  return {
    batches,
    description: `semi-supervised: labels of ${plural(images.length, 'image', 'images')} ` +
      `(${spread}) tie ` +
      `categorical code 0 to the ${classCount} classes, ${batches.size} of them per step, ` +
      `weight ${options.lambda}`,
    ...(unlabelled.length > 0 && {
      warning: `--labeled ${labeled}: ${plural(unlabelled.length, 'class has', 'classes have')} ` +
        `no labelled image (${listSome(unlabelled)}), so no code value is tied to ` +
        `${unlabelled.length === 1 ? 'it' : 'them'}; --labeled ${classCount} or more labels ` +
        'every class that has images',
    }),
  };
}
