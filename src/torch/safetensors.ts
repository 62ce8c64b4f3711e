/**
 * Tensors to and from the safetensors format, so weights open in Python too:
 * 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`,
 * then the raw little-endian bytes of each tensor.
 */
import { DType, Tensor, fromBytes } from './tensor';

const TO_FILE: Partial<Record<DType, string>> = {
  float32: 'F32', float64: 'F64', bfloat16: 'BF16', int64: 'I64', int32: 'I32', uint8: 'U8',
  bool: 'BOOL',
};
const FROM_FILE: Record<string, DType> = Object.fromEntries(
  Object.entries(TO_FILE).map(([k, v]) => [v, k as DType]));
const BYTES_PER: Record<string, number> = { F32: 4, F64: 8, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };

/** Encodes named tensors (and optional string metadata) as one safetensors buffer. */
export function encodeSafetensors(tensors: Map<string, Tensor>,
  metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const dtype = TO_FILE[t.dtype];
    if (!dtype) throw new Error(`safetensors: cannot store ${name} of dtype ${t.dtype}`);
    const bytes = t.toBytes();
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([prefix, headerBytes, ...chunks]);
}

/** Decodes a safetensors buffer; every error names `source` and what is wrong. */
export function decodeSafetensors(buffer: Uint8Array, source = 'safetensors'):
  { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const header = readHeader(buffer, source);
  const dataStart = 8 + Number(Buffer.from(buffer.buffer, buffer.byteOffset, 8).readBigUInt64LE());
  const tensors = new Map<string, Tensor>();
  try {
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const { dtype, shape, data_offsets: [begin, end] } = entry as
        { dtype: string; shape: number[]; data_offsets: [number, number] };
      const type = FROM_FILE[dtype];
      const count = shape.reduce((a, b) => a * b, 1);
      if (!type || end - begin !== count * BYTES_PER[dtype] || dataStart + end > buffer.length) {
        throw new Error(`${source}: tensor ${name} (${dtype} [${shape}]) is damaged or truncated`);
      }
      tensors.set(name, fromBytes(buffer.subarray(dataStart + begin, dataStart + end), shape, type));
    }
  } catch (error) {
    for (const t of tensors.values()) t.dispose();
    throw error;
  }
  return { tensors, metadata: (header.__metadata__ ?? {}) as Record<string, string> };
}

function readHeader(buffer: Uint8Array, source: string): Record<string, unknown> {
  if (buffer.length < 8) throw new Error(`${source}: too short to be a safetensors file`);
  const length = Number(Buffer.from(buffer.buffer, buffer.byteOffset, 8).readBigUInt64LE());
  if (length > buffer.length - 8 || length > 100_000_000) {
    throw new Error(`${source}: header length ${length} exceeds the file; truncated or not safetensors`);
  }
  const text = Buffer.from(buffer.buffer, buffer.byteOffset + 8, length).toString('utf8');
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${source}: header is not valid JSON; the file is damaged`);
  }
}
