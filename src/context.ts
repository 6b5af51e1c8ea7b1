/**
 * Per-request state: who is asking and why, their row scope, and loaders built with that scope.
 * Resolvers and services hold no request state of their own.
 */
import type { DataSource } from 'typeorm';
import { DisclosureRecorder } from './audit/disclosure-recorder';
import type { Caller } from './auth/principal';
import { createLoaders, type Loaders } from './domains/loaders';
import type { Logger } from './platform/logger';
import type { PolicyView } from './policy/policy-view';
import type { RowScope } from './policy/row-scope';

export interface RequestContext {
  requestId: string;
  caller: Caller;
  /** What the caller may see, derived from the disclosure matrix. */
  policy: PolicyView;
  scope: RowScope;
  loaders: Loaders;
  /** What this request disclosed, masked and denied, and about whom: written to the audit log. */
  disclosures: DisclosureRecorder;
  dataSource: DataSource;
  logger: Logger;
  secrets: RequestSecrets;
  /** Purpose legal_compliance: the legal case the read is for (X-Legal-Case), stored on its audit event. */
  legalCaseReference?: string;
}

/** Keys resolvers need; never logged, never published. */
export interface RequestSecrets {
  /** Master secret of the daily visitor-pseudonym keys. */
  behaviorPseudonymKey: string;
}

export function createRequestContext(deps: {
  requestId: string;
  caller: Caller;
  policy: PolicyView;
  scope: RowScope;
  dataSource: DataSource;
  logger: Logger;
  secrets: RequestSecrets;
  legalCaseReference?: string;
}): RequestContext {
  return { ...deps, loaders: createLoaders(deps.dataSource, deps.scope), disclosures: new DisclosureRecorder() };
}
