/**
 * Blobs as files under one directory, a key being a relative path. A blob is copied to a
 * temporary file in the same directory tree, flushed, then renamed into place: a reader sees the
 * whole blob or none, and a crash leaves at most a temporary file (removed by `list`'s callers
 * through the sweep, since temporary files are never listed as blobs).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { getValidKey, type BlobInfo, type BlobStore } from './blob-store';

const TEMPORARY = '.incoming';

export class FileSystemBlobStore implements BlobStore {
  readonly description: string;

  constructor(private readonly root: string) {
    if (!path.isAbsolute(root)) throw new TypeError(`FileSystemBlobStore: expected an absolute directory, got ${JSON.stringify(root)}`);
    this.description = `directory ${root}`;
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...getValidKey(key).split('/'));
  }

  async put(key: string, file: string, size: number): Promise<void> {
    const target = this.pathOf(key);
    const incoming = path.join(this.root, TEMPORARY);
    await fs.promises.mkdir(incoming, { recursive: true });
    const temporary = path.join(incoming, randomUUID());
    try {
      await fs.promises.copyFile(file, temporary);
      const handle = await fs.promises.open(temporary, 'r+');
      try {
        const { size: copied } = await handle.stat();
        if (copied !== size) throw new Error(`FileSystemBlobStore.put: expected ${size} bytes, copied ${copied}`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      // Keys are written once: an existing blob is never replaced.
      await fs.promises.link(temporary, target);
    } finally {
      await fs.promises.rm(temporary, { force: true });
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.pathOf(key), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return handle.createReadStream();
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const walk = async function* (directory: string, relative: string): AsyncGenerator<BlobInfo> {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(directory, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name === TEMPORARY && relative === '') continue;
        const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
        const full = path.join(directory, entry.name);
        if (entry.isDirectory()) yield* walk(full, key);
        else if (entry.isFile() && key.startsWith(prefix)) yield { key, writtenAt: (await fs.promises.stat(full)).mtime };
      }
    };
    yield* walk(this.root, '');
  }
}
