/**
 * Row scope: which rows of each table the caller may see, as SQL conditions. Every root field,
 * connection and DataLoader adds the condition for its table to its query, so a row outside the
 * scope is never read — it cannot be told from a row that does not exist: same response, same
 * statements. The scope comes from the caller's token and principal, never from an argument.
 * Each table's SQL per kind of scope is declared with the table, in tables.ts.
 */
import type { RowScopeKind } from './disclosure-matrix';
import { TABLES, type ScopeKind, type ScopeRule, type ScopedTable, type TableDeclaration } from './tables';

export interface SqlCondition {
  /** A boolean SQL expression over the table alias; parameters are named `:name`. */
  sql: string;
  params: Record<string, unknown>;
}

export interface RowScope {
  /** A short description for logs and the disclosure report. */
  readonly description: string;
  /**
   * What the text of its conditions and what it carries over depend on: its kinds, and whether it
   * reads restricted rows. Two scopes of the same shape give the same `condition(…).sql` and
   * `carriesOver` for every table, alias and link; only their parameters' values (`params`) differ.
   * A compiled read's template asks it once (read-plans.ts), not each table's condition.
   */
  readonly shape: string;
  /** The values of its conditions' `:name` parameters (the scope's subject); the same for every table. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The condition on `table` (aliased `alias`), or `undefined` when every row is in scope. */
  condition(table: ScopedTable, alias: string): SqlCondition | undefined;
  /**
   * Whether every `link` row tied to an in-scope row is in scope too (see ScopeLink), so a
   * query that reaches it from such a row may leave its condition out.
   */
  carriesOver(link: ScopeLink): boolean;
}

/**
 * A link along which scope can carry over, within one order: `shipment>order` is the order of a
 * shipment, `order>order_item` the items of an order, and so on.
 */
export type ScopeLink =
  | 'shipment>order'
  | 'payment_verification>order'
  | 'order>order_item'
  | 'order>shipment'
  | 'order>payment_verification';

export const UNRESTRICTED: RowScope = { description: 'all rows', shape: 'all rows', params: {}, condition: () => undefined, carriesOver: () => true };

/** The scope's subject: a partner id, a customer id, or (third parties) a customer and a grant. */
export interface ScopeSubject {
  partnerId?: string;
  customerId?: string;
  grantId?: string;
}

const NONE = 'FALSE';
/**
 * The links along which each kind's rules above carry scope over; each follows from the rules:
 * - own_shipments: an order is in scope when one of its shipments is, and an item when its order
 *   is; not order>shipment (another carrier's shipment of a split order stays out);
 * - own_payments: an order is in scope when one of its payments is (and when its checkout assigned
 *   the provider); not order>payment_verification (another provider's payment of the same order
 *   stays out);
 * - platform_orders, orders_paid_to_delivered and the customer kinds: every child is in scope
 *   exactly when its order is, so scope carries both ways between an order and its children.
 * A test checks each claim against the rules' SQL on the demo data.
 */
const LINKS: Record<ScopeKind, readonly ScopeLink[]> = {
  own_shipments: ['shipment>order', 'order>order_item'],
  own_payments: ['payment_verification>order'],
  platform_orders: ['payment_verification>order', 'order>order_item', 'order>payment_verification'],
  orders_paid_to_delivered: ['shipment>order', 'order>order_item', 'order>shipment'],
  self: ['shipment>order', 'payment_verification>order', 'order>order_item', 'order>shipment', 'order>payment_verification'],
  granted_customer: ['shipment>order', 'payment_verification>order', 'order>order_item', 'order>shipment', 'order>payment_verification'],
  page_views: [],
  none: [],
};

/** The SQL per table for each kind of scope, from the tables' declarations (tables.ts); a table missing from a kind's map is out of scope. */
const RULES = Object.fromEntries(
  (Object.keys(LINKS) as ScopeKind[]).map((kind) => [
    kind,
    Object.fromEntries(Object.entries(TABLES).flatMap(([table, d]) => {
      const rule = (d.scope as Partial<Record<ScopeKind, ScopeRule | 'all'>>)[kind];
      return rule === undefined ? [] : [[table, rule]];
    })),
  ]),
) as Record<ScopeKind, Partial<Record<ScopedTable, ScopeRule | 'all'>>>;

/**
 * Tables whose rows an erasure may keep, marked restricted (`restricted_at`; declared per table
 * in tables.ts): only a view that reads restricted rows (MatrixRow.readsRestricted) sees them;
 * for everyone else they are as rows that do not exist.
 */
export const RESTRICTABLE: ReadonlySet<ScopedTable> = new Set(
  (Object.entries(TABLES) as Array<[ScopedTable, TableDeclaration]>).filter(([, d]) => d.restrictable === true).map(([table]) => table),
);

const unrestricted = (alias: string): string => `${alias}.restricted_at IS NULL`;

/** Every row but restricted ones. */
const ALL_BUT_RESTRICTED: RowScope = {
  description: 'all rows but restricted ones',
  shape: 'all rows but restricted ones',
  params: {},
  condition: (table, alias) => (RESTRICTABLE.has(table) ? { sql: unrestricted(alias), params: {} } : undefined),
  carriesOver: () => true,
};

export function rowScope(kinds: readonly RowScopeKind[], subject: ScopeSubject, options: { readsRestricted?: boolean } = {}): RowScope {
  if (kinds.includes('all')) return options.readsRestricted ? UNRESTRICTED : ALL_BUT_RESTRICTED;
  const params: Record<string, unknown> = {};
  if (subject.partnerId) params.scopePartner = subject.partnerId;
  if (subject.customerId) params.scopeCustomer = subject.customerId;
  if (subject.grantId) params.scopeGrant = subject.grantId;
  const scoped = kinds as readonly ScopeKind[];
  const ruleSets = scoped.map((k) => RULES[k]);
  const description = kinds.join(' + ');
  return {
    description,
    // The kinds in order (their rules are OR-ed in this order), never 'all' here: no shape above.
    shape: options.readsRestricted ? `${description}, restricted rows too` : description,
    params,
    // Several kinds combine with OR: a row in scope is in scope by some kind, so the link must
    // carry over in every kind that lets rows of its first table in at all.
    carriesOver(link) {
      const from = link.slice(0, link.indexOf('>')) as ScopedTable;
      return scoped.every((k) => RULES[k][from] === undefined || LINKS[k].includes(link));
    },
    condition(table, alias) {
      const rules = ruleSets.map((set) => set[table]);
      if (rules.includes('all')) return options.readsRestricted ? undefined : ALL_BUT_RESTRICTED.condition(table, alias);
      const parts = rules.filter((r): r is ScopeRule => typeof r === 'function').map((r) => r(alias));
      if (parts.length === 0) return { sql: NONE, params: {} };
      const scoped = parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
      return { sql: RESTRICTABLE.has(table) && !options.readsRestricted ? `${scoped} AND ${unrestricted(alias)}` : scoped, params };
    },
  };
}

/** Whether a scope of these kinds can ever return a row of `table` (otherwise its condition is FALSE). */
export function scopeReaches(kinds: readonly RowScopeKind[], table: ScopedTable): boolean {
  return kinds.some((kind) => kind === 'all' || RULES[kind][table] !== undefined);
}

export function isRowScopeKind(value: string): value is RowScopeKind {
  return value === 'all' || Object.hasOwn(RULES, value);
}
