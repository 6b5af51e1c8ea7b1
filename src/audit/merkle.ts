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
import { createHash } from 'node:crypto';

export const ZERO_HASH = '0'.repeat(64);

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function leafHash(data: string): string {
  return createHash('sha256').update(Buffer.from([0])).update(data, 'utf8').digest('hex');
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

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
