export { createCarrierClient, documentIdOf, type CarrierClientOptions } from './client';
export { fetchMorningManifest, type ManifestStop, type MorningManifest } from './manifest';
export { recordScans, type HandheldScan, type RecordScansOptions } from './scans';
export { withRetries, type RetryOptions } from './retry';

