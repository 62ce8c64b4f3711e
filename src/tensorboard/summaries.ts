/**
 * Builders for `Summary.Value`s, the payload of each event, as plain objects for the protobufjs
 * schema in ./schema. Each follows what TensorBoard's own writers put in the fields, so its
 * plugins (scalars, images, histograms, text, hparams) pick them up.
 */
import { Histogram } from './histogram';
import { DataType, HParamsPluginDataMessage, HParamType } from './schema';

/** A Summary.Value as protobufjs takes it. */
export type SummaryValue = Record<string, unknown> & { tag: string };

/** Tags the HParams plugin looks for (tensorboard/plugins/hparams/metadata.py). */
export const HPARAMS_TAGS = {
  experiment: '_hparams_/experiment',
  sessionStartInfo: '_hparams_/session_start_info',
} as const;

/** The tensor TensorBoard puts in summaries that only carry plugin metadata: float32, shape [0]. */
const NULL_TENSOR = { dtype: DataType.DT_FLOAT, tensorShape: { dim: [{ size: 0 }] } };

/** A scalar as `simple_value` (float32), which every TensorBoard version reads. */
export function scalarValue(tag: string, value: number): SummaryValue {
  return { tag, simpleValue: value };
}

/** An encoded image; `channels` is the colorspace: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
export function imageValue(
  tag: string,
  png: Uint8Array,
  width: number,
  height: number,
  channels: number,
): SummaryValue {
  return { tag, image: { height, width, colorspace: channels, encodedImageString: png } };
}

/** A HistogramProto from {@link computeHistogram}'s result. */
export function histogramValue(tag: string, histogram: Histogram): SummaryValue {
  const { min, max, num, sum, sumSquares, bucketLimit, bucket } = histogram;
  return { tag, histo: { min, max, num, sum, sumSquares, bucketLimit, bucket } };
}

/** Markdown for the text plugin: a DT_STRING tensor of shape [1]. */
export function textValue(tag: string, markdown: string): SummaryValue {
  const tensor = {
    dtype: DataType.DT_STRING,
    tensorShape: { dim: [{ size: 1 }] },
    stringVal: [Buffer.from(markdown, 'utf8')],
  };
  return { tag, metadata: { pluginData: { pluginName: 'text' } }, tensor };
}

/** A hyperparameter value as the HParams plugin stores it: a google.protobuf.Value. */
export type HParamValue = string | number | boolean;

/** The session_start_info summary: this run's hyperparameters, to compare runs in HPARAMS. */
export function sessionStartValue(
  config: Record<string, HParamValue>,
  startTimeSecs: number,
): SummaryValue {
  const hparams: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) hparams[name] = protobufValue(value);
  return hparamsValue(HPARAMS_TAGS.sessionStartInfo, {
    sessionStartInfo: { hparams, startTimeSecs },
  });
}

/**
 * The experiment summary: which hyperparameters and metrics (scalar tags) the HPARAMS tab shows as
 * columns. Without it TensorBoard lists every hparam and every scalar tag it finds.
 */
export function experimentValue(
  config: Record<string, HParamValue>,
  metrics: string[],
  timeCreatedSecs: number,
): SummaryValue {
  const hparamInfos = Object.entries(config).map(([name, value]) => ({
    name,
    type: hparamType(value),
  }));
  const metricInfos = metrics.map((tag) => ({ name: { tag } }));
  return hparamsValue(HPARAMS_TAGS.experiment, {
    experiment: { timeCreatedSecs, hparamInfos, metricInfos },
  });
}

function hparamsValue(tag: string, pluginData: Record<string, unknown>): SummaryValue {
  // version 0 (PLUGIN_DATA_VERSION) is the proto3 default, so it is left out, as TensorBoard does.
  const content = HParamsPluginDataMessage.encode(pluginData).finish();
  return { tag, metadata: { pluginData: { pluginName: 'hparams', content } }, tensor: NULL_TENSOR };
}

function protobufValue(value: HParamValue): Record<string, unknown> {
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return { stringValue: value };
}

function hparamType(value: HParamValue): number {
  if (typeof value === 'number') return HParamType.FLOAT64;
  if (typeof value === 'boolean') return HParamType.BOOL;
  return HParamType.STRING;
}
