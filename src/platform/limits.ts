/**
 * The limits a request must stay within, as values: enforced by hardening/operation-limits.ts
 * and the HTTP transport, and stated in every partner contract (policy/contract-notes.ts), so
 * the values live here, below both.
 */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
}

/** The largest request body taken (HTTP 413 PAYLOAD_TOO_LARGE beyond). */
export const MAX_BODY_BYTES = 100 * 1024;

export const DEFAULT_LIMITS: OperationLimits = Object.freeze({
  maxDepth: 8,
  maxAliases: 15,
  maxRootFields: 10,
  maxTokens: 1000,
  maxDirectives: 10,
  maxCost: 20_000,
});
