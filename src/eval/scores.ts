/**
 * Every code scored against every label a data set has: what `infogan evaluate` reports.
 *
 * - categorical code vs classes: confusion matrix, matched accuracy, purity, NMI;
 * - any code vs binary attributes: ROC AUC of the code's value (continuous: Q's mean;
 *   categorical: each value's softmax probability, the best value per attribute);
 * - any code vs continuous labels: Pearson correlation of the same values.
 */
import type { DatasetLabels } from '../data/types';
import {
  aucFromRanks, confusionMatrix, matchedAccuracy, midranks, normalizedMutualInformation,
  pearsonCorrelation, purity,
} from './metrics';
import type { CodeOutputs } from './predict';

export interface ClassScores {
  /** Class names (MNIST digits, identities), the rows of `confusion`. */
  names: string[];
  /** Images whose value is matched to their class (best one-to-one matching), over all images. */
  accuracy: number;
  /** Each value labelled with its most common class instead (values may share a class). */
  purity: number;
  /** Normalised mutual information, arithmetic mean: I / ((H(class) + H(value)) / 2). */
  nmi: number;
  /** confusion[class][value]: images of each class that Q put in each value. */
  confusion: number[][];
  /** The class each value is matched to, or null (more values than classes). */
  matchedClass: (string | null)[];
}

export interface AttributeScore {
  attribute: string;
  /** max(AUC, 1 - AUC) over the images that have attribute rows. */
  auc: number;
  /** +1: the attribute goes with high code values (or with this value); -1: with low ones. */
  sign: 1 | -1;
  /** Categorical codes: the value whose probability separates the attribute best. */
  value?: number;
}

export interface CorrelationScore {
  label: string;
  /** Pearson correlation with the code's value (categorical: with this value's probability). */
  correlation: number;
  /** Categorical codes: the value whose probability correlates most strongly. */
  value?: number;
}

export interface CodeEvaluation {
  /** `categorical_0`, `continuous_1`: the same names as the traversal grids. */
  name: string;
  kind: 'categorical' | 'continuous';
  index: number;
  /** Values of a categorical code. */
  cardinality?: number;
  classes?: ClassScores;
  /** Every attribute with both present and absent images, the best separated first. */
  attributes?: AttributeScore[];
  /** Every continuous label, the strongest |correlation| first. */
  continuousLabels?: CorrelationScore[];
}

/** The code layout scoring needs (an InfoGAN has it). */
export interface CodeLayout {
  categorical: readonly number[];
  numContinuous: number;
}

/** Scores every code against every label; `labels` are aligned with the images of `outputs`. */
export function scoreCodes(layout: CodeLayout, outputs: CodeOutputs, labels: DatasetLabels):
  CodeEvaluation[] {
  const attributes = labels.attributes && attributeTargets(labels.attributes, outputs.count);
  const codes: CodeEvaluation[] = [];
  layout.categorical.forEach((k, index) => {
    const values = Array.from({ length: k }, (_, v) => column(outputs.probabilities[index], k, v));
    const code: CodeEvaluation = { name: `categorical_${index}`, kind: 'categorical', index,
      cardinality: k };
    if (labels.classes) code.classes = classScores(labels.classes, outputs.categories[index], k);
    if (attributes) code.attributes = attributeScores(attributes, values);
    if (labels.continuous) code.continuousLabels = correlationScores(labels.continuous, values);
    codes.push(code);
  });
  for (let index = 0; index < layout.numContinuous; index++) {
    const values = [outputs.means[index]];
    const code: CodeEvaluation = { name: `continuous_${index}`, kind: 'continuous', index };
    if (attributes) code.attributes = attributeScores(attributes, values, false);
    if (labels.continuous) {
      code.continuousLabels = correlationScores(labels.continuous, values, false);
    }
    codes.push(code);
  }
  return codes;
}

/**
 * Labels too uniform for their scores to mean anything, one line each: fewer than 2 classes among
 * the labelled images when there are categorical codes to score against them (any split of one
 * class has purity 1, and a single image scores 1 on everything), and attributes with one value
 * on every image that has a row (they get no AUC, so they are left out of the scores). `count` is
 * the number of images the labels are aligned with.
 */
export function labelWarnings(layout: CodeLayout, labels: DatasetLabels, count: number):
  string[] {
  const warnings: string[] = [];
  if (labels.classes && layout.categorical.length > 0) {
    const present = new Set<number>();
    let labelled = 0;
    for (const c of labels.classes.index) {
      if (c < 0) continue;
      present.add(c);
      labelled++;
    }
    if (present.size < 2) {
      const classes = `${present.size} ${present.size === 1 ? 'class' : 'classes'}`;
      const images = `${labelled} labelled ${labelled === 1 ? 'image' : 'images'}` +
        (labelled < count ? ` (of ${count})` : '');
      warnings.push(`only ${classes} among the ${images}: accuracy, NMI and purity against ` +
        'fewer than 2 classes say nothing about what a categorical code learned; give labels ' +
        'of 2 or more classes');
    }
  }
  if (labels.attributes) {
    const targets = attributeTargets(labels.attributes, count);
    const rows = targets.labelled.length;
    const uniform = targets.names.filter((_, a) => {
      const positives = targets.positive[a].reduce((sum, p) => sum + p, 0);
      return positives === 0 || positives === rows;
    });
    if (uniform.length > 0) {
      const where = rows === 1 ? 'the 1 image' : `all ${rows} images`;
      warnings.push(`attributes with one value on ${where} with an attribute row are not scored ` +
        `(they have no AUC): ${uniform.slice(0, 3).join(', ')}` +
        `${uniform.length > 3 ? ', ...' : ''} (${uniform.length} of ${targets.names.length})`);
    }
  }
  return warnings;
}

/** Value `v` of every row of a [count, k] row-major array. */
function column(rows: Float32Array, k: number, v: number): Float32Array {
  return Float32Array.from({ length: rows.length / k }, (_, i) => rows[i * k + v]);
}

export function classScores(classes: { names: string[]; index: Int32Array },
  categories: Int32Array, k: number): ClassScores {
  const confusion = confusionMatrix(classes.index, categories, classes.names.length, k);
  const matched = matchedAccuracy(confusion);
  return {
    names: classes.names,
    accuracy: matched.accuracy,
    purity: purity(confusion),
    nmi: normalizedMutualInformation(confusion),
    confusion,
    matchedClass: matched.categoryToClass.map((c) => (c < 0 ? null : classes.names[c])),
  };
}

/** The images with attribute rows (all zero = no row), and each attribute's positives there. */
interface AttributeTargets {
  names: string[];
  labelled: Int32Array;
  positive: Uint8Array[];
}

function attributeTargets(attributes: { names: string[]; values: Int8Array }, count: number):
  AttributeTargets {
  const width = attributes.names.length;
  const labelled: number[] = [];
  for (let i = 0; i < count; i++) {
    const row = attributes.values.subarray(i * width, (i + 1) * width);
    if (row.some((v) => v !== 0)) labelled.push(i);
  }
  const positive = attributes.names.map((_, a) =>
    Uint8Array.from(labelled, (i) => (attributes.values[i * width + a] > 0 ? 1 : 0)));
  return { names: attributes.names, labelled: Int32Array.from(labelled), positive };
}

/**
 * Per attribute, the best AUC over `values` (one score array per value of a categorical code, or
 * the one continuous code); ranks each score array once over the labelled images.
 */
function attributeScores(targets: AttributeTargets, values: Float32Array[], categorical = true):
  AttributeScore[] {
  const ranks = values.map((scores) =>
    midranks(Float64Array.from(targets.labelled, (i) => scores[i])));
  const scores: AttributeScore[] = [];
  targets.names.forEach((attribute, a) => {
    let best: AttributeScore | null = null;
    for (const [v, r] of ranks.entries()) {
      const auc = aucFromRanks(r, targets.positive[a]);
      if (Number.isNaN(auc) || (best && Math.max(auc, 1 - auc) <= best.auc)) continue;
      best = { attribute, auc: Math.max(auc, 1 - auc), sign: auc >= 0.5 ? 1 : -1,
        ...(categorical && { value: v }) };
    }
    if (best) scores.push(best);
  });
  return scores.sort((x, y) => y.auc - x.auc);
}

/** Per continuous label, the strongest correlation over `values`, on images with finite labels. */
function correlationScores(labels: { names: string[]; values: Float32Array },
  values: Float32Array[], categorical = true): CorrelationScore[] {
  const width = labels.names.length;
  const count = values[0]?.length ?? 0;
  const scores: CorrelationScore[] = [];
  labels.names.forEach((label, l) => {
    const images = Array.from({ length: count }, (_, i) => i)
      .filter((i) => Number.isFinite(labels.values[i * width + l]));
    const target = images.map((i) => labels.values[i * width + l]);
    let best: CorrelationScore | null = null;
    for (const [v, scores] of values.entries()) {
      const r = pearsonCorrelation(images.map((i) => scores[i]), target);
      if (Number.isNaN(r) || (best && Math.abs(r) <= Math.abs(best.correlation))) continue;
      best = { label, correlation: r, ...(categorical && { value: v }) };
    }
    if (best) scores.push(best);
  });
  return scores.sort((x, y) => Math.abs(y.correlation) - Math.abs(x.correlation));
}

/** `categorical 0`, `continuous 1`: a code as the console names it. */
export function codeTitle(code: CodeEvaluation): string {
  return `${code.kind} ${code.index}`;
}

/** The console table: one line per code and kind of label, its best match and the score. */
export function summaryLines(codes: CodeEvaluation[]): string[] {
  const rows: [string, string][] = [];
  for (const code of codes) {
    const title = codeTitle(code);
    const c = code.classes;
    if (c) {
      const classes = c.names.length === 1 ? '1 class' : `${c.names.length} classes`;
      rows.push([`${title} -> ${classes}`, `accuracy ${c.accuracy.toFixed(2)}, ` +
        `NMI ${c.nmi.toFixed(2)}, purity ${c.purity.toFixed(2)}`]);
    }
    const [best, ...next] = code.attributes ?? [];
    if (best) {
      const others = next.slice(0, 2)
        .map((s) => `${attributeMatch(code, s, '')} ${s.auc.toFixed(2)}`);
      rows.push([`${title}${attributeMatch(code, best, ', ')}`, `(AUC ${best.auc.toFixed(2)})` +
        (others.length > 0 ? `; next ${others.join(', ')}` : '')]);
    }
    for (const score of code.continuousLabels ?? []) {
      const value = score.value === undefined ? '' : `, value ${score.value}`;
      rows.push([`${title}${value} -> ${score.label}`, `(r ${score.correlation.toFixed(2)})`]);
    }
    if (!c && !best && !code.continuousLabels?.length) {
      rows.push([title, 'no label of this data set to compare with']);
    }
  }
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${left.padEnd(width)} ${right}`);
}

/** `, value 7 -> Eyeglasses`, `, low -> Smiling`, ` value 2 -> not Male` (prefix first). */
export function attributeMatch(code: CodeEvaluation, score: AttributeScore, prefix = ' '): string {
  if (code.kind === 'continuous') {
    return `${prefix}${score.sign > 0 ? 'high' : 'low'} -> ${score.attribute}`;
  }
  return `${prefix}value ${score.value} -> ${score.sign > 0 ? '' : 'not '}${score.attribute}`;
}
