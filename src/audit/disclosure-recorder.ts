/**
 * Collects, during one request, what was disclosed to whom: the schema coordinates that were
 * masked or denied, and the data subjects (customers) whose rows the disclosed fields came from. The audit log writes it before the response leaves.
 *
 * Subjects are gathered from the parent objects of disclosed fields: a customer row names
 * itself; rows that belong to a customer name it directly (customerId) or through their order,
 * shipment, payment verification or case, which `resolveSubjects` turns into customer ids with
 * one query. Orders,
 * shipments and cases the request itself read are remembered with their owner, so that query is
 * only needed for the ones it did not (a carrier's manifest that shows each order needs none).
 *
 * Whose data an object is comes from its table's declaration (policy/tables.ts).
 */
import { SUBJECT_OF } from '../policy/tables';

/** Where subjects are looked up: the data source, or the request's transaction once it is open. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/**
 * What a response disclosed beyond its data: kept with an idempotent response, so that its
 * replay is audited as the response itself was (idempotency/idempotency.ts).
 */
export interface DisclosureSnapshot {
  subjectIds: string[];
  masked: string[];
  denied: string[];
}

export type FieldDecision = 'disclosed' | 'masked' | 'denied';

/** What a recorder hands out for a set it never needed: empty, and never written (it is only ever read as a ReadonlySet). */
const NONE: ReadonlySet<string> = new Set<string>();
const NO_OWNERS: ReadonlyMap<string, string> = new Map<string, string>();

export class DisclosureRecorder {
  // Every set and map below is made when first written: most requests (a compiled read) write
  // none of them, and eleven empty ones a request were about 2 KB of its allocation.
  // What was disclosed is read off the response itself (audit-plugin.ts); masks and denials
  // leave no trace there, so they are recorded here.
  private maskedSet: Set<string> | undefined;
  private deniedSet: Set<string> | undefined;
  private customers: Set<string> | undefined;
  /**
   * The customer ids of compiled reads' rows, one list per statement, in row order with repeats:
   * kept as the lists they came in rather than added to `customers` id by id (a settlement page
   * names 100), since the audit record de-duplicates and sorts a list, and skips even that for
   * a list it has seen before.
   */
  private rowSubjects: string[][] | undefined;
  private orders: Set<string> | undefined;
  private shipments: Set<string> | undefined;
  private cases: Set<string> | undefined;
  private paymentVerifications: Set<string> | undefined;
  /** Owners of the rows this request read: order -> customer, shipment -> order, case -> customer. */
  private orderCustomer: Map<string, string> | undefined;
  private shipmentOrder: Map<string, string> | undefined;
  private caseCustomer: Map<string, string> | undefined;
  /** The subjects `resolveSubjects` found, once it has run. */
  private resolved: string[] | undefined;
  /** What a compiled read reported its `data` carries (`carriedByPlan`). */
  private reported: { data: object; coordinates: ReadonlySet<string> } | undefined;

  /**
   * A compiled read built `data`: these personal-data coordinates carry a value in it, as its
   * statement reports them (execution/read-plans.ts).
   */
  carriedByPlan(data: object, coordinates: ReadonlySet<string>): void {
    this.reported = { data, coordinates };
  }

  /**
   * The personal-data coordinates that carry a value in `data`, when a compiled read built that
   * very object and reported them; undefined otherwise: the response is then read for them
   * (response-coordinates.ts).
   */
  carriedIn(data: unknown): ReadonlySet<string> | undefined {
    return this.reported !== undefined && this.reported.data === data ? this.reported.coordinates : undefined;
  }

  /** The coordinates whose values were masked. */
  get masked(): ReadonlySet<string> {
    return this.maskedSet ?? NONE;
  }

  /** The coordinates that were denied (a field, an argument or a filter). */
  get denied(): ReadonlySet<string> {
    return this.deniedSet ?? NONE;
  }

  /** A coordinate's values were masked. */
  mask(coordinate: string): void {
    (this.maskedSet ??= new Set()).add(coordinate);
  }

  /** A coordinate was denied: the field's value, or an argument or filter refused (enforcement/argument-rules.ts). */
  deny(coordinate: string): void {
    (this.deniedSet ??= new Set()).add(coordinate);
  }

  /** Called for every field the policy decided on, with the object the field was read from. */
  field(typeName: string, fieldName: string, parent: unknown, decision: FieldDecision): void {
    if (decision === 'denied') {
      if (parent && typeof parent === 'object') this.learnOwner(typeName, parent as Record<string, unknown>);
      this.deny(`${typeName}.${fieldName}`);
      return;
    }
    if (decision === 'masked') this.mask(`${typeName}.${fieldName}`);
    this.object(typeName, parent);
  }

  /**
   * An object of `typeName` is being returned to the caller: its data subject is recorded.
   * (Operations that need no field rule record their objects this way; see enforcement/field-rules.ts.)
   */
  object(typeName: string, parent: unknown): void {
    if (!parent || typeof parent !== 'object') return;
    this.learnOwner(typeName, parent as Record<string, unknown>);
    const subject = SUBJECT_OF[typeName]?.(parent);
    if (!subject) return;
    if (subject.customerIds) for (const id of subject.customerIds) (this.customers ??= new Set()).add(id);
    if (subject.customerId) (this.customers ??= new Set()).add(subject.customerId);
    else if (subject.orderId) (this.orders ??= new Set()).add(subject.orderId);
    else if (subject.shipmentId) (this.shipments ??= new Set()).add(subject.shipmentId);
    else if (subject.caseId) (this.cases ??= new Set()).add(subject.caseId);
    else if (subject.paymentVerificationId) (this.paymentVerifications ??= new Set()).add(subject.paymentVerificationId);
  }

  /** A write touched this customer's data (mutations name their subject explicitly). */
  subject(customerId: string): void {
    (this.customers ??= new Set()).add(customerId);
  }

  /** A compiled read's rows belong to these customers: one id per row, in row order, repeats kept (execution/read-plans.ts). */
  subjectsOfRows(customerIds: string[]): void {
    if (customerIds.length > 0) (this.rowSubjects ??= []).push(customerIds);
  }

  /** A write touched the data of this order's customer (resolved with the other subjects). */
  subjectOfOrder(orderId: string): void {
    (this.orders ??= new Set()).add(orderId);
  }

  private learnOwner(typeName: string, p: Record<string, unknown>): void {
    const id = p.id;
    if (typeof id !== 'string') return;
    if (typeName === 'Order' && typeof p.customerId === 'string') (this.orderCustomer ??= new Map()).set(id, p.customerId);
    else if (typeName === 'Shipment' && typeof p.orderId === 'string') (this.shipmentOrder ??= new Map()).set(id, p.orderId);
    else if (typeName === 'AfterSalesCase' && typeof p.customerId === 'string') (this.caseCustomer ??= new Map()).set(id, p.customerId);
  }

  /**
   * What `resolveSubjects` answers when the request recorded nothing but one compiled read's rows
   * (a point read, a partner's page): that list, known without a query; undefined otherwise.
   */
  subjectsOfRowsOnly(): string[] | undefined {
    const rowSubjects = this.rowSubjects;
    const onlyRows =
      rowSubjects?.length === 1 && this.customers === undefined && this.orders === undefined && this.shipments === undefined && this.cases === undefined && this.paymentVerifications === undefined;
    return onlyRows ? (this.resolved = rowSubjects[0]!) : undefined;
  }

  /**
   * The customer ids whose data was disclosed, in the order first seen; at most one query. Not
   * sorted, and not always de-duplicated: the audit record does both, and skips them for a list
   * it has seen before. A request that recorded nothing but one compiled read's rows (a partner's
   * page) gets that list as the rows gave it, repeats included, with no set built for it; any
   * other gets each id once.
   */
  async resolveSubjects(db: Queryable): Promise<string[]> {
    const rows = this.subjectsOfRowsOnly();
    if (rows) return rows;
    const rowSubjects = this.rowSubjects ?? [];
    const subjects = new Set(this.customers);
    for (const list of rowSubjects) for (const id of list) subjects.add(id);
    const orders: string[] = [];
    const shipments: string[] = [];
    const cases: string[] = [];
    const orderCustomer = this.orderCustomer ?? NO_OWNERS;
    const shipmentOrder = this.shipmentOrder ?? NO_OWNERS;
    const caseCustomer = this.caseCustomer ?? NO_OWNERS;
    const ofOrder = (orderId: string) => {
      const customer = orderCustomer.get(orderId);
      if (customer) subjects.add(customer);
      else orders.push(orderId);
    };
    for (const orderId of this.orders ?? NONE) ofOrder(orderId);
    for (const shipmentId of this.shipments ?? NONE) {
      const orderId = shipmentOrder.get(shipmentId);
      if (orderId) ofOrder(orderId);
      else shipments.push(shipmentId);
    }
    for (const caseId of this.cases ?? NONE) {
      const customer = caseCustomer.get(caseId);
      if (customer) subjects.add(customer);
      else cases.push(caseId);
    }
    const payments = [...(this.paymentVerifications ?? NONE)];
    if (orders.length + shipments.length + cases.length + payments.length > 0) {
      const rows: Array<{ customer_id: string }> = await db.query(
        `SELECT customer_id FROM "order" WHERE id = ANY($1::uuid[])
         UNION SELECT o.customer_id FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE s.id = ANY($2::uuid[])
         UNION SELECT customer_id FROM after_sales_case WHERE id = ANY($3::uuid[])
         UNION SELECT o.customer_id FROM payment_verification p JOIN "order" o ON o.id = p.order_id WHERE p.id = ANY($4::uuid[])`,
        [orders, shipments, cases, payments],
      );
      for (const row of rows) subjects.add(row.customer_id);
    }
    this.resolved = [...subjects];
    return this.resolved;
  }

  /** What was recorded: the subjects as resolved (or as named, before that), each once, masks and denials. */
  snapshot(): DisclosureSnapshot {
    const subjects = this.resolved ?? [...(this.customers ?? NONE), ...(this.rowSubjects ?? []).flat()];
    return { subjectIds: [...new Set(subjects)], masked: [...this.masked], denied: [...this.denied] };
  }

  /** Records again what an earlier response disclosed (its idempotent replay). */
  replay(snapshot: DisclosureSnapshot): void {
    for (const id of snapshot.subjectIds) (this.customers ??= new Set()).add(id);
    for (const coordinate of snapshot.masked) this.mask(coordinate);
    for (const coordinate of snapshot.denied) this.deny(coordinate);
  }
}
