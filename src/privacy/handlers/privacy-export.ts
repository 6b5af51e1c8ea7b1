/**
 * The access export (design §6): everything held about one customer, as one JSON document built
 * from the privacy-handler registry — a section per table, each row with the fields its handler
 * exports (and never the fields it withholds). The format is versioned and documented in
 * docs/privacy-export.md; a consumer must check `format` and `version`.
 */
import type { Queryable } from '../../audit/disclosure-recorder';
import { entityShape } from './entity-shape';
import { subjectCondition, type PrivacyHandler } from './privacy-handler';
import { HANDLERS_BY_TABLE, PRIVACY_HANDLERS } from './registry';

export const EXPORT_FORMAT = 'need-to-know/privacy-export';
export const EXPORT_VERSION = 1;

export interface PrivacyExportDocument {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  generatedAt: string;
  customerId: string;
  /** The access request the export answers. */
  requestId: string;
  /** One array per section, rows in the section's order; a section with no rows is an empty array. */
  sections: Record<string, Array<Record<string, unknown>>>;
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  return value;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const dot = path.indexOf('.');
  if (dot < 0) {
    target[path] = value;
    return;
  }
  const head = path.slice(0, dot);
  const inner = (target[head] ??= {}) as Record<string, unknown>;
  setPath(inner, path.slice(dot + 1), value);
}

/** The rows of one handler's section for `customerId`. */
export async function exportSection(db: Queryable, handler: PrivacyHandler, customerId: string, handlers: ReadonlyMap<string, PrivacyHandler> = HANDLERS_BY_TABLE): Promise<Array<Record<string, unknown>>> {
  const shape = entityShape(handler.entity);
  const select = handler.export.fields
    .map((field, i) => {
      const at = shape.properties.indexOf(field);
      if (at < 0) throw new Error(`privacy handler ${handler.table}: export names ${field}, which the entity does not have`);
      const read = handler.export.read?.[field];
      return `${read ? read('t') : `t."${shape.columns[at]}"`} AS "f${i}"`;
    })
    .join(', ');
  const rows: Array<Record<string, unknown>> = await db.query(
    `SELECT ${select} FROM "${handler.table}" t WHERE ${subjectCondition(handlers, handler.table, 't', '$1')} ORDER BY ${handler.export.orderBy}`,
    [customerId],
  );
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    handler.export.fields.forEach((field, i) => setPath(out, field, jsonValue(row[`f${i}`])));
    return out;
  });
}

/** The whole export: one statement per section, read through `db` (the request's transaction, so it is consistent with what the request wrote). */
export async function buildPrivacyExport(
  db: Queryable,
  subject: { customerId: string; requestId: string },
  at: Date,
  handlers: readonly PrivacyHandler[] = PRIVACY_HANDLERS,
): Promise<PrivacyExportDocument> {
  const sections: Record<string, Array<Record<string, unknown>>> = {};
  for (const handler of handlers) sections[handler.export.section] = await exportSection(db, handler, subject.customerId);
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, generatedAt: at.toISOString(), customerId: subject.customerId, requestId: subject.requestId, sections };
}
