/**
 * Every field of every GraphQL object type, classified — the one place that says what kind of
 * data a field carries. The gateway refuses to start if a field of the schema is missing here,
 * or if this names a field the schema does not have (see `checkClassification`).
 *
 * - a data category (design §3): the field discloses data of that category;
 * - LINK: the field leads to other objects and carries no data itself; it is visible when the
 *   caller may see at least one data field of the type it leads to (the fields there decide).
 *   A link can give away more than its target: which platform an order was sold through tells
 *   its sales channel, which policy version it was placed under tells roughly when. Such a link
 *   names the categories it `reveals`, and is denied to a caller that does not see all of them
 *   (a link to partner or policy reference data must say what it reveals: nothing else decides it);
 * - STRUCTURE: ids and pagination scaffolding, visible wherever their parent is.
 *
 * A `mask` names how a field is shown when the matrix says its category is masked; a field
 * without one is withheld (denied) instead of masked.
 */
import { getNamedType, isObjectType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { DATA_CATEGORIES, type DataCategory } from './vocabulary';

export const LINK = 'LINK' as const;
export const STRUCTURE = 'STRUCTURE' as const;
/** Business reference data about partners and policy versions; not personal. */
export const REFERENCE = 'REFERENCE' as const;

export type FieldClass = DataCategory | typeof LINK | typeof STRUCTURE | typeof REFERENCE;
export type MaskKind = 'email' | 'phone' | 'street' | 'postal_code' | 'shown';

export interface FieldClassification {
  class: FieldClass;
  mask?: MaskKind;
  /** LINK only: the categories the link itself discloses about the object it starts from. */
  reveals?: readonly DataCategory[];
}

export type TypeClassification = Record<string, FieldClass | FieldClassification>;

const ADDRESS_FIELDS: TypeClassification = {
  recipientName: 'identity.recipient_name',
  line1: { class: 'contact.address', mask: 'street' },
  line2: { class: 'contact.address', mask: 'street' },
  city: { class: 'contact.address', mask: 'shown' },
  state: { class: 'contact.address', mask: 'shown' },
  postalCode: { class: 'contact.address', mask: 'postal_code' },
  country: { class: 'contact.address', mask: 'shown' },
  phone: { class: 'contact.phone', mask: 'phone' },
};

/**
 * The categories of a customer's data a privacy export holds in the clear (its sections:
 * privacy/handlers/registry.ts): every one but behaviour, which is never linked to a customer,
 * and the audit records and notifications about them, which are theirs by the right of access;
 * never the disclosure policy, which is about no customer.
 */
const PRIVACY_EXPORT_REVEALS: readonly DataCategory[] = DATA_CATEGORIES.filter(
  (c) => !['technical.behavior', 'technical.aggregate', 'audit.record', 'integration.webhook', 'integration.delivery', 'policy.disclosure'].includes(c),
);

export const CLASSIFICATION: Readonly<Record<string, TypeClassification>> = {
  Query: {
    customer: LINK,
    customers: LINK,
    order: LINK,
    orders: LINK,
    shipment: LINK,
    shipments: LINK,
    paymentVerification: LINK,
    paymentVerifications: LINK,
    afterSalesCase: LINK,
    afterSalesCases: LINK,
    behaviorEvents: LINK,
    behaviorAggregates: LINK,
    consentGrant: LINK,
    partner: LINK,
    partners: LINK,
    privacyRequests: LINK,
    privacyRequest: LINK,
    // The export is everything held about one customer, in the clear, in one string: whatever its
    // own fields' category, it discloses every category of the customer's data it holds, and is
    // for a caller who sees all of them (the customer themself, a compliance officer). The audit
    // records, notifications and holds about the customer are in it too, theirs by the right of
    // access (design §6), so they are not named here: the customer's row does not see them elsewhere.
    privacyExport: { class: LINK, reveals: PRIVACY_EXPORT_REVEALS },
    legalHolds: LINK,
    policyVersions: LINK,
    auditEvents: LINK,
    auditIntegrity: LINK,
    // What the next retention run would do: the report its dry run writes to the audit log.
    retentionPreview: LINK,
    webhookEndpoints: LINK,
    webhookDeliveries: LINK,
    webhookDelivery: LINK,
    // The whole disclosure matrix as JSON text (policy/report.ts), for the console's "Who sees what".
    disclosureMatrix: 'policy.disclosure',
  },
  Customer: {
    id: STRUCTURE,
    accountName: 'identity.account_name',
    email: { class: 'contact.email', mask: 'email' },
    phone: { class: 'contact.phone', mask: 'phone' },
    emergencyContactName: 'contact.emergency',
    emergencyContactPhone: { class: 'contact.emergency', mask: 'phone' },
    preferredLanguage: 'identity.account_name',
    status: 'identity.account_name',
    analyticsObjection: 'consent.record',
    createdAt: 'identity.account_name',
    addresses: LINK,
    orders: LINK,
    afterSalesCases: LINK,
    consentGrants: LINK,
    preferenceConsents: LINK,
    preferenceHistory: LINK,
    privacyRequests: LINK,
    legalHolds: LINK,
  },
  Address: { id: STRUCTURE, ...ADDRESS_FIELDS, isDefault: 'contact.address' },
  Order: {
    id: STRUCTURE,
    orderNumber: 'order.reference',
    channel: 'order.status',
    status: 'order.status',
    currency: 'order.financial',
    totalAmount: 'order.financial',
    placedAt: 'order.status',
    completedAt: 'order.status',
    // The retention schedule: compliance's to read (the customer's access export carries it too).
    retainUntil: 'audit.record',
    retentionAppliedAt: 'audit.record',
    customer: LINK,
    shippingAddress: LINK,
    customs: LINK,
    items: LINK,
    shipments: LINK,
    paymentVerifications: LINK,
    afterSalesCases: LINK,
    // The platform an order was sold through is its sales channel (Order.channel).
    platformPartner: { class: LINK, reveals: ['order.status'] },
    // The policy in force when the order was placed dates the order (Order.placedAt).
    policyVersion: { class: LINK, reveals: ['order.status'] },
  },
  ShippingAddress: ADDRESS_FIELDS,
  CustomsDeclaration: {
    contents: 'customs.declaration',
    declaredValue: 'customs.declaration',
    hsCodes: 'customs.declaration',
  },
  OrderItem: {
    id: STRUCTURE,
    position: 'order.items',
    sku: 'order.items',
    productName: 'order.items',
    quantity: 'order.items',
    unitPrice: 'order.financial',
    attributes: LINK,
  },
  ItemAttribute: { name: 'order.items', value: 'order.items' },
  Shipment: {
    id: STRUCTURE,
    trackingNumber: 'shipment.tracking',
    status: 'shipment.tracking',
    createdAt: 'shipment.tracking',
    deliveredAt: 'shipment.tracking',
    order: LINK,
    // Who carries a parcel is tracking information.
    carrier: { class: LINK, reveals: ['shipment.tracking'] },
    events: LINK,
  },
  ShipmentEvent: {
    id: STRUCTURE,
    occurredAt: 'shipment.tracking',
    location: 'shipment.tracking',
    description: 'shipment.tracking',
    status: 'shipment.tracking',
  },
  PaymentVerification: {
    id: STRUCTURE,
    providerReference: 'payment.settlement',
    method: 'order.financial',
    cardBrand: 'payment.settlement',
    cardLast4: 'payment.settlement',
    amount: 'order.financial',
    currency: 'order.financial',
    status: 'order.financial',
    paidAt: 'order.financial',
    settledAt: 'payment.settlement',
    settlementBatchRef: 'payment.settlement',
    createdAt: 'order.financial',
    order: LINK,
    // Which provider processed a payment is settlement information.
    provider: { class: LINK, reveals: ['payment.settlement'] },
  },
  AfterSalesCase: {
    id: STRUCTURE,
    type: 'communication.record',
    status: 'communication.record',
    subject: 'communication.content',
    openedAt: 'communication.record',
    closedAt: 'communication.record',
    customer: LINK,
    order: LINK,
    messages: LINK,
    attachments: LINK,
    records: LINK,
  },
  CaseMessage: { id: STRUCTURE, authorSide: 'communication.record', body: 'communication.content', sentAt: 'communication.record' },
  CaseAttachment: {
    id: STRUCTURE,
    kind: 'communication.content',
    contentType: 'communication.content',
    sizeBytes: 'communication.content',
    sha256: 'communication.content',
    uploadedAt: 'communication.content',
    // The link hands over the content itself.
    downloadUrl: 'communication.content',
  },
  CaseRecord: { id: STRUCTURE, action: 'communication.record', actor: 'communication.record', note: 'communication.record', recordedAt: 'communication.record' },
  BehaviorEvent: {
    id: STRUCTURE,
    visitorPseudonym: 'technical.behavior',
    ipPrefix: 'technical.behavior',
    deviceClass: 'technical.behavior',
    browserFamily: 'technical.behavior',
    language: 'technical.behavior',
    region: 'technical.behavior',
    page: 'technical.behavior',
    dwellMs: 'technical.behavior',
    clicks: 'technical.behavior',
    occurredAt: 'technical.behavior',
  },
  // Aggregates: counts and sums over cells of at least k visitors, never a row (domains/analytics).
  BehaviorAggregateReport: { minVisitorsPerCell: 'technical.aggregate', cells: LINK, totals: LINK },
  BehaviorCell: {
    day: 'technical.aggregate',
    groupedBy: 'technical.aggregate',
    page: 'technical.aggregate',
    deviceClass: 'technical.aggregate',
    browserFamily: 'technical.aggregate',
    language: 'technical.aggregate',
    region: 'technical.aggregate',
    suppressed: 'technical.aggregate',
    visitors: 'technical.aggregate',
    visits: 'technical.aggregate',
    dwellMs: 'technical.aggregate',
    clicks: 'technical.aggregate',
  },
  ConsentGrant: {
    id: STRUCTURE,
    categories: 'consent.grant',
    purpose: 'consent.grant',
    grantedAt: 'consent.grant',
    expiresAt: 'consent.grant',
    withdrawnAt: 'consent.grant',
    // Whom the customer authorized is a term of the grant.
    grantee: { class: LINK, reveals: ['consent.grant'] },
    customer: LINK,
  },
  PreferenceConsent: {
    id: STRUCTURE,
    category: 'consent.record',
    granted: 'consent.record',
    recordedAt: 'consent.record',
    recordedVia: 'consent.record',
    // The policy a choice was made under dates the choice.
    policyVersion: { class: LINK, reveals: ['consent.record'] },
  },
  PreferenceChoiceResult: { accepted: STRUCTURE, current: LINK },
  PrivacyRequest: {
    id: STRUCTURE,
    type: 'rights.request',
    status: 'rights.request',
    receivedAt: 'rights.request',
    verifiedAt: 'rights.request',
    dueAt: 'rights.request',
    completedAt: 'rights.request',
    handler: 'rights.request',
    resultSummary: 'rights.request',
    rejectionReason: 'rights.request',
    openedVia: 'rights.request',
    overdue: 'rights.request',
    // What may be done to it now follows from its type and status.
    actions: 'rights.request',
    result: 'rights.request',
    transitions: LINK,
    customer: LINK,
  },
  PrivacyRequestTransition: { id: STRUCTURE, fromStatus: 'rights.request', toStatus: 'rights.request', at: 'rights.request', actorKind: 'rights.request', note: 'rights.request' },
  // The answer to an access request: everything held about the customer, who saw it included.
  PrivacyExport: { requestId: STRUCTURE, format: 'rights.request', version: 'rights.request', generatedAt: 'rights.request', document: 'rights.request' },
  PrivacyExportLink: { url: 'rights.request', expiresAt: 'rights.request' },
  LegalHold: {
    id: STRUCTURE,
    scope: 'audit.record',
    reason: 'audit.record',
    caseReference: 'audit.record',
    placedBy: 'audit.record',
    placedAt: 'audit.record',
    releasedAt: 'audit.record',
    releasedBy: 'audit.record',
    customer: LINK,
    order: LINK,
  },
  Partner: { id: STRUCTURE, kind: REFERENCE, name: REFERENCE, status: REFERENCE },
  // A partner's own webhook integration (domains/webhooks): no customer's data, but deny by default.
  WebhookEndpoint: {
    id: STRUCTURE,
    url: 'integration.webhook',
    purpose: 'integration.webhook',
    createdAt: 'integration.webhook',
    secretRotatedAt: 'integration.webhook',
    previousSecretExpiresAt: 'integration.webhook',
    disabledAt: 'integration.webhook',
  },
  WebhookEndpointSecret: { endpoint: LINK, secret: 'integration.webhook' },
  // A notification about a customer's shipment or payment: the record that it was sent is about
  // that customer; how the partner's endpoint answered is about the partner's system.
  WebhookDelivery: {
    id: STRUCTURE,
    eventId: 'integration.delivery',
    eventType: 'integration.delivery',
    resourceId: 'integration.delivery',
    occurredAt: 'integration.delivery',
    status: 'integration.delivery',
    attempts: 'integration.delivery',
    nextAttemptAt: 'integration.webhook',
    lastAttemptAt: 'integration.delivery',
    lastResponseStatus: 'integration.webhook',
    lastError: 'integration.webhook',
    deliveredAt: 'integration.delivery',
    endpoint: LINK,
  },
  PolicyVersion: { id: STRUCTURE, version: REFERENCE, publishedAt: REFERENCE, effectiveAt: REFERENCE, sha256: REFERENCE },
  AuditEvent: {
    id: STRUCTURE,
    at: 'audit.record',
    requestId: 'audit.record',
    principalKind: 'audit.record',
    principalId: 'audit.record',
    roles: 'audit.record',
    partnerId: 'audit.record',
    customerId: 'audit.record',
    grantId: 'audit.record',
    purpose: 'audit.record',
    operationType: 'audit.record',
    operationName: 'audit.record',
    operationHash: 'audit.record',
    subjectIds: 'audit.record',
    disclosed: 'audit.record',
    masked: 'audit.record',
    denied: 'audit.record',
    outcome: 'audit.record',
    errorCodes: 'audit.record',
    legalCaseReference: 'audit.record',
    privacyRequestReference: 'audit.record',
    traceId: 'audit.record',
    flagged: 'audit.record',
    detail: 'audit.record',
    sealId: 'audit.record',
    hash: 'audit.record',
  },
  // Its own data field makes it reachable for those who see audit records (a type of links only is not).
  AuditIntegrity: { sealCount: 'audit.record', latestSeal: LINK, lastVerification: LINK },
  RetentionPreview: {
    available: 'audit.record',
    unavailableReason: 'audit.record',
    asOf: 'audit.record',
    ordersCompleted: 'audit.record',
    tables: LINK,
    auditMonthsPrepared: 'audit.record',
    auditMonthsDropped: 'audit.record',
    auditMonthsHeld: 'audit.record',
    ms: 'audit.record',
  },
  RetentionTableCounts: { table: 'audit.record', found: 'audit.record', anonymized: 'audit.record', deleted: 'audit.record', held: 'audit.record' },
  AuditSeal: { id: STRUCTURE, sealedAt: 'audit.record', eventCount: 'audit.record', merkleRoot: 'audit.record', hash: 'audit.record' },
  AuditVerificationResult: {
    id: STRUCTURE,
    verifiedAt: 'audit.record',
    verifiedBy: 'audit.record',
    intact: 'audit.record',
    events: 'audit.record',
    seals: 'audit.record',
    problemCount: 'audit.record',
    firstProblem: 'audit.record',
    headSealId: 'audit.record',
    headHash: 'audit.record',
    ms: 'audit.record',
  },
  PageInfo: { hasNextPage: STRUCTURE, hasPreviousPage: STRUCTURE, startCursor: STRUCTURE, endCursor: STRUCTURE },
  IngestResult: { accepted: STRUCTURE },
};

/** Connection and edge types are generated (`connectionOf`); their fields are scaffolding. */
export function isConnectionScaffolding(typeName: string): boolean {
  return /(Connection|Edge)$/.test(typeName);
}

export function classify(typeName: string, fieldName: string): FieldClassification | undefined {
  if (isConnectionScaffolding(typeName)) return { class: fieldName === 'nodes' || fieldName === 'node' || fieldName === 'edges' ? LINK : STRUCTURE };
  const entry = CLASSIFICATION[typeName]?.[fieldName];
  if (entry === undefined) return undefined;
  return typeof entry === 'string' ? { class: entry } : entry;
}

/**
 * Whether a field carries personal data: it is classified with a data category — not a link,
 * an id or paging field, nor reference data about partners. The audit log names these, and the
 * report says of these when row scope alone keeps them out.
 */
export function isPersonalData(c: FieldClassification | undefined): c is FieldClassification & { class: DataCategory } {
  return c !== undefined && c.class !== LINK && c.class !== STRUCTURE && c.class !== REFERENCE;
}

/** Whether a field carries data of its own, personal or reference (a contract admits a type for such a field). */
export function carriesData(c: FieldClassification | undefined): boolean {
  return c !== undefined && c.class !== LINK && c.class !== STRUCTURE;
}

/** Whether `Type.field` is a classified field of the schema (bounds the coordinates a metric may be labelled with). */
export function isClassifiedCoordinate(coordinate: string): boolean {
  const dot = coordinate.indexOf('.');
  return dot > 0 && classify(coordinate.slice(0, dot), coordinate.slice(dot + 1)) !== undefined;
}

/** The type a field leads to: the node type of a connection or edge, else the field's own named type. */
export function linkTarget(type: GraphQLNamedType): GraphQLObjectType | undefined {
  if (!isObjectType(type)) return undefined;
  if (!isConnectionScaffolding(type.name)) return type;
  const inner = type.getFields().node ?? type.getFields().nodes;
  return inner ? linkTarget(getNamedType(inner.type)) : undefined;
}

/** A type of reference data only (partners, policy versions): no field of it is personal data. */
export function isReferenceType(type: GraphQLObjectType, lookup: (typeName: string, fieldName: string) => FieldClassification | undefined = classify): boolean {
  return Object.values(type.getFields()).every((f) => {
    const c = lookup(type.name, f.name)?.class;
    return c === REFERENCE || c === STRUCTURE;
  });
}

const FIELD_CLASSES: ReadonlySet<string> = new Set([...DATA_CATEGORIES, LINK, STRUCTURE, REFERENCE]);
const MASK_KINDS: ReadonlySet<string> = new Set<MaskKind>(['email', 'phone', 'street', 'postal_code', 'shown']);

/**
 * Problems between the schema and the classification: unclassified fields, classified fields or
 * types the schema does not have, and classes or masks that do not exist. Empty means every
 * field is classified. Mutation fields are operations, governed by the matrix's operation table
 * instead. `classification` is a parameter so a test can hand in a broken one.
 */
export function checkClassification(
  schema: GraphQLSchema,
  classification: Readonly<Record<string, TypeClassification>> = CLASSIFICATION,
): string[] {
  const problems: string[] = [];
  const lookup = (typeName: string, fieldName: string): FieldClassification | undefined => {
    if (isConnectionScaffolding(typeName)) return classify(typeName, fieldName);
    const entry = classification[typeName]?.[fieldName];
    if (entry === undefined) return undefined;
    return typeof entry === 'string' ? { class: entry } : entry;
  };
  const types = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !t.name.startsWith('__') && t.name !== 'Mutation');
  for (const type of types) {
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const c = lookup(type.name, field.name);
      if (!c) {
        problems.push(`${type.name}.${field.name} is not classified (src/policy/classification.ts)`);
        continue;
      }
      const target = getNamedType(field.type);
      if (c.class === LINK && !isObjectType(target)) problems.push(`${type.name}.${field.name} is LINK but returns ${target.name}, not an object type`);
      // From a record, a link to reference data discloses only the relation: nothing but `reveals` decides it.
      const node = c.class === LINK ? linkTarget(target) : undefined;
      if (node && type.name !== 'Query' && !isConnectionScaffolding(type.name) && isReferenceType(node, lookup) && !c.reveals?.length) {
        problems.push(`${type.name}.${field.name} links to reference data (${node.name}): say which categories the relation reveals (reveals: [...])`);
      }
    }
  }
  for (const [typeName, fields] of Object.entries(classification)) {
    const type = schema.getType(typeName);
    if (!type || !isObjectType(type)) {
      problems.push(`classification names type ${typeName}, which the schema does not have`);
      continue;
    }
    for (const fieldName of Object.keys(fields)) {
      const coordinate = `${typeName}.${fieldName}`;
      if (!type.getFields()[fieldName]) problems.push(`classification names ${coordinate}, which the schema does not have`);
      const c = lookup(typeName, fieldName);
      if (c && !FIELD_CLASSES.has(c.class)) {
        problems.push(`${coordinate} is classified ${JSON.stringify(c.class)}: expected a data category (src/policy/vocabulary.ts), LINK, STRUCTURE or REFERENCE`);
      }
      if (c?.mask !== undefined && !MASK_KINDS.has(c.mask)) {
        problems.push(`${coordinate} has mask ${JSON.stringify(c.mask)}: expected one of ${[...MASK_KINDS].join(', ')}`);
      }
      if (c?.reveals !== undefined && c.class !== LINK) problems.push(`${coordinate} names what it reveals, but only a LINK reveals anything beyond its own category`);
      for (const category of c?.reveals ?? []) {
        if (!(DATA_CATEGORIES as readonly string[]).includes(category)) {
          problems.push(`${coordinate} reveals ${JSON.stringify(category)}, which is not a data category (src/policy/vocabulary.ts)`);
        }
      }
    }
  }
  return problems;
}
