/**
 * The GraphQL schema: every resolver, registered explicitly.
 */
import 'reflect-metadata';
import './domains/enums';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AuditEventResolver } from './audit/audit-event.resolver';
import { AuditIntegrityResolver } from './audit/audit-integrity.resolver';
import { AfterSalesCaseResolver } from './domains/after-sales/after-sales-case.resolver';
import { CaseAttachmentResolver } from './domains/after-sales/case-attachment.resolver';
import { AnalyticsResolver } from './domains/analytics/analytics.resolver';
import { BehaviorEventResolver } from './domains/behavior/behavior-event.resolver';
import { ConsentGrantResolver } from './domains/consent/consent-grant.resolver';
import { PreferenceConsentResolver } from './domains/consent/preference-consent.resolver';
import { CustomerResolver } from './domains/customers/customer.resolver';
import { LegalHoldResolver } from './domains/legal-holds/legal-hold.resolver';
import { OrderItemResolver, OrderResolver } from './domains/orders/order.resolver';
import { PartnerResolver } from './domains/partners/partner.resolver';
import { PaymentVerificationResolver } from './domains/payments/payment-verification.resolver';
import { DisclosureMatrixResolver } from './domains/policy-versions/disclosure-matrix.resolver';
import { PolicyVersionResolver } from './domains/policy-versions/policy-version.resolver';
import { PrivacyRequestResolver } from './domains/privacy-requests/privacy-request.resolver';
import { ShipmentResolver } from './domains/shipments/shipment.resolver';
import { RetentionPreviewResolver } from './retention/retention-preview.resolver';
import { WebhookEndpointSecretResolver, WebhookResolver } from './domains/webhooks/webhook.resolver';

export const RESOLVERS = [
  CustomerResolver,
  OrderResolver,
  OrderItemResolver,
  ShipmentResolver,
  PaymentVerificationResolver,
  AfterSalesCaseResolver,
  CaseAttachmentResolver,
  BehaviorEventResolver,
  AnalyticsResolver,
  PartnerResolver,
  ConsentGrantResolver,
  PreferenceConsentResolver,
  PrivacyRequestResolver,
  LegalHoldResolver,
  PolicyVersionResolver,
  DisclosureMatrixResolver,
  AuditEventResolver,
  AuditIntegrityResolver,
  RetentionPreviewResolver,
  WebhookResolver,
  WebhookEndpointSecretResolver,
] as const;

let built: Promise<GraphQLSchema> | undefined;

/** The full schema (built once per process; type-graphql metadata is global). */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [...RESOLVERS],
    validate: { forbidUnknownValues: false },
    emitSchemaFile: false,
  });
  return built;
}
