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

function buildLayer(layer: LayerSpec, input: ExampleShape, where: string, batchNorm: boolean,
  generator?: Generator): { modules: nn.Module[]; output: ExampleShape } {
  switch (layer.kind) {
    case 'fc': {
      const size = shapeSize(input);
      const modules: nn.Module[] = [];
      if (input.kind === 'image') modules.push(new nn.Reshape([size]));
      modules.push(new nn.Linear(size, layer.units, { generator }));
      if (batchNorm) modules.push(new nn.BatchNorm(layer.units));
      modules.push(new nn.Activation(layer.activation));
      return { modules, output: { kind: 'vector', size: layer.units } };
    }
    case 'reshape': {
      const size = layer.height * layer.width * layer.channels;
      if (shapeSize(input) !== size) {
        throw new UserError(`${where}: cannot reshape ${describeShape(input)} (${shapeSize(input)} ` +
          `values) to [${layer.height}, ${layer.width}, ${layer.channels}] (${size} values)`, 2);
      }
      return {
        modules: [new nn.Reshape([layer.channels, layer.height, layer.width])],
        output: { kind: 'image', channels: layer.channels, height: layer.height, width: layer.width },
      };
    }
    case 'conv':
    case 'deconv':
      return buildConvolution(layer, input, where, batchNorm, generator);
  }
}

function buildConvolution(layer: Extract<LayerSpec, { kind: 'conv' | 'deconv' }>,
  input: ExampleShape, where: string, batchNorm: boolean, generator?: Generator):
  { modules: nn.Module[]; output: ExampleShape } {
  if (input.kind !== 'image') {
    throw new UserError(`${where}: needs an image input but gets a vector ${describeShape(input)}; ` +
      'add reshape:HEIGHT:WIDTH:CHANNELS before it', 2);
  }
  const { kernel, stride, channels } = layer;
  const convolution = layer.kind === 'conv'
    ? sameConvolution(input, kernel, stride, channels, generator)
    : sameTransposedConvolution(input, kernel, stride, channels, generator);
  const modules: nn.Module[] = [convolution.module];
  if (batchNorm) modules.push(new nn.BatchNorm(channels));
  modules.push(new nn.Activation(layer.activation));
  return { modules, output: convolution.output };
}

/** TensorFlow's SAME padding: output = ceil(input / stride), extra padding on the right/bottom. */
function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const output = Math.ceil(size / stride);
  const total = Math.max((output - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function sameConvolution(input: Extract<ExampleShape, { kind: 'image' }>, kernel: number,
  stride: number, channels: number, generator?: Generator) {
  const [left, right] = samePadding(input.width, kernel, stride);
  const [top, bottom] = samePadding(input.height, kernel, stride);
  const module = new nn.Conv2d(input.channels, channels, kernel,
    { stride, padding: [left, right, top, bottom], generator });
  const output = { kind: 'image' as const, channels, height: Math.ceil(input.height / stride),
    width: Math.ceil(input.width / stride) };
  return { module, output };
}

/**
 * SAME transposed convolution: output = input x stride. With stride 1 it is an ordinary SAME
 * convolution (the same family of functions, and one op instead of two); otherwise libtorch's
 * transposed convolution with padding p and output padding o chosen so that
 * (input - 1) * stride - 2p + kernel + o = input * stride.
 */
function sameTransposedConvolution(input: Extract<ExampleShape, { kind: 'image' }>,
  kernel: number, stride: number, channels: number, generator?: Generator) {
  const output = { kind: 'image' as const, channels, height: input.height * stride,
    width: input.width * stride };
  if (stride === 1) return { module: sameConvolution(input, kernel, 1, channels, generator).module, output };
  const excess = kernel - stride; // = 2p - o
  const padding = excess >= 0 ? Math.ceil(excess / 2) : 0;
  const outputPadding = 2 * padding - excess;
  const module = new nn.ConvTranspose2d(input.channels, channels, kernel,
    { stride, padding, outputPadding, generator });
  return { module, output };
}
