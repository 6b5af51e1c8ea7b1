/**
 * What a privacy handler declares about one table that holds personal data (design §6): how a
 * row reaches its customer, what of it an access export carries, what a rectification may
 * change, what erasure does to it and what the retention job does once it has expired. The
 * registry (registry.ts) holds one per table; registry-check.ts refuses to start when a table
 * with a customer reference or classified personal fields has none.
 *
 * Column names in plans are SQL names (snake_case, as the naming strategy writes them); export
 * fields are entity property paths (`shipping.recipientName`), because the export speaks the
 * names the GraphQL schema and the documentation use.
 */

/** How the rows of a table are found for one customer. */
export type SubjectPath =
  /** The customer row itself (`id` is the customer). */
  | { kind: 'self' }
  /** A column holding the customer id. */
  | { kind: 'column'; column: string }
  /** A column referring to a row of another registered table, which reaches the customer. */
  | { kind: 'parent'; column: string; parent: string }
  /** Any of several paths (a legal hold names a customer or an order). */
  | { kind: 'any'; paths: readonly SubjectPath[] }
  /** Hand-written SQL for a table whose subjects are not a foreign key (the audit log's subject sets). */
  | { kind: 'sql'; where: (alias: string, param: string) => string };

/** The value a column is overwritten with: a literal, or SQL over the row (alias `t`). */
export type Replacement = string | number | boolean | null | { sql: string };

/**
 * Which record's retention window and legal holds decide whether a row is kept at erasure:
 * - `order`: the order the row belongs to (reached through `column`, or the row itself when
 *   `column` is `id`) is inside its window (not completed, or completed or last after-sales case
 *   closed less than 3 years ago) or under a legal hold;
 * - `case`: the after-sales case the row belongs to is open or closed less than 3 years ago, or
 *   its order is kept;
 * - `customer`: any of the customer's records is kept, or the customer is under a legal hold.
 * `heldOnly` (an order anchor): kept while the order is under a legal hold, not for its retention
 * window — a row that is no record of the order itself (who was told of it), which the window does
 * not keep but a hold freezes.
 */
export type KeepWhile =
  /** `column` names the anchor's id: a column of the row, or SQL over alias `t` in parentheses. */
  | { anchor: 'order' | 'case'; column: string; heldOnly?: true }
  | { anchor: 'customer' };

export type ErasePlan =
  /** Overwrite the named columns; rows are kept (others refer to them, or they are records of a fact). */
  | { action: 'anonymize'; columns: Readonly<Record<string, Replacement>>; keepWhile?: KeepWhile }
  /** Remove the rows. */
  | { action: 'delete'; keepWhile?: KeepWhile }
  /**
   * Leave the rows as they are, and say why in the erasure's result; `restrictWhile`: rows whose
   * record is kept are marked restricted with it (an item of a kept order).
   */
  | { action: 'keep'; reason: string; restrictWhile?: KeepWhile };

/**
 * What the retention job (src/retention/) does to a row once the record it hangs on has passed
 * its retention window: the order it belongs to (`order.retain_until`), or the after-sales case
 * when the case belongs to no order (`after_sales_case.retain_until`). Which of the two a table
 * hangs on follows from its subject path; the job refuses a plan whose table reaches neither.
 * `keep`: the retention job leaves the rows alone, and says why (they expire another way).
 */
export type RetentionPlan =
  | { action: 'anonymize'; columns: Readonly<Record<string, Replacement>> }
  | { action: 'delete' }
  | { action: 'keep'; reason: string };

export interface ExportPlan {
  /** The key of the section in the export document (docs/privacy-export.md). */
  section: string;
  /** Entity property paths exported; an embedded object's fields as `shipping.recipientName`. */
  fields: readonly string[];
  /** Properties held but not exported, each with why (a storage location is not data about the customer). */
  withheld?: Readonly<Record<string, string>>;
  /** How rows of the section are ordered: SQL over alias `t`. */
  orderBy: string;
  /**
   * Exported fields whose value is not (always) in the row's own column, each as SQL over alias
   * `t`: the audit log's coordinate lists, kept in the coordinate set the event names.
   */
  read?: Readonly<Record<string, (alias: string) => string>>;
}

/** A field a customer may correct: the GraphQL input name and the column it writes. */
export interface RectifiableField {
  input: string;
  column: string;
}

export interface PrivacyHandler {
  /** The SQL table. */
  table: string;
  /** The entity class (as registered in data-source.ts). */
  entity: Function;
  /** The GraphQL object types whose fields publish this table's rows (embedded objects included). */
  types: readonly string[];
  subject: SubjectPath;
  export: ExportPlan;
  rectify?: readonly RectifiableField[];
  erase: ErasePlan;
  /** Null until the retention schedule says what happens to the table's expired rows. */
  retention: RetentionPlan | null;
}

/** A table that holds no personal data reachable from a customer, and why. */
export interface NotPersonal {
  table: string;
  entity: Function;
  /** GraphQL types published from this table, if any. */
  types: readonly string[];
  reason: string;
}

/**
 * The SQL condition that a row `alias` of `table` belongs to the customer `param` (a
 * placeholder such as `$1`). Parent paths become nested `IN (SELECT ...)`, so the condition
 * works in SELECT, UPDATE and DELETE alike.
 */
export function subjectCondition(handlers: ReadonlyMap<string, PrivacyHandler>, table: string, alias: string, param: string, depth = 0): string {
  const handler = handlers.get(table);
  if (!handler) throw new Error(`no privacy handler for table ${table}`);
  if (depth > 8) throw new Error(`the subject path of ${table} does not reach a customer within 8 steps`);
  const walk = (path: SubjectPath): string => {
    switch (path.kind) {
      case 'self':
        return `${alias}.id = ${param}`;
      case 'column':
        return `${alias}.${path.column} = ${param}`;
      case 'parent': {
        const inner = `p${depth + 1}`;
        return `${alias}.${path.column} IN (SELECT ${inner}.id FROM "${path.parent}" ${inner} WHERE ${subjectCondition(handlers, path.parent, inner, param, depth + 1)})`;
      }
      case 'any':
        return `(${path.paths.map(walk).join(' OR ')})`;
      case 'sql':
        return path.where(alias, param);
    }
  };
  return walk(handler.subject);
}
