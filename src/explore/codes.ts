/**
 * What one picture of the explorer is made of, as text: the seed of the style noise, the value of
 * each categorical code and each continuous code. The same reader checks the server's query
 * strings and the page's URL hash, so a value the page writes is a value the server accepts.
 *
 * Query form: `seed=7&cat=3,1&cont=0.5,-1.25` (one number per code, in code order), and for a
 * sweep also `code=continuous:0&rows=3&steps=9`. Runs in Node and in the browser: no Node APIs.
 */

/** The codes of a run: one cardinality per categorical code, and how many continuous ones. */
export interface CodeLayout {
  categorical: number[];
  numContinuous: number;
}

/** One picture: the style noise comes from `seed`; every code has a value. */
export interface CodeState {
  seed: number;
  /** One value in 0..K-1 per categorical code. */
  categorical: number[];
  /** One value in CONTINUOUS_RANGE per continuous code. */
  continuous: number[];
}

export type CodeKind = 'categorical' | 'continuous';

export interface CodeRef {
  kind: CodeKind;
  index: number;
}

/** A grid: `code` swept across the columns, one row per seed (seed, seed + 1, ...). */
export interface SweepRequest extends CodeState {
  code: CodeRef;
  rows: number;
  /** Columns of a continuous sweep; a categorical sweep shows every value. */
  steps: number;
}

/** The sliders' range; training drew continuous codes from TRAINING_RANGE. */
export const CONTINUOUS_RANGE: readonly [number, number] = [-2, 2];
export const TRAINING_RANGE: readonly [number, number] = [-1, 1];
export const MAX_SEED = 2 ** 32 - 1;
export const SWEEP_LIMITS = { rows: [1, 8], steps: [2, 16] } as const;
export const SWEEP_DEFAULTS = { rows: 3, steps: 9 } as const;

/** A value read, or the one-line reason it was refused. */
export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** Every code at its neutral value: categories 0, continuous codes 0. */
export function defaultState(layout: CodeLayout, seed = 0): CodeState {
  return {
    seed,
    categorical: layout.categorical.map(() => 0),
    continuous: Array.from({ length: layout.numContinuous }, () => 0),
  };
}

/**
 * Reads seed, cat and cont from `params`; a missing one takes its default (seed 0, codes at 0).
 * Refuses any key not in `allowed`, repeated keys and any malformed or out-of-range value.
 */
export function readCodeState(params: URLSearchParams, layout: CodeLayout,
  allowed: readonly string[] = ['seed', 'cat', 'cont']): Read<CodeState> {
  const keys = [...params.keys()];
  const unknown = keys.find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    return fail(`unknown parameter "${clip(unknown)}"; expected ${allowed.join(', ')}`);
  }
  const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
  if (repeated !== undefined) return fail(`parameter ${repeated} given twice`);
  const state = defaultState(layout);
  const seed = params.get('seed');
  if (seed !== null) {
    const read = readInteger(seed, 'seed', 0, MAX_SEED);
    if (!read.ok) return read;
    state.seed = read.value;
  }
  const categorical = readCategorical(params.get('cat'), layout.categorical);
  if (!categorical.ok) return categorical;
  const continuous = readContinuous(params.get('cont'), layout.numContinuous);
  if (!continuous.ok) return continuous;
  return { ok: true, value: { ...state, categorical: categorical.value ?? state.categorical,
    continuous: continuous.value ?? state.continuous } };
}

/** Reads a sweep: the code state plus `code` (required), `rows` and `steps`. */
export function readSweepRequest(params: URLSearchParams, layout: CodeLayout): Read<SweepRequest> {
  const state = readCodeState(params, layout, ['seed', 'cat', 'cont', 'code', 'rows', 'steps']);
  if (!state.ok) return state;
  const codeText = params.get('code');
  if (codeText === null) return fail('parameter code is missing; expected e.g. code=continuous:0');
  const code = readCodeRef(codeText, layout);
  if (!code.ok) return code;
  const rows = readOptionalInteger(params.get('rows'), 'rows', SWEEP_LIMITS.rows,
    SWEEP_DEFAULTS.rows);
  if (!rows.ok) return rows;
  const steps = readOptionalInteger(params.get('steps'), 'steps', SWEEP_LIMITS.steps,
    SWEEP_DEFAULTS.steps);
  if (!steps.ok) return steps;
  return { ok: true, value: { ...state.value, code: code.value, rows: rows.value,
    steps: steps.value } };
}

/** `categorical:0` or `continuous:1`, which must exist in `layout`. */
export function readCodeRef(text: string, layout: CodeLayout): Read<CodeRef> {
  const match = /^(categorical|continuous):(\d{1,3})$/.exec(text);
  if (match === null) {
    return fail(`code must be categorical:I or continuous:I, got "${clip(text)}"`);
  }
  const kind = match[1] as CodeKind;
  const index = Number(match[2]);
  const count = kind === 'categorical' ? layout.categorical.length : layout.numContinuous;
  if (index >= count) {
    return fail(`code ${text}: this run has ${count} ${kind} code${count === 1 ? '' : 's'}`);
  }
  return { ok: true, value: { kind, index } };
}

/** The query string of a state: `seed=7&cat=3&cont=0.5,-1`. */
export function formatCodeState(state: CodeState): string {
  const parts = [`seed=${state.seed}`];
  if (state.categorical.length > 0) parts.push(`cat=${state.categorical.join(',')}`);
  if (state.continuous.length > 0) {
    parts.push(`cont=${state.continuous.map(formatContinuous).join(',')}`);
  }
  return parts.join('&');
}

/** A continuous value as it goes into a URL: at most 2 decimals, no `-0`. */
export function formatContinuous(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

export function formatCodeRef(code: CodeRef): string {
  return `${code.kind}:${code.index}`;
}

/** The values a sweep puts in its columns: every category, or `steps` evenly over the range. */
export function sweepValues(code: CodeRef, layout: CodeLayout, steps: number): number[] {
  if (code.kind === 'categorical') {
    return Array.from({ length: layout.categorical[code.index] }, (_, i) => i);
  }
  const [low, high] = CONTINUOUS_RANGE;
  return Array.from({ length: steps }, (_, i) => low + ((high - low) * i) / (steps - 1));
}

function readCategorical(text: string | null, cardinalities: number[]): Read<number[] | null> {
  if (text === null) return { ok: true, value: null };
  const parts = splitList(text);
  if (parts.length !== cardinalities.length) {
    return fail(`cat has ${parts.length} value${parts.length === 1 ? '' : 's'}; this run has ` +
      `${cardinalities.length} categorical code${cardinalities.length === 1 ? '' : 's'}`);
  }
  const values: number[] = [];
  for (const [i, part] of parts.entries()) {
    const read = readInteger(part, `cat value ${i + 1}`, 0, cardinalities[i] - 1);
    if (!read.ok) return read;
    values.push(read.value);
  }
  return { ok: true, value: values };
}

function readContinuous(text: string | null, count: number): Read<number[] | null> {
  if (text === null) return { ok: true, value: null };
  const parts = splitList(text);
  if (parts.length !== count) {
    return fail(`cont has ${parts.length} value${parts.length === 1 ? '' : 's'}; this run has ` +
      `${count} continuous code${count === 1 ? '' : 's'}`);
  }
  const [low, high] = CONTINUOUS_RANGE;
  const values: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (!/^-?(\d{1,3}(\.\d{0,8})?|\.\d{1,8})$/.test(part)) {
      return fail(`cont value ${i + 1} must be a decimal number, got "${clip(part)}"`);
    }
    const value = Number(part);
    if (value < low || value > high) {
      return fail(`cont value ${i + 1} must be between ${low} and ${high}, got ${part}`);
    }
    values.push(value === 0 ? 0 : value);
  }
  return { ok: true, value: values };
}

function readOptionalInteger(text: string | null, name: string,
  [min, max]: readonly [number, number], fallback: number): Read<number> {
  return text === null ? { ok: true, value: fallback } : readInteger(text, name, min, max);
}

function readInteger(text: string, name: string, min: number, max: number): Read<number> {
  if (!/^\d{1,10}$/.test(text)) return fail(`${name} must be a whole number, got "${clip(text)}"`);
  const value = Number(text);
  if (value < min || value > max) {
    return fail(`${name} must be between ${min} and ${max}, got ${text}`);
  }
  return { ok: true, value };
}

/** `''` is an empty list (a run without codes of that kind), not one empty value. */
function splitList(text: string): string[] {
  return text === '' ? [] : text.split(',');
}

/** Echoes user text in messages without letting it make them long. */
function clip(text: string): string {
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}
