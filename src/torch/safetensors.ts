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
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad with spaces (the spec allows it) so the data starts 8-byte aligned; count UTF-8 bytes,
  // not characters, or a non-ASCII tensor name would break the alignment.
  const headerBytes = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
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
      const { dtype, shape, begin, end } = checkEntry(entry, name, source);
      const count = shape.reduce((a, b) => a * b, 1);
      if (end - begin !== count * BYTES_PER[dtype] || dataStart + end > buffer.length) {
        throw new Error(`${source}: tensor ${name} (${dtype} [${shape}]) is damaged or truncated`);
      }
      tensors.set(name, fromBytes(buffer.subarray(dataStart + begin, dataStart + end), shape,
        FROM_FILE[dtype]));
    }
  } catch (error) {
    for (const t of tensors.values()) t.dispose();
    throw error;
  }
  return { tensors, metadata: (header.__metadata__ ?? {}) as Record<string, string> };
}

/** One header entry, checked field by field so a damaged header is named, not a TypeError. */
function checkEntry(entry: unknown, name: string, source: string):
  { dtype: string; shape: number[]; begin: number; end: number } {
  const fail = (what: string): never => {
    throw new Error(`${source}: tensor ${name} has ${what}; the header is damaged`);
  };
  if (entry === null || typeof entry !== 'object') return fail('no {dtype, shape, data_offsets}');
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (typeof dtype !== 'string' || !FROM_FILE[dtype]) return fail(`unsupported dtype ${dtype}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`a bad shape ${shape}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) ||
    offsets[0] > offsets[1]) {
    return fail(`bad data_offsets ${JSON.stringify(offsets)}`);
  }
  return { dtype, shape, begin: offsets[0], end: offsets[1] };
}

function readHeader(buffer: Uint8Array, source: string): Record<string, unknown> {
  if (buffer.length < 8) throw new Error(`${source}: too short to be a safetensors file`);
  const length = Number(Buffer.from(buffer.buffer, buffer.byteOffset, 8).readBigUInt64LE());
  if (length > buffer.length - 8 || length > 100_000_000) {
    throw new Error(
      `${source}: header length ${length} exceeds the file; truncated or not safetensors`);
  }
  const text = Buffer.from(buffer.buffer, buffer.byteOffset + 8, length).toString('utf8');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw new Error(`${source}: header is not valid JSON; the file is damaged`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new Error(`${source}: header is not a JSON object; the file is damaged`);
  }
  return header as Record<string, unknown>;
}
