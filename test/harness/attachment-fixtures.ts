/** Files for attachment tests, made here so that what they carry is known. */
import sharp from 'sharp';

/** A photo as a phone writes it: GPS position, camera serial number, owner, and an orientation. */
export async function photoWithGps(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 32, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'Phone Maker', Model: 'Phone 12' },
      IFD2: { BodySerialNumber: 'SN-99887766', CameraOwnerName: 'Jordan Example' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 2636/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 3984/100' },
    })
    .toBuffer();
}

/** The smallest PDF file-type recognises: its magic number and a trailer. */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
export const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
