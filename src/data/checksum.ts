/**
 * The data cache's checksum: CRC-32C (Castagnoli) of each 256 KiB block, then CRC-32C of those
 * block checksums. Blocks let the native side sum three at once with the CPU's CRC-32C
 * instruction (over 20 GB/s, so a cache hit stays fast); any damaged byte changes its block's
 * checksum and so the whole. Without the binding the same sums are done here, byte by byte.
 */
import { imageBinding } from './native';

/** Bytes per block (a multiple of 8, as the native side requires). */
export const CHECKSUM_BLOCK = 256 * 1024;

/** CRC-32C's lookup table, reflected polynomial 0x82F63B78. */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[byte] = crc;
  }
  return table;
})();

/** CRC-32C of `bytes`, as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  let crc = ~0;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * CRC-32C of each `block` bytes of `bytes`; the last block may be shorter. With the binding the
 * blocks are shared out over `threads` threads.
 */
export function blockCrcs(bytes: Uint8Array, block = CHECKSUM_BLOCK, threads = 1): Uint32Array {
  const native = imageBinding();
  if (native) return native.crc32cBlocks(bytes, block, threads);
  const crcs = new Uint32Array(Math.ceil(bytes.length / block));
  for (let i = 0; i < crcs.length; i++) {
    crcs[i] = crc32c(bytes.subarray(i * block, (i + 1) * block));
  }
  return crcs;
}

/** The cache checksum of `bytes`: CRC-32C of its block checksums (little-endian uint32s). */
export function checksum(bytes: Uint8Array, threads = 1): number {
  return checksumOfBlocks(blockCrcs(bytes, CHECKSUM_BLOCK, threads));
}

/** The cache checksum from the block checksums of its bytes (blockCrcs). */
export function checksumOfBlocks(crcs: Uint32Array): number {
  const packed = Buffer.alloc(crcs.length * 4);
  crcs.forEach((crc, i) => packed.writeUInt32LE(crc, i * 4));
  return crc32c(packed);
}
