/**
 * An event-file reader for tests only, written apart from the writer so that it can catch the
 * writer's mistakes: its own bit-at-a-time CRC-32C and its own protobuf wire decoding against the
 * official field numbers (tensorboard/compat/proto/*.proto, plugins/hparams/*.proto). It shares no
 * code or schema with the writer.
 */
import * as fs from 'node:fs';

/** CRC-32C computed one bit at a time (reflected polynomial 0x82F63B78). */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's mask: rotate right 15, add 0xa282ead8. */
export function maskBitwise(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 2 ** 32;
}

/** The records of a TFRecord file. */
export interface RecordsRead {
  /** Each record's data, after both its CRCs checked. */
  records: Buffer[];
  /** Bytes of an incomplete last record (header or data cut off); 0 when the file ends cleanly. */
  tailBytes: number;
}

/** Splits `bytes` into records; throws on any CRC mismatch, tolerates a cut-off last record. */
export function readRecords(bytes: Buffer): RecordsRead {
  const records: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 12) break;
    const lengthBytes = bytes.subarray(offset, offset + 8);
    const length = Number(lengthBytes.readBigUInt64LE(0));
    if (maskBitwise(crc32cBitwise(lengthBytes)) !== bytes.readUInt32LE(offset + 8)) {
      throw new Error(`length CRC mismatch in the record at byte ${offset}`);
    }
    if (bytes.length - offset < 12 + length + 4) break;
    const data = bytes.subarray(offset + 12, offset + 12 + length);
    if (maskBitwise(crc32cBitwise(data)) !== bytes.readUInt32LE(offset + 12 + length)) {
      throw new Error(`data CRC mismatch in the record at byte ${offset}`);
    }
    records.push(data);
    offset += 12 + length + 4;
  }
  return { records, tailBytes: bytes.length - offset };
}

/** One field of a protobuf message as it is on the wire. */
export interface WireField {
  number: number;
  wireType: 0 | 1 | 2 | 5;
  /** For varints. */
  varint?: bigint;
  /** For fixed64, fixed32 and length-delimited fields. */
  bytes?: Buffer;
}

/** Decodes the fields of one message, in order. */
export function decodeWire(message: Buffer): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (offset >= message.length) throw new Error('varint runs past the end of the message');
      const byte = message[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const take = (n: number): Buffer => {
    if (offset + n > message.length) throw new Error('field runs past the end of the message');
    offset += n;
    return message.subarray(offset - n, offset);
  };
  while (offset < message.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wireType = key & 7;
    if (wireType === 0) fields.push({ number, wireType, varint: varint() });
    else if (wireType === 1) fields.push({ number, wireType, bytes: take(8) });
    else if (wireType === 2) fields.push({ number, wireType, bytes: take(Number(varint())) });
    else if (wireType === 5) fields.push({ number, wireType, bytes: take(4) });
    else throw new Error(`unexpected wire type ${wireType} for field ${number}`);
  }
  return fields;
}

const first = (fields: WireField[], number: number) => fields.find((f) => f.number === number);
const all = (fields: WireField[], number: number) => fields.filter((f) => f.number === number);
const asDouble = (f?: WireField) => (f?.bytes ? f.bytes.readDoubleLE(0) : 0);
const asFloat = (f: WireField) => f.bytes!.readFloatLE(0);
const asInt = (f?: WireField) =>
  f?.varint !== undefined ? Number(BigInt.asIntN(64, f.varint)) : 0;
const asString = (f?: WireField) => (f?.bytes ? f.bytes.toString('utf8') : '');

/** Repeated doubles, packed (wire type 2) or not (wire type 1). */
function doubles(fields: WireField[], number: number): number[] {
  return all(fields, number).flatMap((f) => {
    if (f.wireType === 1) return [asDouble(f)];
    const values: number[] = [];
    for (let i = 0; i < f.bytes!.length; i += 8) values.push(f.bytes!.readDoubleLE(i));
    return values;
  });
}

export interface ReadImage {
  height: number;
  width: number;
  colorspace: number;
  encoded: Buffer;
}

export interface ReadHistogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

export interface ReadTensor {
  dtype: number;
  shape: number[];
  stringVal: Buffer[];
}

/** A Summary.Value. */
export interface ReadValue {
  tag: string;
  simpleValue?: number;
  image?: ReadImage;
  histogram?: ReadHistogram;
  tensor?: ReadTensor;
  pluginName?: string;
  pluginContent?: Buffer;
}

/** An Event. */
export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: ReadValue[];
}

/** Decodes an Event: wall_time 1, step 2, file_version 3, summary 5 (Summary.value 1). */
export function decodeEvent(data: Buffer): ReadEvent {
  const fields = decodeWire(data);
  const version = first(fields, 3);
  const summary = first(fields, 5);
  const values = summary
    ? all(decodeWire(summary.bytes!), 1).map((v) => decodeValue(v.bytes!))
    : [];
  return {
    wallTime: asDouble(first(fields, 1)),
    step: asInt(first(fields, 2)),
    fileVersion: version ? asString(version) : undefined,
    values,
  };
}

/** Summary.Value: tag 1, simple_value 2, image 4, histo 5, tensor 8, metadata 9. */
function decodeValue(data: Buffer): ReadValue {
  const fields = decodeWire(data);
  const value: ReadValue = { tag: asString(first(fields, 1)) };
  const simple = first(fields, 2);
  if (simple) value.simpleValue = asFloat(simple);
  const image = first(fields, 4);
  if (image) value.image = decodeImage(image.bytes!);
  const histo = first(fields, 5);
  if (histo) value.histogram = decodeHistogram(histo.bytes!);
  const tensor = first(fields, 8);
  if (tensor) value.tensor = decodeTensor(tensor.bytes!);
  const metadata = first(fields, 9);
  const pluginData = metadata && first(decodeWire(metadata.bytes!), 1);
  if (pluginData) {
    const plugin = decodeWire(pluginData.bytes!);
    value.pluginName = asString(first(plugin, 1));
    value.pluginContent = first(plugin, 2)?.bytes ?? Buffer.alloc(0);
  }
  return value;
}

/** Summary.Image: height 1, width 2, colorspace 3, encoded_image_string 4. */
function decodeImage(data: Buffer): ReadImage {
  const f = decodeWire(data);
  const encoded = first(f, 4)?.bytes ?? Buffer.alloc(0);
  return {
    height: asInt(first(f, 1)),
    width: asInt(first(f, 2)),
    colorspace: asInt(first(f, 3)),
    encoded,
  };
}

/** HistogramProto: min 1, max 2, num 3, sum 4, sum_squares 5, bucket_limit 6, bucket 7. */
function decodeHistogram(data: Buffer): ReadHistogram {
  const f = decodeWire(data);
  return {
    min: asDouble(first(f, 1)),
    max: asDouble(first(f, 2)),
    num: asDouble(first(f, 3)),
    sum: asDouble(first(f, 4)),
    sumSquares: asDouble(first(f, 5)),
    bucketLimit: doubles(f, 6),
    bucket: doubles(f, 7),
  };
}

/** TensorProto: dtype 1, tensor_shape 2 (TensorShapeProto.dim 2, Dim.size 1), string_val 8. */
function decodeTensor(data: Buffer): ReadTensor {
  const f = decodeWire(data);
  const shapeFields = first(f, 2) ? decodeWire(first(f, 2)!.bytes!) : [];
  const shape = all(shapeFields, 2).map((dim) => asInt(first(decodeWire(dim.bytes!), 1)));
  return { dtype: asInt(first(f, 1)), shape, stringVal: all(f, 8).map((s) => s.bytes!) };
}

/** What the HParams plugin's content holds, as far as these tests look. */
export interface ReadHParamsData {
  version: number;
  /** session_start_info (3): hparams map (1) of google.protobuf.Value, start_time_secs (5). */
  sessionStart?: { hparams: Record<string, string | number | boolean>; startTimeSecs: number };
  /** experiment (2): hparam_infos (4: name 1, type 4), metric_infos (5: name 1 -> tag 2). */
  experiment?: { hparams: { name: string; type: number }[]; metricTags: string[] };
}

/** Decodes HParamsPluginData: version 1, experiment 2, session_start_info 3. */
export function decodeHParamsData(content: Buffer): ReadHParamsData {
  const f = decodeWire(content);
  const result: ReadHParamsData = { version: asInt(first(f, 1)) };
  const start = first(f, 3);
  if (start) {
    const s = decodeWire(start.bytes!);
    const hparams: Record<string, string | number | boolean> = {};
    for (const entry of all(s, 1)) {
      const e = decodeWire(entry.bytes!);
      hparams[asString(first(e, 1))] = decodeProtobufValue(first(e, 2)?.bytes ?? Buffer.alloc(0));
    }
    result.sessionStart = { hparams, startTimeSecs: asDouble(first(s, 5)) };
  }
  const experiment = first(f, 2);
  if (experiment) {
    const e = decodeWire(experiment.bytes!);
    const hparams = all(e, 4).map((info) => {
      const i = decodeWire(info.bytes!);
      return { name: asString(first(i, 1)), type: asInt(first(i, 4)) };
    });
    const metricTags = all(e, 5).map((info) =>
      asString(first(decodeWire(first(decodeWire(info.bytes!), 1)!.bytes!), 2)),
    );
    result.experiment = { hparams, metricTags };
  }
  return result;
}

/** google.protobuf.Value: number_value 2 (double), string_value 3, bool_value 4. */
function decodeProtobufValue(data: Buffer): string | number | boolean {
  const f = decodeWire(data);
  if (first(f, 2)) return asDouble(first(f, 2));
  if (first(f, 3)) return asString(first(f, 3));
  if (first(f, 4)) return asInt(first(f, 4)) !== 0;
  throw new Error('google.protobuf.Value with no number, string or bool');
}

/** Reads and decodes every whole record of an event file. */
export function readEventFile(file: string): { events: ReadEvent[]; tailBytes: number } {
  const { records, tailBytes } = readRecords(fs.readFileSync(file));
  return { events: records.map(decodeEvent), tailBytes };
}
