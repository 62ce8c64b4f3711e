// safetensors: round trips, the byte layout the spec asks for, files that Python's torch reads and
// writes, and damaged files reported by name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { decodeSafetensors, encodeSafetensors } from './safetensors';
import { Tensor, fromBytes, tensor, tidy } from './tensor';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

/** bfloat16 bits of 1.5, -2, 0.25, 3 (the upper half of their float32 bits). */
const BF16_BITS = [0x3fc0, 0xc000, 0x3e80, 0x4040];

function sample(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ['weights.f32', tensor([1.5, -2.25, 3e-8, 1e20, 0, -0], [2, 3])],
    ['steps.i64', tensor(new BigInt64Array([0n, -1n, 2n ** 40n, 9007199254740993n]), [4])],
    ['pixels.u8', tensor(new Uint8Array([0, 17, 128, 255]), [2, 2])],
    ['half.bf16', fromBytes(new Uint8Array(new Uint16Array(BF16_BITS).buffer), [2, 2], 'bfloat16')],
    ['exact.f64', tensor(Float64Array.from([Math.PI, -1 / 3]), [2])],
    ['scalar.f32', tensor([7], [])],
  ]);
}

function parseLayout(buffer: Uint8Array): { length: number; header: Record<string, any> } {
  const view = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const length = Number(view.readBigUInt64LE(0));
  return { length, header: JSON.parse(view.subarray(8, 8 + length).toString('utf8')) };
}

test('round trip keeps dtype, shape and every byte: f32, i64, u8, bf16, f64, scalar', () =>
  tidy(() => {
    const original = sample();
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors(original, { step: '12' }));
    assert.deepEqual(metadata, { step: '12' });
    assert.deepEqual([...tensors.keys()].sort(), [...original.keys()].sort());
    for (const [name, t] of original) {
      const back = tensors.get(name)!;
      assert.equal(back.dtype, t.dtype, name);
      assert.deepEqual(back.shape, t.shape, name);
      assert.deepEqual(back.toBytes(), t.toBytes(), name);
    }
    assert.deepEqual(tensors.get('half.bf16')!.toArray(), [1.5, -2, 0.25, 3]);
    const big = new BigInt64Array(tensors.get('steps.i64')!.toBytes().buffer);
    assert.equal(big[3], 9007199254740993n);
  }));

test('bool and int32 tensors round trip too', () => tidy(() => {
  const original = new Map([
    ['mask', tensor(new Uint8Array([1, 0, 1]), [3], 'bool')],
    ['ids', tensor(new Int32Array([-5, 6]), [2])],
  ]);
  const { tensors } = decodeSafetensors(encodeSafetensors(original));
  assert.equal(tensors.get('mask')!.dtype, 'bool');
  assert.deepEqual(tensors.get('mask')!.toArray(), [1, 0, 1]);
  assert.deepEqual(tensors.get('ids')!.toArray(), [-5, 6]);
}));

test('layout: 8-byte LE header length, JSON header, contiguous offsets, aligned data', () =>
  tidy(() => {
    const tensors = sample();
    tensors.set('naïve→name', tensor([1])); // non-ASCII names must not break alignment
    const buffer = encodeSafetensors(tensors, { format: 'pt' });
    const { length, header } = parseLayout(buffer);
    assert.equal((8 + length) % 8, 0);
    assert.equal(buffer[8], '{'.charCodeAt(0));
    assert.deepEqual(header.__metadata__, { format: 'pt' });
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__')
      .sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0]);
    let expectedBegin = 0;
    const bytesPer: Record<string, number> = { F32: 4, I64: 8, U8: 1, BF16: 2, F64: 8 };
    for (const [name, entry] of entries) {
      assert.deepEqual(Object.keys(entry).sort(), ['data_offsets', 'dtype', 'shape'], name);
      const [begin, end] = entry.data_offsets;
      assert.equal(begin, expectedBegin, `${name} starts where the previous tensor ends`);
      const count = (entry.shape as number[]).reduce((a, b) => a * b, 1);
      assert.equal(end - begin, count * bytesPer[entry.dtype], name);
      expectedBegin = end;
    }
    assert.equal(expectedBegin, buffer.length - 8 - length, 'data fills the rest of the file');
    assert.deepEqual(header['weights.f32'], { dtype: 'F32', shape: [2, 3],
      data_offsets: header['weights.f32'].data_offsets });
    assert.equal(header['half.bf16'].dtype, 'BF16');
    assert.equal(header['steps.i64'].dtype, 'I64');
    assert.equal(header['pixels.u8'].dtype, 'U8');
  }));

test('damaged or truncated buffers give errors that name the source', () => tidy(() => {
  const good = encodeSafetensors(sample());
  const { length } = parseLayout(good);
  const withHeader = (json: string, data = Buffer.alloc(16)): Buffer => {
    const text = Buffer.from(json);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(text.length));
    return Buffer.concat([prefix, text, data]);
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /too short/],
    ['cut in the length', good.subarray(0, 5), /too short/],
    ['cut in the header', good.subarray(0, 8 + Math.floor(length / 2)), /header length/],
    ['cut in the data', good.subarray(0, good.length - 3), /damaged or truncated/],
    ['not JSON', withHeader('{"a": '), /not valid JSON/],
    ['not an object', withHeader('[1, 2]'), /not a JSON object/],
    ['entry not an object', withHeader('{"a": 5}'), /tensor a has/],
    ['unknown dtype', withHeader('{"a": {"dtype": "F8", "shape": [1], "data_offsets": [0, 1]}}'),
      /unsupported dtype F8/],
    ['negative offset',
      withHeader('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}'),
      /bad data_offsets/],
    ['offsets reversed',
      withHeader('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}'),
      /bad data_offsets/],
    ['size mismatch', withHeader('{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 4]}}'),
      /damaged or truncated/],
    ['bad shape', withHeader('{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}'),
      /bad shape/],
  ];
  for (const [what, bytes, message] of cases) {
    assert.throws(() => decodeSafetensors(bytes, 'ckpt/model.safetensors'), (error: Error) => {
      assert.match(error.message, /^ckpt\/model\.safetensors: /, what);
      assert.match(error.message, message, what);
      return true;
    });
  }
}));

function tempFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-st-')), name);
}

// Plain Python: struct + json + torch.frombuffer, so the test needs no safetensors package.
// Floats come back as JSON numbers (exact doubles), integers as strings (beyond 2^53 too).
const PY_READER = `
import json, struct, sys, torch
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
types = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'U8': torch.uint8,
         'BF16': torch.bfloat16}
out = {}
for name, e in header.items():
    if name == '__metadata__':
        continue
    b, en = e['data_offsets']
    chunk = bytearray(raw[8 + n + b: 8 + n + en])
    t = torch.frombuffer(chunk, dtype=types[e['dtype']]).reshape(e['shape']) if chunk else \\
        torch.empty(e['shape'], dtype=types[e['dtype']])
    out[name] = {'dtype': str(t.dtype), 'shape': list(t.shape),
                 'values': [v if isinstance(v, float) else str(v) for v in t.flatten().tolist()]}
out['__metadata__'] = header.get('__metadata__', {})
print(json.dumps(out))
`;

test('Python reads our file: same dtypes, shapes and values', { skip: !hasTorch && 'no torch' },
  () => tidy(() => {
    const file = tempFile('ours.safetensors');
    fs.writeFileSync(file, encodeSafetensors(sample(), { step: '3' }));
    const python = spawnSync(PYTHON, ['-c', PY_READER, file], { encoding: 'utf8' });
    assert.equal(python.status, 0, python.stderr);
    const read = JSON.parse(python.stdout);
    assert.deepEqual(read.__metadata__, { step: '3' });
    assert.deepEqual(read['weights.f32'], { dtype: 'torch.float32', shape: [2, 3],
      values: [1.5, -2.25, Math.fround(3e-8), Math.fround(1e20), 0, -0] });
    assert.deepEqual(read['steps.i64'].values, ['0', '-1', String(2 ** 40), '9007199254740993']);
    assert.deepEqual(read['pixels.u8'], { dtype: 'torch.uint8', shape: [2, 2],
      values: ['0', '17', '128', '255'] });
    assert.deepEqual(read['half.bf16'], { dtype: 'torch.bfloat16', shape: [2, 2],
      values: [1.5, -2, 0.25, 3] });
    assert.deepEqual(read['exact.f64'].values, [Math.PI, -1 / 3]);
    assert.deepEqual(read['scalar.f32'], { dtype: 'torch.float32', shape: [], values: [7] });
  }));

// Python writes a file by the spec with struct + json, from tensors it builds itself.
const PY_WRITER = `
import json, struct, sys, torch
tensors = {
  'a.f32': torch.tensor([[0.5, -1.0], [2.0, 1e-3]], dtype=torch.float32),
  'b.i64': torch.tensor([3, -7, 2**50], dtype=torch.int64),
  'c.u8': torch.tensor([9, 250], dtype=torch.uint8),
  'd.bf16': torch.tensor([1.5, -0.125, 256.0], dtype=torch.bfloat16),
}
header, blobs, offset = {'__metadata__': {'by': 'python'}}, [], 0
for name in sorted(tensors, reverse=True):  # any order is allowed
    t = tensors[name].contiguous()
    data = t.view(torch.uint8).numpy().tobytes() if t.numel() else b''
    header[name] = {'dtype': {torch.float32: 'F32', torch.int64: 'I64', torch.uint8: 'U8',
                              torch.bfloat16: 'BF16'}[t.dtype],
                    'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
text = json.dumps(header).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
`;

test('we read a file Python wrote by the spec', { skip: !hasTorch && 'no torch' }, () =>
  tidy(() => {
    const file = tempFile('theirs.safetensors');
    const python = spawnSync(PYTHON, ['-c', PY_WRITER, file], { encoding: 'utf8' });
    assert.equal(python.status, 0, python.stderr);
    const { tensors, metadata } = decodeSafetensors(fs.readFileSync(file), file);
    assert.deepEqual(metadata, { by: 'python' });
    const a = tensors.get('a.f32')!;
    assert.equal(a.dtype, 'float32');
    assert.deepEqual(a.shape, [2, 2]);
    assert.deepEqual(a.toArray(), [0.5, -1, 2, Math.fround(1e-3)]);
    const b = tensors.get('b.i64')!;
    assert.equal(b.dtype, 'int64');
    assert.deepEqual(Array.from(new BigInt64Array(b.toBytes().buffer)), [3n, -7n, 2n ** 50n]);
    assert.deepEqual(tensors.get('c.u8')!.toArray(), [9, 250]);
    const d = tensors.get('d.bf16')!;
    assert.equal(d.dtype, 'bfloat16');
    assert.deepEqual(d.toArray(), [1.5, -0.125, 256]);
  }));
