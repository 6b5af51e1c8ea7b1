/**
 * Takes one uploaded file in, as a stream, and turns it into what may be stored — or refuses it
 * with a code, leaving nothing behind.
 *
 * 1. The body is written to a staging file while it is counted: past the kind's limit the upload
 *    stops at once (PAYLOAD_TOO_LARGE), as does a declared Content-Length over it.
 * 2. Its type is read from its first bytes (magic numbers, the file-type library), never from a
 *    header or a name; a type outside the kind's allowlist is refused (UNSUPPORTED_MEDIA_TYPE).
 * 3. A photo is decoded and encoded again by sharp, which writes no metadata it is not asked to:
 *    EXIF (GPS position, camera serial numbers, owner names), XMP and IPTC are gone, and the
 *    orientation EXIF asked for is applied to the pixels first so nothing turns sideways.
 *    Decoding also proves the bytes are the image they claim to be.
 * 4. The sha256 and size are of exactly what will be stored, computed while it streams.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { AttachmentKind } from './case-attachment.entity';

/** Content types accepted per kind, each recognised from the bytes. */
export const ACCEPTED_TYPES: Readonly<Record<AttachmentKind, readonly string[]>> = {
  [AttachmentKind.PHOTO]: ['image/jpeg', 'image/png', 'image/webp'],
  [AttachmentKind.VIDEO]: ['video/mp4', 'video/quicktime', 'video/webm'],
  [AttachmentKind.DOCUMENT]: ['application/pdf'],
};

/** File name extensions of the accepted types (downloads are named `<id>.<ext>`). */
export const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
  'application/pdf': 'pdf',
};

export type AttachmentLimits = Readonly<Record<AttachmentKind, number>>;

/** Photos larger than this many pixels are refused before they are decoded (a decompression bomb). */
const MAX_PHOTO_PIXELS = 100_000_000;
/** file-type reads at most this many bytes to recognise a type. */
const SNIFF_BYTES = 4100;

export type IntakeRefusalCode = 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'BAD_USER_INPUT';

/** An upload refused for what it is; `status` is the HTTP status to answer with. */
export class IntakeRefusal extends Error {
  override name = 'IntakeRefusal';
  constructor(
    readonly code: IntakeRefusalCode,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function tooLarge(kind: AttachmentKind, limit: number): IntakeRefusal {
  return new IntakeRefusal('PAYLOAD_TOO_LARGE', 413, `a ${kind} may be at most ${limit} bytes`);
}

/** What may be stored: a local file, its type, size and sha256. `discard` removes it. */
export interface StagedFile {
  file: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  discard(): Promise<void>;
}

/** Counts and hashes what passes; fails with PAYLOAD_TOO_LARGE past `limit` bytes. */
class MeasuringStream extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly over: (() => Error) | undefined, private readonly limit = Infinity) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit && this.over) {
      done(this.over());
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Re-encodes a photo without its metadata, in its own format. */
function photoWithoutMetadata(file: string, contentType: string): sharp.Sharp {
  const image = sharp(file, { limitInputPixels: MAX_PHOTO_PIXELS, failOn: 'error' }).rotate();
  switch (contentType) {
    case 'image/jpeg':
      return image.jpeg({ quality: 92 });
    case 'image/png':
      return image.png();
    default:
      return image.webp({ quality: 92 });
  }
}

/** Resolves once `stream` has closed its file (at once if it already has). */
function closed(stream: fs.WriteStream): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

/**
 * Streams `body` into `stagingDir` and checks it against `kind`'s limit and allowlist. Resolves
 * with what may be stored, or rejects — with an IntakeRefusal for the file's own faults — having
 * removed every staging file. A body refused before its end is left unread and paused.
 */
export async function stageUpload(body: Readable, kind: AttachmentKind, limit: number, stagingDir: string): Promise<StagedFile> {
  await fs.promises.mkdir(stagingDir, { recursive: true });
  const received = path.join(stagingDir, `${randomUUID()}.upload`);
  const files = [received];
  const discard = async () => {
    await Promise.all(files.map((f) => fs.promises.rm(f, { force: true })));
  };
  try {
    const measured = new MeasuringStream(() => tooLarge(kind, limit), limit);
    // `body` is piped, not put in the pipeline: a refusal must not destroy the request, whose
    // socket still has to carry the answer. It is left paused; the caller drains or closes it.
    // A body that fails (the client went away mid-upload) is the upload's fault, not the gateway's.
    const onBodyError = () => measured.destroy(new IntakeRefusal('BAD_USER_INPUT', 400, 'the upload was aborted before its end'));
    body.once('error', onBodyError);
    body.once('aborted', () => measured.destroy(new IntakeRefusal('BAD_USER_INPUT', 400, 'the upload was aborted before its end')));
    measured.once('error', () => body.unpipe(measured));
    body.pipe(measured);
    const sink = fs.createWriteStream(received, { flags: 'wx' });
    try {
      await pipeline(measured, sink);
    } finally {
      body.off('error', onBodyError);
      // A refusal can come while the file is still being opened: removing it before the stream has
      // closed would race the open, which then creates the file again after `discard`.
      await closed(sink);
    }
    if (measured.size === 0) throw new IntakeRefusal('BAD_USER_INPUT', 400, 'the upload is empty: send the file as the request body');
    const detected = await fileTypeFromBuffer(await readHead(received));
    const accepted = ACCEPTED_TYPES[kind];
    if (!detected || !accepted.includes(detected.mime)) {
      throw new IntakeRefusal(
        'UNSUPPORTED_MEDIA_TYPE',
        415,
        `a ${kind} must be one of ${accepted.join(', ')} (read from its content, whatever Content-Type says); this one is ${detected ? detected.mime : 'of no recognised type'}`,
      );
    }
    if (kind !== AttachmentKind.PHOTO) {
      return { file: received, contentType: detected.mime, sizeBytes: measured.size, sha256: measured.hash.digest('hex'), discard };
    }
    const cleaned = path.join(stagingDir, `${randomUUID()}.clean`);
    files.push(cleaned);
    const stored = new MeasuringStream(undefined);
    const cleanSink = fs.createWriteStream(cleaned, { flags: 'wx' });
    try {
      await pipeline(photoWithoutMetadata(received, detected.mime), stored, cleanSink);
    } catch {
      await closed(cleanSink);
      // sharp's message names staging paths: the caller hears only what was wrong with the file.
      throw new IntakeRefusal('UNSUPPORTED_MEDIA_TYPE', 415, `the photo starts like ${detected.mime} but could not be decoded as one`);
    }
    if (stored.size > limit) throw tooLarge(kind, limit);
    await fs.promises.rm(received, { force: true });
    return { file: cleaned, contentType: detected.mime, sizeBytes: stored.size, sha256: stored.hash.digest('hex'), discard };
  } catch (error) {
    await discard();
    throw error;
  }
}
