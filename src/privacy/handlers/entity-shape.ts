/**
 * What the privacy handlers need to know of an entity, read from TypeORM's decorator metadata
 * (no data source needed): its table, its properties with their SQL columns, and the tables it
 * refers to.
 */
import { getMetadataArgsStorage } from 'typeorm';
import { snakeCase } from '../../platform/naming-strategy';

export interface EntityShape {
  table: string;
  /** Entity property paths (`shipping.recipientName` for an embedded column). */
  properties: string[];
  /** SQL column names. */
  columns: string[];
  /** Tables this one refers to by a many-to-one relation. */
  refersTo: string[];
}

/** The table, properties, columns and references of an entity, from TypeORM's decorator metadata. */
export function entityShape(entity: Function): EntityShape {
  const storage = getMetadataArgsStorage();
  const tableArgs = storage.tables.find((t) => t.target === entity);
  const table = tableArgs?.name ?? snakeCase(entity.name.replace(/Entity$/, ''));
  const properties: string[] = [];
  const columns: string[] = [];
  for (const c of storage.filterColumns(entity)) {
    properties.push(c.propertyName);
    columns.push(c.options.name ?? snakeCase(c.propertyName));
  }
  for (const e of storage.filterEmbeddeds(entity)) {
    const embedded = e.type() as Function;
    const prefix = typeof e.prefix === 'string' ? e.prefix : e.prefix === false ? '' : e.propertyName;
    for (const c of storage.filterColumns(embedded)) {
      properties.push(`${e.propertyName}.${c.propertyName}`);
      columns.push(snakeCase([prefix, c.options.name ?? c.propertyName].filter(Boolean).join('_')));
    }
  }
  const refersTo = storage
    .filterRelations(entity)
    .filter((r) => r.relationType === 'many-to-one')
    .map((r) => {
      const target = (r.type as () => Function)();
      return storage.tables.find((t) => t.target === target)?.name ?? snakeCase(target.name.replace(/Entity$/, ''));
    });
  return { table, properties, columns, refersTo };
}

