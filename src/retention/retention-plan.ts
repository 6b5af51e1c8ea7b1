/**
 * What the retention job does per table, read from the privacy-handler registry (each handler's
 * `retention` plan) and nowhere else: a new table with personal data declares its plan there.
 *
 * Every table whose plan anonymizes or deletes must hang on an order or on an after-sales case:
 * its subject path (the way its rows reach a customer) passes through `order` or
 * `after_sales_case`, whose `retain_until` decides when its rows expire. From that path follows
 * the SQL that picks the rows of a batch of expired orders or cases. A plan whose table reaches
 * neither is refused when the plan is built (at the job's start, and in a test).
 */
import { PRIVACY_HANDLERS } from '../privacy/handlers/registry';
import type { PrivacyHandler, Replacement, RetentionPlan } from '../privacy/handlers/privacy-handler';

/** The records whose retention window decides: an order, or an after-sales case of no order. */
export type RetentionAnchor = 'order' | 'after_sales_case';

export interface RetentionStep {
  table: string;
  anchor: RetentionAnchor;
  plan: Exclude<RetentionPlan, { action: 'keep' }>;
  /** SQL over alias `t`: the row hangs on one of the anchor ids in the uuid[] parameter `param`. */
  rowsOf(param: string): string;
}

/** SQL: the row `alias` of `table` hangs on one of the `anchor` ids in `param`; undefined when its path never reaches the anchor. */
function pathToAnchor(handlers: ReadonlyMap<string, PrivacyHandler>, table: string, anchor: RetentionAnchor, alias: string, param: string, depth = 0): string | undefined {
  if (table === anchor) return `${alias}.id = ANY(${param})`;
  const subject = handlers.get(table)?.subject;
  if (!subject || subject.kind !== 'parent' || depth > 8) return undefined;
  if (subject.parent === anchor) return `${alias}.${subject.column} = ANY(${param})`;
  const inner = `a${depth + 1}`;
  const parent = pathToAnchor(handlers, subject.parent, anchor, inner, param, depth + 1);
  return parent && `${alias}.${subject.column} IN (SELECT ${inner}.id FROM "${subject.parent}" ${inner} WHERE ${parent})`;
}

/**
 * The steps of the job, children before the records they hang on (the reverse of the registry's
 * order, which lists a table after the one it refers to), so deletes never meet a reference.
 */
export function retentionSteps(handlers: readonly PrivacyHandler[] = PRIVACY_HANDLERS): RetentionStep[] {
  const byTable = new Map(handlers.map((h) => [h.table, h]));
  const steps: RetentionStep[] = [];
  for (const h of [...handlers].reverse()) {
    const plan = h.retention;
    if (!plan || plan.action === 'keep') continue;
    const anchor = (['order', 'after_sales_case'] as const).find((a) => pathToAnchor(byTable, h.table, a, 't', '$1') !== undefined);
    if (!anchor) {
      throw new Error(`retention plan of ${h.table}: its rows hang on no order or after-sales case (subject path), so nothing says when they expire`);
    }
    steps.push({ table: h.table, anchor, plan, rowsOf: (param) => pathToAnchor(byTable, h.table, anchor, 't', param)! });
  }
  return steps;
}

/** `column = value` assignments of an anonymize plan, values as parameters numbered from `firstParam`. */
export function assignments(columns: Readonly<Record<string, Replacement>>, firstParam: number): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const sql = Object.entries(columns)
    .map(([column, value]) => {
      if (value !== null && typeof value === 'object') return `${column} = (${value.sql})`;
      values.push(value);
      return `${column} = $${firstParam + values.length - 1}`;
    })
    .join(', ');
  return { sql, values };
}
