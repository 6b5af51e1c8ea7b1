/**
 * Blobs as objects of one bucket of an S3-compatible store (AWS S3, MinIO, Ceph, ...), through
 * the AWS SDK's S3 client, so replicas of the gateway share them. A key is the object name after
 * the configured prefix. With an endpoint of its own the store is addressed path-style
 * (`endpoint/bucket/key`), which every S3-compatible server understands.
 *
 * Checksums are sent and checked only where the protocol requires them: the SDK's default of
 * adding CRC32 trailers to every upload is not understood by many S3-compatible servers, and the
 * gateway checks each blob's sha256 itself.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, paginateListObjectsV2, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { getValidKey, type BlobInfo, type BlobStore } from './blob-store';
import type { AttachmentConfig } from './config';

type S3Config = Extract<AttachmentConfig['store'], { kind: 's3' }>;

const PUT_ATTEMPTS = 3;

function isTransient(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    return status >= 500 || status === 429 || error.$retryable !== undefined;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED';
}

export class S3BlobStore implements BlobStore {
  readonly description: string;
  private readonly client: S3Client;

  constructor(private readonly config: S3Config) {
    this.description = `s3 bucket ${config.bucket}${config.prefix ? ` under ${config.prefix}` : ''}${config.endpoint ? ` at ${config.endpoint}` : ''}`;
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private objectKey(key: string): string {
    return `${this.config.prefix}${getValidKey(key)}`;
  }

  /**
   * The SDK cannot send a stream twice, so it retries no upload: a failure the store calls
   * transient (a 5xx such as SlowDown, a throttle, a dropped connection) is tried again here, from
   * the file, up to PUT_ATTEMPTS times.
   */
  async put(key: string, file: string, size: number): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key), Body: fs.createReadStream(file), ContentLength: size }),
        );
        return;
      } catch (error) {
        if (attempt >= PUT_ATTEMPTS || !isTransient(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
      const body = object.Body;
      if (body instanceof Readable) return body;
      throw new Error('S3BlobStore.get: the SDK returned a body that is not a Node stream');
    } catch (error) {
      if (error instanceof NoSuchKey || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.config.bucket, Prefix: `${this.config.prefix}${prefix}` });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (!object.Key || !object.LastModified) continue;
        yield { key: object.Key.slice(this.config.prefix.length), writtenAt: object.LastModified };
      }
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }
}
