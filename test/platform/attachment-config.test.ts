/** Where attachment content is kept and what an upload may be, as the environment says. */
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/platform/config';

const MIB = 1024 * 1024;

describe('attachment configuration', () => {
  it('keeps blobs in a directory under DATA_DIR unless told otherwise, with limits per kind', () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/var/lib/ntk' });
    expect(config.attachments).toEqual({
      store: { kind: 'file', directory: path.join('/var/lib/ntk', 'blobs') },
      maxBytes: { photo: 15 * MIB, video: 200 * MIB, document: 20 * MIB },
      linkTtlSeconds: 300,
    });
    expect(loadConfig({ NODE_ENV: 'test', BLOB_STORE_URL: 'file:///srv/blobs', ATTACHMENT_MAX_MB_PHOTO: '5' }).attachments).toMatchObject({
      store: { kind: 'file', directory: '/srv/blobs' },
      maxBytes: { photo: 5 * MIB },
    });
  });

  it('reads an S3-compatible bucket from BLOB_STORE_URL and the S3_ variables', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      BLOB_STORE_URL: 's3://proof-bucket/gateway/prod/',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
    });
    expect(config.attachments.store).toEqual({
      kind: 's3',
      bucket: 'proof-bucket',
      prefix: 'gateway/prod/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
    });
    expect(loadConfig({ NODE_ENV: 'test', BLOB_STORE_URL: 's3://proof-bucket' }).attachments.store).toMatchObject({ prefix: '', credentials: undefined, endpoint: undefined });
  });

  it('refuses what it cannot use, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', BLOB_STORE_URL: 'ftp://x' })).toThrow(new ConfigError('BLOB_STORE_URL: expected file:///directory or s3://bucket/prefix, got "ftp://x"'));
    expect(() => loadConfig({ NODE_ENV: 'test', BLOB_STORE_URL: 's3://A_B' })).toThrow(/^BLOB_STORE_URL: expected s3:\/\/bucket/);
    expect(() => loadConfig({ NODE_ENV: 'test', BLOB_STORE_URL: 's3://bucket', S3_ACCESS_KEY_ID: 'only-one' })).toThrow(/S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: set both/);
    expect(() => loadConfig({ NODE_ENV: 'test', BLOB_STORE_URL: 's3://bucket', S3_ENDPOINT: 'minio:9000' })).toThrow(/^S3_ENDPOINT: expected http/);
    expect(() => loadConfig({ NODE_ENV: 'test', ATTACHMENT_LINK_TTL_SECONDS: '86400' })).toThrow(/^ATTACHMENT_LINK_TTL_SECONDS: expected an integer from 10 to 3600/);
  });

  it('charges uploads to budgets per hour: 30 uploads and 1 GiB unless told, never less than the largest upload', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).rateLimits).toMatchObject({ uploadsPerHour: 30, uploadBytesPerHour: 1024 * MIB });
    expect(loadConfig({ NODE_ENV: 'test', RATE_LIMIT_UPLOADS_PER_HOUR: '5', RATE_LIMIT_UPLOAD_MB_PER_HOUR: '300' }).rateLimits).toMatchObject({ uploadsPerHour: 5, uploadBytesPerHour: 300 * MIB });
    // A 200 MiB video could never be uploaded under a budget of 100 MiB an hour.
    expect(() => loadConfig({ NODE_ENV: 'test', RATE_LIMIT_UPLOAD_MB_PER_HOUR: '100' })).toThrow(new ConfigError('RATE_LIMIT_UPLOAD_MB_PER_HOUR: expected an integer from 200 to 10000000, got "100"'));
    // Videos of up to 2000 MiB: the default budget grows to hold one.
    expect(loadConfig({ NODE_ENV: 'test', ATTACHMENT_MAX_MB_VIDEO: '2000' }).rateLimits.uploadBytesPerHour).toBe(2000 * MIB);
  });

  it('believes X-Forwarded-For only from the proxies TRUSTED_PROXIES names', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).trustedProxies).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'test', TRUSTED_PROXIES: 'loopback, 10.0.0.0/8' }).trustedProxies).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => loadConfig({ NODE_ENV: 'test', TRUSTED_PROXIES: 'the-proxy' })).toThrow(/^TRUSTED_PROXIES: expected comma-separated addresses/);
  });
});
