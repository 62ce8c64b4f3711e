/**
 * The architecture spec language of the old `train.py`: a network written as one comma-separated
 * string of layers, read by `--generator` and `--discriminator`.
 *
 * Layers, in order from the network's input:
 *   conv:KERNEL:STRIDE:CHANNELS[:ACTIVATION][:bn|:nobn]    convolution
 *   deconv:KERNEL:STRIDE:CHANNELS[:ACTIVATION][:bn|:nobn]  transposed convolution
 *   fc:UNITS[:ACTIVATION][:bn|:nobn]                       fully connected (flattens images)
 *   reshape:HEIGHT:WIDTH:CHANNELS                          vector to [height, width, channels]
 *
 * ACTIVATION is relu (the default), lrelu (or leaky_relu), sigmoid, tanh or identity (or linear).
 * `:bn` / `:nobn` force batch normalisation on or off for that layer; without either the layer
 * follows the network's default (`--use_batch_norm`). Every number may be a product or any
 * arithmetic with + - * / and parentheses (`7x7x128`, `8*8*256`, `(64/8)*(64/8)*256`), evaluated
 * with the usual precedence, left to right; it must come out a positive integer.
 */
import { nearestName } from '../config/flags';
import { UserError } from '../util/log';

export type Activation = 'relu' | 'lrelu' | 'sigmoid' | 'tanh' | 'identity';

/** One layer; `batchNorm` absent means "the network's default". */
export type LayerSpec =
  | {
      kind: 'conv' | 'deconv';
      kernel: number;
      stride: number;
      channels: number;
      activation: Activation;
      batchNorm?: boolean;
    }
  | { kind: 'fc'; units: number; activation: Activation; batchNorm?: boolean }
  | { kind: 'reshape'; height: number; width: number; channels: number };

export type LayerKind = LayerSpec['kind'];

/** Which network a spec describes; errors name it as its flag (`--generator`). */
export type NetworkName = 'generator' | 'discriminator';

/** The old script's 28x28 generator: noise -> fc 1024 -> fc 6272 -> [7, 7, 128] -> [28, 28, 1]. */
export const DEFAULT_GENERATOR_SPEC =
  'fc:1024,fc:7x7x128,reshape:7:7:128,deconv:4:2:64,deconv:4:2:1:sigmoid';

/** The old script's discriminator body: [28, 28, c] -> [14, 14, 64] -> [7, 7, 128] -> 1024. */
export const DEFAULT_DISCRIMINATOR_SPEC = 'conv:4:2:64:lrelu,conv:4:2:128:lrelu,fc:1024:lrelu';

/** Largest layer size accepted: sizes cross into libtorch as 32-bit integers. */
const MAX_SIZE = 2 ** 31 - 1;

const LAYER_FORMS: Record<LayerKind, string> = {
  conv: 'conv:KERNEL:STRIDE:CHANNELS[:ACTIVATION][:bn|:nobn]',
  deconv: 'deconv:KERNEL:STRIDE:CHANNELS[:ACTIVATION][:bn|:nobn]',
  fc: 'fc:UNITS[:ACTIVATION][:bn|:nobn]',
  reshape: 'reshape:HEIGHT:WIDTH:CHANNELS',
};

const NUMBER_FIELDS: Record<LayerKind, string[]> = {
  conv: ['KERNEL', 'STRIDE', 'CHANNELS'],
  deconv: ['KERNEL', 'STRIDE', 'CHANNELS'],
  fc: ['UNITS'],
  reshape: ['HEIGHT', 'WIDTH', 'CHANNELS'],
};

const ACTIVATIONS: Record<string, Activation> = {
  relu: 'relu',
  lrelu: 'lrelu',
  leaky_relu: 'lrelu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  identity: 'identity',
  linear: 'identity',
};

const ACTIVATION_LIST = 'relu, lrelu (leaky_relu), sigmoid, tanh, identity (linear)';

/** Where a layer sits, for error messages. */
interface LayerPlace {
  network: NetworkName;
  /** 1-based. */
  position: number;
  text: string;
}

/**
 * Parses a spec such as `fc:1024,fc:7x7x128,reshape:7:7:128,deconv:4:2:1:sigmoid`.
 *
 * Besides each layer's own syntax it checks what can be checked without image sizes: a
 * conv/deconv needs an image before it (the generator starts from a vector, so it needs a
 * reshape first), a reshape right after an fc must hold exactly its units, and the generator must
 * end in an image. Throws a one-line UserError (exit code 2) naming the flag, the layer's
 * 1-based position and text, and what was expected.
 */
export function parseSpec(text: string, network: NetworkName): LayerSpec[] {
  if (text.trim() === '') {
    throw new UserError(
      `--${network} is empty: expected comma-separated layers such as ${defaultSpec(network)}`,
      2,
    );
  }
  const places = text
    .split(',')
    .map((part, i) => ({ network, position: i + 1, text: part.trim() }));
  const layers = places.map(parseLayer);
  checkShapes(layers, places);
  return layers;
}

/** Writes layers back as a spec string; `parseSpec(formatSpec(layers))` gives the same layers. */
export function formatSpec(layers: readonly LayerSpec[]): string {
  return layers.map(formatLayer).join(',');
}

function formatLayer(layer: LayerSpec): string {
  if (layer.kind === 'reshape') return `reshape:${layer.height}:${layer.width}:${layer.channels}`;
  const sizes = layer.kind === 'fc' ? [layer.units] : [layer.kernel, layer.stride, layer.channels];
  const activation = layer.activation === 'relu' ? [] : [layer.activation];
  const batchNorm = layer.batchNorm === undefined ? [] : [layer.batchNorm ? 'bn' : 'nobn'];
  return [layer.kind, ...sizes, ...activation, ...batchNorm].join(':');
}

function defaultSpec(network: NetworkName): string {
  return network === 'generator' ? DEFAULT_GENERATOR_SPEC : DEFAULT_DISCRIMINATOR_SPEC;
}

function fail(place: LayerPlace, problem: string): never {
  throw new UserError(`--${place.network} layer ${place.position} "${place.text}" : ${problem}`, 2);
}

function parseLayer(place: LayerPlace): LayerSpec {
  if (place.text === '') fail(place, 'empty layer; remove the stray comma');
  const fields = place.text.split(':').map((field) => field.trim());
  const kind = parseKind(fields[0], place);
  const sizeNames = NUMBER_FIELDS[kind];
  const options = fields.slice(1 + sizeNames.length);
  if (fields.length < 1 + sizeNames.length || options.some((option) => option === '')) {
    fail(place, `expected ${LAYER_FORMS[kind]}`);
  }
  const sizes = sizeNames.map((name, i) => parseSize(fields[1 + i], name, kind, place));
  if (kind === 'reshape') {
    if (options.length > 0) fail(place, `expected ${LAYER_FORMS.reshape}`);
    return { kind, height: sizes[0], width: sizes[1], channels: sizes[2] };
  }
  const { activation, batchNorm } = parseOptions(options, kind, place);
  const norm = batchNorm === undefined ? {} : { batchNorm };
  if (kind === 'fc') return { kind, units: sizes[0], activation, ...norm };
  return { kind, kernel: sizes[0], stride: sizes[1], channels: sizes[2], activation, ...norm };
}

function parseKind(field: string, place: LayerPlace): LayerKind {
  const kind = field.toLowerCase();
  if (kind in LAYER_FORMS) return kind as LayerKind;
  const kinds = Object.keys(LAYER_FORMS);
  const nearest = nearestName(kind, kinds);
  const hint = nearest === undefined ? '' : `; did you mean ${nearest}?`;
  return fail(place, `unknown layer kind "${field}"${hint} (valid: ${kinds.join(', ')})`);
}

function parseSize(field: string, name: string, kind: LayerKind, place: LayerPlace): number {
  const value = evaluateSize(field);
  if (value === undefined) {
    fail(place, `${name} "${field}" is not a number; expected ${LAYER_FORMS[kind]}`);
  }
  if (!Number.isInteger(value) || value < 1) {
    fail(place, `${name} "${field}" is ${formatValue(value)}, not a positive integer`);
  }
  if (value > MAX_SIZE) fail(place, `${name} "${field}" is ${value}, larger than ${MAX_SIZE}`);
  return value;
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

function parseOptions(options: string[], kind: LayerKind, place: LayerPlace) {
  let activation: Activation | undefined;
  let batchNorm: boolean | undefined;
  for (const option of options) {
    const word = option.toLowerCase();
    if (word === 'bn' || word === 'nobn') {
      if (batchNorm !== undefined) fail(place, `bn or nobn twice; expected ${LAYER_FORMS[kind]}`);
      batchNorm = word === 'bn';
    } else if (word in ACTIVATIONS) {
      if (activation !== undefined) fail(place, `two activations; expected ${LAYER_FORMS[kind]}`);
      activation = ACTIVATIONS[word];
    } else {
      const nearest = nearestName(word, [...Object.keys(ACTIVATIONS), 'bn', 'nobn']);
      const hint = nearest === undefined ? '' : `did you mean ${nearest}? `;
      fail(place, `unknown activation "${option}"; ${hint}valid: ${ACTIVATION_LIST}, or bn/nobn`);
    }
  }
  return { activation: activation ?? 'relu', batchNorm };
}

/**
 * Checks the order of layers: what each one receives, a vector or an image.
 * The generator starts from the noise vector, the discriminator from an image.
 */
function checkShapes(layers: LayerSpec[], places: LayerPlace[]): void {
  let input: 'vector' | 'image' = places[0].network === 'generator' ? 'vector' : 'image';
  layers.forEach((layer, i) => {
    if ((layer.kind === 'conv' || layer.kind === 'deconv') && input === 'vector') {
      const before = i === 0 ? 'the noise vector comes in' : 'the layer before gives a vector';
      fail(places[i], `${layer.kind} needs an image but ${before}; put reshape:H:W:C before it`);
    }
    const previous = layers[i - 1];
    if (layer.kind === 'reshape' && previous?.kind === 'fc') {
      checkReshape(layer, previous, places[i]);
    }
    input = layer.kind === 'fc' ? 'vector' : 'image';
  });
  if (places[0].network === 'generator' && input === 'vector') {
    fail(places[places.length - 1], 'the generator must end in an image: conv, deconv or reshape');
  }
}

function checkReshape(
  layer: Extract<LayerSpec, { kind: 'reshape' }>,
  previous: Extract<LayerSpec, { kind: 'fc' }>,
  place: LayerPlace,
): void {
  const size = layer.height * layer.width * layer.channels;
  if (size === previous.units) return;
  const shape = `${layer.height}x${layer.width}x${layer.channels}`;
  fail(place, `reshape to ${shape} = ${size} values, but the fc before gives ${previous.units}`);
}

/**
 * Evaluates a size expression: integers with + - * / (also `x` for *) and parentheses, the usual
 * precedence, left to right (`8-2-1` is 5, `2+3*4` is 14, `7x7x128` is 6272). Returns undefined
 * when the text is not such an expression; the result may be fractional or not positive.
 */
export function evaluateSize(text: string): number | undefined {
  const tokens = text.match(/\d+|[-+*/xX()]|\S/g) ?? [];
  const reader = { tokens, next: 0 };
  try {
    const value = readSum(reader);
    return reader.next === tokens.length ? value : undefined;
  } catch {
    return undefined;
  }
}

interface TokenReader {
  tokens: string[];
  next: number;
}

function readSum(reader: TokenReader): number {
  let value = readProduct(reader);
  while (['+', '-'].includes(reader.tokens[reader.next])) {
    const op = reader.tokens[reader.next++];
    const right = readProduct(reader);
    value = op === '+' ? value + right : value - right;
  }
  return value;
}

function readProduct(reader: TokenReader): number {
  let value = readFactor(reader);
  while (['*', '/', 'x', 'X'].includes(reader.tokens[reader.next])) {
    const op = reader.tokens[reader.next++];
    const right = readFactor(reader);
    value = op === '/' ? value / right : value * right;
  }
  return roundNearInteger(value);
}

function readFactor(reader: TokenReader): number {
  const token = reader.tokens[reader.next++];
  if (token === '(') {
    const value = readSum(reader);
    if (reader.tokens[reader.next++] !== ')') throw new Error('unclosed parenthesis');
    return value;
  }
  if (token !== undefined && /^\d+$/.test(token)) return Number(token);
  throw new Error(`unexpected ${token ?? 'end'}`);
}

/** Undoes float noise such as 1/3*3 = 0.9999999999999999. */
function roundNearInteger(value: number): number {
  const rounded = Math.round(value);
  return Math.abs(value - rounded) < 1e-9 * Math.max(1, Math.abs(value)) ? rounded : value;
}
