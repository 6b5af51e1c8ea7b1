/**
 * What an upload becomes before anything is stored: its type read from its bytes, its size held
 * to the kind's limit while it streams, a photo's identifying metadata gone, and the sha256 of
 * exactly what is kept. Refusals leave no staging file behind.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import exifr from 'exifr';
import sharp from 'sharp';
import { IntakeRefusal, stageUpload } from '../../src/domains/after-sales/attachment-intake';
import { AttachmentKind } from '../../src/domains/after-sales/case-attachment.entity';
import { HTML, PDF, photoWithGps } from '../harness/attachment-fixtures';

function chunked(bytes: Buffer, size = 1000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('stageUpload', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'intake-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const refusalOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IntakeRefusal);
    return error as IntakeRefusal;
  };

  it('removes GPS, serial numbers and the owner from a photo, and hashes what it keeps', async () => {
    const original = await photoWithGps();
    const before = await exifr.parse(original, { gps: true, tiff: true, exif: true });
    // The fixture really carries what must go.
    expect(before.latitude).toBeCloseTo(51.5073, 3);
    expect(before.SerialNumber).toBe('SN-99887766');
    expect(before.OwnerName).toBe('Jordan Example');
    expect(before.Orientation).toBe('Rotate 90 CW');

    const staged = await stageUpload(chunked(original), AttachmentKind.PHOTO, 1_000_000, dir);
    const kept = fs.readFileSync(staged.file);
    expect(staged.contentType).toBe('image/jpeg');
    expect(staged.sizeBytes).toBe(kept.length);
    expect(staged.sha256).toBe(sha256(kept));
    expect(await exifr.parse(kept, true)).toBeUndefined();
    expect(kept.includes(Buffer.from('SN-99887766'))).toBe(false);
    expect(kept.includes(Buffer.from('Jordan Example'))).toBe(false);
    // The orientation was applied to the pixels before it was dropped: 64x32 turned upright.
    expect(await sharp(kept).metadata()).toMatchObject({ width: 32, height: 64, format: 'jpeg' });
    await staged.discard();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('keeps a document as it came, with the sha256 of its bytes', async () => {
    const staged = await stageUpload(chunked(PDF, 7), AttachmentKind.DOCUMENT, 1_000_000, dir);
    expect(staged).toMatchObject({ contentType: 'application/pdf', sizeBytes: PDF.length, sha256: sha256(PDF) });
    expect(fs.readFileSync(staged.file).equals(PDF)).toBe(true);
    await staged.discard();
  });

  it('reads the type from the bytes: HTML is no photo, a PDF is no photo, a photo is no document', async () => {
    for (const [bytes, kind] of [
      [HTML, AttachmentKind.PHOTO],
      [PDF, AttachmentKind.PHOTO],
      [await photoWithGps(), AttachmentKind.DOCUMENT],
      [HTML, AttachmentKind.DOCUMENT],
    ] as const) {
      const refusal = await refusalOf(stageUpload(chunked(bytes), kind, 1_000_000, dir));
      expect(refusal).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a file that starts like a JPEG but is not one', async () => {
    const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x41)]);
    const refusal = await refusalOf(stageUpload(chunked(fake), AttachmentKind.PHOTO, 1_000_000, dir));
    expect(refusal).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
    expect(refusal.message).not.toContain(dir);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('stops reading past the limit and keeps nothing', async () => {
    let served = 0;
    // An endless body: the intake must stop it, not read it to the end.
    const endless = new Readable({
      read() {
        served += 1024;
        this.push(served === 1024 ? PDF : Buffer.alloc(1024, 0x20));
      },
    });
    const refusal = await refusalOf(stageUpload(endless, AttachmentKind.DOCUMENT, 10_000, dir));
    expect(refusal).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(served).toBeLessThan(100_000);
    endless.destroy();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses an empty upload', async () => {
    const refusal = await refusalOf(stageUpload(Readable.from([]), AttachmentKind.DOCUMENT, 10_000, dir));
    expect(refusal).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('treats a body that fails midway as an aborted upload, and keeps nothing', async () => {
    const failing = new Readable({
      read() {
        this.push(PDF);
        this.destroy(new Error('socket hang up'));
      },
    });
    const refusal = await refusalOf(stageUpload(failing, AttachmentKind.DOCUMENT, 10_000, dir));
    expect(refusal).toMatchObject({ code: 'BAD_USER_INPUT', message: 'the upload was aborted before its end' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
