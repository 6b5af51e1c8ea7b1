/**
 * Where attachment content lives: a small key -> bytes store with two implementations, a local
 * directory (the default, under DATA_DIR, so the two-command start needs nothing else) and an
 * S3-compatible object store (so several replicas share one). The database row of an attachment
 * holds its key; keys are internal and never published.
 *
 * The contract both implementations keep (test/platform/blob-store.test.ts runs it on each):
 * - `put` stores a local file's bytes under a key, whole or not at all (a reader never sees a
 *   partial blob), replacing nothing: keys are written once;
 * - `get` streams a blob, or answers undefined when there is none;
 * - `delete` removes a blob and succeeds when there is none (erasure and sweeps may repeat);
 * - `list` yields every blob under a prefix with when it was written (the orphan sweep).
 */
import type { Readable } from 'node:stream';
import type { AttachmentConfig } from './config';
import { FileSystemBlobStore } from './blob-store-fs';
import { S3BlobStore } from './blob-store-s3';

export interface BlobInfo {
  key: string;
  writtenAt: Date;
}

export interface BlobStore {
  /** Where the blobs are, for logs: never credentials. */
  readonly description: string;
  put(key: string, file: string, size: number): Promise<void>;
  get(key: string): Promise<Readable | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<BlobInfo>;
}

/** Keys are lowercase paths of safe segments: nothing a file system or a URL could read two ways. */
const KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;
const MAX_KEY_LENGTH = 300;

/** Throws unless `key` is a key this store writes: `expected a key like ..., got ...`. */
export function getValidKey(key: unknown): string {
  if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH || !KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new TypeError(`blob store: expected a key of lowercase segments like after-sales/<case>/<id>, got ${JSON.stringify(key)}`);
  }
  return key;
}

export function createBlobStore(config: AttachmentConfig['store']): BlobStore {
  return config.kind === 'file' ? new FileSystemBlobStore(config.directory) : new S3BlobStore(config);
}
