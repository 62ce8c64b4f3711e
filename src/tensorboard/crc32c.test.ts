import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { crc32c, maskCrc, maskedCrc32c } from './crc32c';
import { crc32cBitwise, maskBitwise } from './reader.test-util';

// Test vectors from RFC 3720 (iSCSI), appendix B.4, plus the common check value.
const VECTORS: [string, Buffer, number][] = [
  ['"123456789"', Buffer.from('123456789', 'ascii'), 0xe3069283],
  ['empty', Buffer.alloc(0), 0x00000000],
  ['32 zero bytes', Buffer.alloc(32, 0x00), 0x8a9136aa],
  ['32 0xFF bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['32 ascending bytes', Buffer.from([...Array(32).keys()]), 0x46dd794e],
  ['32 descending bytes', Buffer.from([...Array(32).keys()].reverse()), 0x113fdb5c],
];

test('crc32c matches known test vectors', () => {
  for (const [name, bytes, expected] of VECTORS) {
    assert.equal(crc32c(bytes), expected, `crc32c(${name})`);
    assert.equal(crc32cBitwise(bytes), expected, `test reader's crc32c(${name})`);
  }
});

test('crc32c agrees with a bit-at-a-time CRC on random data of every length and offset', () => {
  const data = randomBytes(300);
  for (let start = 0; start < 5; start++) {
    for (let end = start; end <= data.length; end += 7) {
      assert.equal(
        crc32c(data, start, end),
        crc32cBitwise(data.subarray(start, end)),
        `[${start}, ${end})`,
      );
    }
  }
});

test('masking rotates right by 15 and adds 0xa282ead8', () => {
  assert.equal(maskCrc(0), 0xa282ead8);
  // 0x00008000 rotated right by 15 is 1.
  assert.equal(maskCrc(0x8000), 0xa282ead9);
  // The first record of every event file frames the 8-byte length 24 with masked CRC 0x224b7fa3.
  const length24 = Buffer.from([24, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(maskedCrc32c(length24), 0x224b7fa3);
  for (const crc of [0x12345678, 0xffffffff, 0x80000000, 0xe3069283])
    assert.equal(maskCrc(crc), maskBitwise(crc));
});
