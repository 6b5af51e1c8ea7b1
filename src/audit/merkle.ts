/**
 * The Merkle tree hash of RFC 6962 (Certificate Transparency) §2.1, over sha256:
 *
 *   leaf  = sha256(0x00 || data)
 *   node  = sha256(0x01 || left || right)
 *   MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n
 *
 * The 0x00 / 0x01 prefixes keep a leaf from passing for an inner node. Hashes travel as
 * lowercase hex.
 */
import { hash } from 'node:crypto';

export const ZERO_HASH = '0'.repeat(64);

// Node's one-shot `hash` (UTF-8 for strings): no Hash object and one call into OpenSSL per digest.

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** sha256(0x00 || UTF-8 of data): U+0000 is the one byte 0x00 in UTF-8, so the prefix goes in the string. */
export function leafHash(data: string): string {
  return hash('sha256', `\u0000${data}`, 'hex');
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return hash('sha256', Buffer.concat([NODE_PREFIX, left, right], 65), 'buffer');
}

const NODE_PREFIX = Buffer.from([1]);

function treeHash(leaves: readonly Buffer[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 1) return leaves[from]!;
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(treeHash(leaves, from, from + k), treeHash(leaves, from + k, to));
}

/** The root over leaf hashes (hex) in order. An empty list has no root: a seal always covers events. */
export function merkleRoot(leafHashes: readonly string[]): string {
  if (leafHashes.length === 0) throw new RangeError('merkleRoot: expected at least one leaf, got none');
  return treeHash(leafHashes.map((h) => Buffer.from(h, 'hex')), 0, leafHashes.length).toString('hex');
}
