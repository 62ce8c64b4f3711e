/**
 * Builds the generator and discriminator body from spec layers, tracking each layer's output
 * shape so that mistakes are found (and named) before training starts.
 *
 * Shapes are per example: a vector [features] or an image [channels, height, width] (the engine
 * is channels-first). The spec's `reshape:H:W:C` therefore becomes [C, H, W] here.
 */
import { Generator, nn } from '../torch';
import { UserError } from '../util/log';
import type { LayerSpec } from './spec';

export type ExampleShape = { kind: 'vector'; size: number } |
  { kind: 'image'; channels: number; height: number; width: number };

/** How a network was built, one line per layer: what `train` prints before it starts. */
export interface BuiltNetwork {
  network: nn.Sequential;
  output: ExampleShape;
  summary: string[];
}

export function describeShape(shape: ExampleShape): string {
  return shape.kind === 'vector' ? `[${shape.size}]`
    : `[${shape.height}, ${shape.width}, ${shape.channels}]`;
}

export function shapeSize(shape: ExampleShape): number {
  return shape.kind === 'vector' ? shape.size : shape.channels * shape.height * shape.width;
}

interface BuildOptions {
  /** `--generator` or `--discriminator`, for error messages. */
  flag: string;
  /** Batch norm for layers without a `:bn`/`:nobn` override. */
  batchNormDefault: (index: number, count: number) => boolean;
  generator?: Generator;
}

/** The layers of one spec, from `input` to the network's output. */
export function buildNetwork(layers: LayerSpec[], input: ExampleShape, options: BuildOptions):
  BuiltNetwork {
  const modules: nn.Module[] = [];
  const summary: string[] = [];
  let shape = input;
  layers.forEach((layer, index) => {
    const where = `${options.flag} layer ${index + 1} (${layer.kind})`;
    const batchNorm = layer.kind !== 'reshape' &&
      (layer.batchNorm ?? options.batchNormDefault(index, layers.length));
    const built = buildLayer(layer, shape, where, batchNorm, options.generator);
    modules.push(...built.modules);
    summary.push(`${where}: ${describeShape(shape)} -> ${describeShape(built.output)}` +
      `${batchNorm ? ' + batch norm' : ''}${'activation' in layer ? ` + ${layer.activation}` : ''}`);
    shape = built.output;
  });
  return { network: new nn.Sequential(modules), output: shape, summary };
}

/**
 * The output shape of `layers` applied to `input`, checked as `buildNetwork` checks it but without
 * making any weights: lets a run refuse a mismatched network before it loads its data.
 */
export function networkOutput(layers: LayerSpec[], input: ExampleShape, flag: string):
  ExampleShape {
  return layers.reduce((shape, layer, index) =>
    layerOutput(layer, shape, `${flag} layer ${index + 1} (${layer.kind})`), input);
}

function layerOutput(layer: LayerSpec, input: ExampleShape, where: string): ExampleShape {
  switch (layer.kind) {
    case 'fc':
      return { kind: 'vector', size: layer.units };
    case 'reshape': {
      const size = layer.height * layer.width * layer.channels;
      if (shapeSize(input) !== size) {
        throw new UserError(`${where}: cannot reshape ${describeShape(input)} (${shapeSize(input)} ` +
          `values) to [${layer.height}, ${layer.width}, ${layer.channels}] (${size} values)`, 2);
      }
      return { kind: 'image', channels: layer.channels, height: layer.height, width: layer.width };
    }
    case 'conv':
    case 'deconv': {
      if (input.kind !== 'image') {
        throw new UserError(`${where}: needs an image input but gets a vector ` +
          `${describeShape(input)}; add reshape:HEIGHT:WIDTH:CHANNELS before it`, 2);
      }
      // SAME padding: a convolution divides the size by its stride (rounding up), a transposed
      // one multiplies it.
      const scale = (size: number) => layer.kind === 'conv'
        ? Math.ceil(size / layer.stride) : size * layer.stride;
      return { kind: 'image', channels: layer.channels, height: scale(input.height),
        width: scale(input.width) };
    }
  }
}

function buildLayer(layer: LayerSpec, input: ExampleShape, where: string, batchNorm: boolean,
  generator?: Generator): { modules: nn.Module[]; output: ExampleShape } {
  const output = layerOutput(layer, input, where);
  const size = shapeSize(input);
  switch (layer.kind) {
    case 'fc': {
      const modules: nn.Module[] = [];
      if (input.kind === 'image') modules.push(new nn.Reshape([size]));
      modules.push(new nn.Linear(size, layer.units, { generator }));
      if (batchNorm) modules.push(new nn.BatchNorm(layer.units));
      modules.push(new nn.Activation(layer.activation));
      return { modules, output };
    }
    case 'reshape':
      return { modules: [new nn.Reshape([layer.channels, layer.height, layer.width])], output };
    case 'conv':
    case 'deconv': {
      const image = input as Extract<ExampleShape, { kind: 'image' }>;
      const module = layer.kind === 'conv'
        ? sameConvolution(image, layer.kernel, layer.stride, layer.channels, generator)
        : sameTransposedConvolution(image, layer.kernel, layer.stride, layer.channels, generator);
      const modules: nn.Module[] = [module];
      if (batchNorm) modules.push(new nn.BatchNorm(layer.channels));
      modules.push(new nn.Activation(layer.activation));
      return { modules, output };
    }
  }
}

/** TensorFlow's SAME padding: output = ceil(input / stride), extra padding on the right/bottom. */
function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const output = Math.ceil(size / stride);
  const total = Math.max((output - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function sameConvolution(input: Extract<ExampleShape, { kind: 'image' }>, kernel: number,
  stride: number, channels: number, generator?: Generator): nn.Module {
  const [left, right] = samePadding(input.width, kernel, stride);
  const [top, bottom] = samePadding(input.height, kernel, stride);
  return new nn.Conv2d(input.channels, channels, kernel,
    { stride, padding: [left, right, top, bottom], generator });
}

/**
 * SAME transposed convolution: output = input x stride. With stride 1 it is an ordinary SAME
 * convolution (the same family of functions, and one op instead of two); otherwise libtorch's
 * transposed convolution with padding p and output padding o chosen so that
 * (input - 1) * stride - 2p + kernel + o = input * stride.
 */
function sameTransposedConvolution(input: Extract<ExampleShape, { kind: 'image' }>,
  kernel: number, stride: number, channels: number, generator?: Generator): nn.Module {
  if (stride === 1) return sameConvolution(input, kernel, 1, channels, generator);
  const excess = kernel - stride; // = 2p - o
  const padding = excess >= 0 ? Math.ceil(excess / 2) : 0;
  const outputPadding = 2 * padding - excess;
  return new nn.ConvTranspose2d(input.channels, channels, kernel,
    { stride, padding, outputPadding, generator });
}
