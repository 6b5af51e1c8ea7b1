/**
 * Every write of the schema as the policy sees it: whom it can act for, and which records it may
 * touch. WHO may call a write is decided by the disclosure matrix alone (`MatrixRow.operations`,
 * asked through `PolicyView.decide('Mutation', name)` by the field rules); resolvers only read the
 * acting partner or customer off the caller (auth/guards.ts). This table says what a write does
 * once called, so that start-up refuses a matrix granting a write to a principal it cannot act
 * for, and the report can say which records each write may target.
 *
 * The rule for all of them: the target is found inside the caller's row scope, in SQL (the same
 * scoped loaders reads use); a target outside the scope answers exactly as an id that does not
 * exist — same error, same statements — and nothing is written. Afterwards the caller can read
 * what it could read before, plus at most the records it wrote.
 */
import type { PrincipalKind } from './vocabulary';

export interface OperationPolicy {
  /** The kinds of principal the write can act for; staff rows grant it per role. */
  actors: readonly PrincipalKind[];
  /** The records it may target, in words for the report. */
  target: string;
}

export const OPERATIONS: Readonly<Record<string, OperationPolicy>> = {
  recordShipmentTracking: {
    actors: ['logistics_partner'],
    target: "a shipment in the caller's row scope (its own); any other shipment id answers NOT_FOUND, as one that does not exist",
  },
  recordShipmentEvents: {
    actors: ['logistics_partner'],
    target: "a shipment in the caller's row scope (its own); any other shipment id answers NOT_FOUND, as one that does not exist",
  },
  recordPaymentResult: {
    actors: ['payment_provider'],
    target:
      "an order in the caller's row scope: one whose checkout assigned this provider, or one it already holds a verification of; any other order id answers NOT_FOUND, as one that does not exist. The amount is in the order's currency; a result recorded again under the same reference updates only the fields it sends",
  },
  openAfterSalesCase: {
    actors: ['customer', 'staff'],
    target: "a customer's own case (customers), or a case for a customer in the caller's row scope (staff); an order it names must be one of that customer's orders in the row scope, else NOT_FOUND",
  },
  postCaseMessage: {
    actors: ['customer', 'staff'],
    target: "a case in the caller's row scope (a customer's own); any other case id answers NOT_FOUND",
  },
  attachCaseUpload: {
    actors: ['customer', 'staff'],
    target:
      "a file the caller itself uploaded (POST /attachments, to a case in its row scope, where this write is granted) and has not attached yet; any other upload id, someone else's or an expired one, answers NOT_FOUND, as one that does not exist",
  },
  updateAfterSalesCase: {
    actors: ['staff'],
    target: "a case in the caller's row scope; any other case id answers NOT_FOUND",
  },
  addCaseRecord: {
    actors: ['staff'],
    target: "a case in the caller's row scope; any other case id answers NOT_FOUND",
  },
  ingestBehaviorEvents: {
    actors: ['staff'],
    target:
      "new, desensitized page views only, and only those of visitors who consented to analytics (a customer's objection or refusal drops their session); it reads and changes nothing else, and its answer does not say what was kept",
  },
  grantConsent: {
    actors: ['customer'],
    target: 'a new consent grant of the caller\'s own, to an active third party; any other partner id answers NOT_FOUND, as one that does not exist',
  },
  withdrawConsent: {
    actors: ['customer'],
    target: "one of the caller's own consent grants; any other grant id answers NOT_FOUND, as one that does not exist",
  },
  placeLegalHold: {
    actors: ['staff'],
    target: "a new legal hold on a customer or an order in the caller's row scope, for the legal case of the request's X-Legal-Case header; any other id answers NOT_FOUND, as one that does not exist",
  },
  releaseLegalHold: {
    actors: ['staff'],
    target: "a legal hold in the caller's row scope; any other id answers NOT_FOUND, as one that does not exist",
  },
  recordPreferenceChoices: {
    actors: ['customer', 'staff'],
    target:
      "new cookie choices only: a customer's for themselves; the storefront's for a visitor (by that day's pseudonym) or for a signed-in customer it names — written only if that customer is active, with the same answer and statements either way",
  },
  submitPrivacyRequest: {
    actors: ['customer', 'staff'],
    target:
      "a new data-subject request about the caller themself (customers: any customer id other than their own is refused), or about a customer in the caller's row scope (customer service, on the customer's behalf); a consent withdrawal names only that customer's grants, else NOT_FOUND. At most PRIVACY_REQUESTS_PER_DAY requests per customer in 24 hours",
  },
  verifyPrivacyRequest: {
    actors: ['customer', 'staff'],
    target: "a privacy request in the caller's row scope (a customer's own) waiting for its code; any other request id answers NOT_FOUND, as one that does not exist",
  },
  resendPrivacyRequestCode: {
    actors: ['customer', 'staff'],
    target: "a privacy request in the caller's row scope waiting for its code; at most 5 codes per request, one a minute",
  },
  rectifyPersonalData: {
    actors: ['customer', 'staff'],
    target: "a verified rectification request in the caller's row scope; it writes that request's customer's contact data, address book and, when asked, the shipping snapshot of their orders not yet handed to the carrier",
  },
  createPrivacyExportLink: {
    actors: ['customer', 'staff'],
    target: "a completed access request in the caller's row scope (a customer's own; any other request id answers NOT_FOUND, as one that does not exist): a compliance officer makes the link to send the customer who asked",
  },
  assignPrivacyRequest: {
    actors: ['staff'],
    target: "a verified privacy request in the caller's row scope",
  },
  completePrivacyRequest: {
    actors: ['staff'],
    target: "a verified privacy request in the caller's row scope: carries it out (an erasure erases that request's customer, all or nothing)",
  },
  rejectPrivacyRequest: {
    actors: ['staff'],
    target: "a privacy request in the caller's row scope that is not yet completed or rejected",
  },
  verifyAuditLog: {
    actors: ['staff'],
    target: 'a new verification record of the audit log as a whole (who asked, when, what was found); it names no customer and changes no event or seal',
  },
  registerWebhookEndpoint: {
    actors: ['logistics_partner', 'payment_provider'],
    target: 'a new webhook endpoint of the caller\'s own partner, under the purpose of the request; its signing secret is answered once',
  },
  rotateWebhookSecret: {
    actors: ['logistics_partner', 'payment_provider'],
    target: "one of the caller's own webhook endpoints; any other endpoint id answers NOT_FOUND, as one that does not exist",
  },
  disableWebhookEndpoint: {
    actors: ['logistics_partner', 'payment_provider'],
    target: "one of the caller's own webhook endpoints, and its deliveries still pending; any other endpoint id answers NOT_FOUND",
  },
  redeliverWebhook: {
    actors: ['logistics_partner', 'payment_provider'],
    target: "one of the caller's own webhook deliveries, made due again; another partner's delivery id answers NOT_FOUND, as one that does not exist",
  },
};

/**
 * Writes that no row of the matrix grants, on purpose, each with the reason nobody may call
 * it. Start-up fails on a write that is neither granted by some row nor listed here.
 */
export const UNGRANTED_OPERATIONS: Readonly<Record<string, string>> = {};
