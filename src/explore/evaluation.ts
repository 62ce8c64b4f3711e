/**
 * Reading `<run>/evaluation.json`, written by `infogan evaluate`, for the names of the
 * attributes each code was found to control. Its layout may change, so this reads it
 * defensively: whatever it cannot recognise is left out, never an error.
 *
 * Recognised: `codes` as an array of entries or an object keyed by code; an entry names its code
 * by `code`/`name`/`id` (`categorical:0`, `categorical_0`, `cat0`, `continuous:1`, ...) or by
 * `kind`/`type` plus `index`; its attribute is `best` (or `attribute`, `label`), a string, an
 * object with `attribute`/`name`/`label` and optionally a score, or an array of per-category
 * labels. Without `best`, the first of evaluate's `attributes` (best first), `continuousLabels`
 * or `classes` summary names the code, and `classes.matchedClass` labels each category.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeKind, CodeLayout } from './codes';

/** What evaluate found for one code: an attribute name, and labels per category if any. */
export interface CodeName {
  name: string | null;
  /** For categorical codes: a label per category value, where evaluate gave them. */
  values?: (string | null)[];
}

export interface CodeNames {
  categorical: CodeName[];
  continuous: CodeName[];
}

export interface Evaluation {
  /** The file's content as parsed, or null when there is none. */
  raw: unknown;
  names: CodeNames;
  /** Why the file was ignored, when it exists but could not be read. */
  problem?: string;
}

/** Reads `<runDir>/evaluation.json` if present; never throws. */
export function readEvaluation(runDir: string, layout: CodeLayout): Evaluation {
  const file = path.join(runDir, 'evaluation.json');
  const none = emptyNames(layout);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { raw: null, names: none };
  }
  try {
    const raw: unknown = JSON.parse(text);
    return { raw, names: codeNames(raw, layout) };
  } catch (error) {
    const problem = `${file} is not valid JSON (${(error as Error).message})`;
    return { raw: null, names: none, problem };
  }
}

/** The attribute names of each code in `evaluation`, null where it says nothing usable. */
export function codeNames(evaluation: unknown, layout: CodeLayout): CodeNames {
  const names = emptyNames(layout);
  const codes = isObject(evaluation) ? evaluation.codes : undefined;
  const entries: [string | undefined, unknown][] = Array.isArray(codes)
    ? codes.map((entry): [string | undefined, unknown] => [undefined, entry])
    : isObject(codes) ? Object.entries(codes) : [];
  for (const [key, entry] of entries) {
    const code = identify(key, entry);
    if (code === null) continue;
    const list = code.kind === 'categorical' ? names.categorical : names.continuous;
    if (code.index >= list.length) continue;
    list[code.index] = describe(entry, code.kind === 'categorical'
      ? layout.categorical[code.index] : 0);
  }
  return names;
}

function emptyNames(layout: CodeLayout): CodeNames {
  return {
    categorical: layout.categorical.map(() => ({ name: null })),
    continuous: Array.from({ length: layout.numContinuous }, () => ({ name: null })),
  };
}

function identify(key: string | undefined, entry: unknown): { kind: CodeKind; index: number } |
  null {
  const fields = isObject(entry) ? entry : {};
  for (const text of [key, fields.code, fields.name, fields.id]) {
    const parsed = typeof text === 'string' ? parseCodeName(text) : null;
    if (parsed) return parsed;
  }
  const kind = kindOf(fields.kind ?? fields.type);
  const index = fields.index;
  if (kind && typeof index === 'number' && Number.isInteger(index) && index >= 0) {
    return { kind, index };
  }
  return null;
}

/** `categorical:0`, `categorical_0`, `categorical 0`, `cat0`, `continuous-1`, `cont:1`. */
function parseCodeName(text: string): { kind: CodeKind; index: number } | null {
  const match = /^\s*(categorical|continuous|cat|cont)[\s:_-]*(\d+)\s*$/i.exec(text);
  if (!match) return null;
  return { kind: kindOf(match[1])!, index: Number(match[2]) };
}

function kindOf(value: unknown): CodeKind | null {
  if (typeof value !== 'string') return null;
  const word = value.toLowerCase();
  if (word === 'categorical' || word === 'cat') return 'categorical';
  if (word === 'continuous' || word === 'cont') return 'continuous';
  return null;
}

function describe(entry: unknown, categories: number): CodeName {
  const fields = isObject(entry) ? entry : {};
  const best = fields.best ?? fields.attribute ?? fields.label;
  if (Array.isArray(best) && categories > 0) {
    const values = Array.from({ length: categories }, (_, i) => attributeName(best[i]));
    return { name: null, values };
  }
  const values = matchedClasses(fields.classes, categories);
  const name = attributeName(best) ?? topAttribute(fields.attributes, categories > 0) ??
    topCorrelation(fields.continuousLabels) ?? classSummary(fields.classes);
  return values ? { name, values } : { name };
}

/** evaluate's `attributes`, best first: `{attribute, auc, sign, value?}`. */
function topAttribute(list: unknown, categorical: boolean): string | null {
  const top = Array.isArray(list) && isObject(list[0]) ? list[0] : null;
  if (!top || typeof top.attribute !== 'string') return null;
  const auc = typeof top.auc === 'number' ? ` (AUC ${formatScore(top.auc)})` : '';
  const negative = top.sign === -1;
  if (categorical) {
    const value = typeof top.value === 'number' ? `value ${top.value}: ` : '';
    return tidyText(`${value}${negative ? 'not ' : ''}${top.attribute}${auc}`);
  }
  const direction = top.sign === undefined ? '' : negative ? 'low: ' : 'high: ';
  return tidyText(`${direction}${top.attribute}${auc}`);
}

/** evaluate's `continuousLabels`, strongest first: `{label, correlation}`. */
function topCorrelation(list: unknown): string | null {
  const top = Array.isArray(list) && isObject(list[0]) ? list[0] : null;
  if (!top || typeof top.label !== 'string') return null;
  const r = typeof top.correlation === 'number' ? ` (r ${formatScore(top.correlation)})` : '';
  return tidyText(`${top.label}${r}`);
}

/** evaluate's `classes`: `{names, accuracy, matchedClass}`. */
function classSummary(classes: unknown): string | null {
  if (!isObject(classes) || typeof classes.accuracy !== 'number') return null;
  const count = Array.isArray(classes.names) ? `${classes.names.length} classes, ` : '';
  return `${count}accuracy ${formatScore(classes.accuracy)}`;
}

/** The class each value of a categorical code was matched to, if evaluate gave them. */
function matchedClasses(classes: unknown, categories: number): (string | null)[] | undefined {
  const matched = isObject(classes) ? classes.matchedClass : undefined;
  if (categories === 0 || !Array.isArray(matched)) return undefined;
  return Array.from({ length: categories }, (_, i) => attributeName(matched[i]));
}

/** `"Smiling"`, or `{attribute: "Smiling", score: 0.83}` -> `Smiling (0.83)`. */
function attributeName(value: unknown): string | null {
  if (typeof value === 'string') return tidyText(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (!isObject(value)) return null;
  const name = [value.attribute, value.name, value.label, value.digit, value.class]
    .find((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)));
  if (name === undefined) return null;
  const score = [value.score, value.accuracy, value.correlation, value.auc, value.value]
    .find((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const text = tidyText(String(name));
  return text && score !== undefined ? `${text} (${formatScore(score)})` : text;
}

function formatScore(score: number): string {
  return Math.abs(score) >= 100 ? score.toFixed(0) : score.toPrecision(2);
}

/** One short line: the page shows it beside a slider. */
function tidyText(text: string): string | null {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return null;
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
