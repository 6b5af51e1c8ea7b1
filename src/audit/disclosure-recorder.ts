/**
 * Collects, during one request, what was disclosed to whom: every schema coordinate that
 * resolved (disclosed), was masked or was denied, and the data subjects (customers) whose rows
 * those fields came from. The audit log writes it before the response leaves.
 *
 * Subjects are gathered from the parent objects of disclosed fields: a customer row names
 * itself; rows that belong to a customer name it directly (customerId) or through their order,
 * shipment or case, which `resolveSubjects` turns into customer ids with one query.
 */
import type { DataSource } from 'typeorm';

/** Embedded objects (a shipping snapshot, customs data, item attributes) carry their owning row here. */
export const OWNER = Symbol('owner');
export interface OwnerRef {
  orderId?: string;
}

export type FieldDecision = 'disclosed' | 'masked' | 'denied';

/** How to find the data subject of an object of each GraphQL type. */
const SUBJECT_OF: Record<string, (parent: any) => { customerId?: string; orderId?: string; shipmentId?: string; caseId?: string } | undefined> = {
  Customer: (p) => ({ customerId: p.id }),
  Address: (p) => ({ customerId: p.customerId }),
  Order: (p) => ({ customerId: p.customerId }),
  AfterSalesCase: (p) => ({ customerId: p.customerId }),
  ConsentGrant: (p) => ({ customerId: p.customerId }),
  PreferenceConsent: (p) => (p.customerId ? { customerId: p.customerId } : undefined),
  PrivacyRequest: (p) => ({ customerId: p.customerId }),
  LegalHold: (p) => (p.customerId ? { customerId: p.customerId } : { orderId: p.orderId }),
  OrderItem: (p) => ({ orderId: p.orderId }),
  Shipment: (p) => ({ orderId: p.orderId }),
  PaymentVerification: (p) => ({ orderId: p.orderId }),
  ShipmentEvent: (p) => ({ shipmentId: p.shipmentId }),
  CaseMessage: (p) => ({ caseId: p.caseId }),
  CaseAttachment: (p) => ({ caseId: p.caseId }),
  CaseRecord: (p) => ({ caseId: p.caseId }),
  ShippingAddress: (p) => p[OWNER],
  CustomsDeclaration: (p) => p[OWNER],
  ItemAttribute: (p) => p[OWNER],
};

export class DisclosureRecorder {
  readonly disclosed = new Set<string>();
  readonly masked = new Set<string>();
  readonly denied = new Set<string>();
  private readonly customers = new Set<string>();
  private readonly orders = new Set<string>();
  private readonly shipments = new Set<string>();
  private readonly cases = new Set<string>();

  /** Called for every field the policy decided on, with the object the field was read from. */
  field(typeName: string, fieldName: string, parent: unknown, decision: FieldDecision): void {
    const coordinate = `${typeName}.${fieldName}`;
    if (decision === 'denied') {
      this.denied.add(coordinate);
      return;
    }
    (decision === 'masked' ? this.masked : this.disclosed).add(coordinate);
    const subject = parent && typeof parent === 'object' ? SUBJECT_OF[typeName]?.(parent) : undefined;
    if (!subject) return;
    if (subject.customerId) this.customers.add(subject.customerId);
    else if (subject.orderId) this.orders.add(subject.orderId);
    else if (subject.shipmentId) this.shipments.add(subject.shipmentId);
    else if (subject.caseId) this.cases.add(subject.caseId);
  }

  /** A write touched this customer's data (mutations name their subject explicitly). */
  subject(customerId: string): void {
    this.customers.add(customerId);
  }

  /** The customer ids whose data was disclosed, sorted; at most one query. */
  async resolveSubjects(dataSource: DataSource): Promise<string[]> {
    const subjects = new Set(this.customers);
    if (this.orders.size + this.shipments.size + this.cases.size > 0) {
      const rows: Array<{ customer_id: string }> = await dataSource.query(
        `SELECT customer_id FROM "order" WHERE id = ANY($1::uuid[])
         UNION SELECT o.customer_id FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE s.id = ANY($2::uuid[])
         UNION SELECT customer_id FROM after_sales_case WHERE id = ANY($3::uuid[])`,
        [[...this.orders], [...this.shipments], [...this.cases]],
      );
      for (const row of rows) subjects.add(row.customer_id);
    }
    return [...subjects].sort();
  }
}
