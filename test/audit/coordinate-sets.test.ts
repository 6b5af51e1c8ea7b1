/**
 * Coordinate sets (migration 1795000011000): an event's disclosed, masked and denied lists are
 * stored once per distinct triple and named by the event; events written before the migration
 * keep their lists in their own row. Both kinds verify, and the auditor's coordinate filter and
 * the data-subject export read the same lists from either.
 */
import { randomUUID } from 'node:crypto';
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import { AuditLog } from '../../src/audit/audit-log';
import type { AuditEventInput } from '../../src/audit/audit-record';
import { verifyAuditLog } from '../../src/audit/verify';
import { exportSection } from '../../src/privacy/handlers/privacy-export';
import { HANDLERS_BY_TABLE } from '../../src/privacy/handlers/registry';
import type { Gateway } from '../../src/server';
import { createTestDatabase, revertMigrationsThrough, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { callers, run } from './audit-harness';

const customer = randomUUID();
const officer = callers.staff(['compliance_officer'], 'legal_compliance');

/** Events about `customer`, each with its own lists; `tag` makes every coordinate of a phase its own. */
function events(tag: string, minute: number): Array<AuditEventInput & { disclosed: string[]; masked: string[]; denied: string[] }> {
  const lists = [
    { disclosed: [`${tag}.b`, `${tag}.a`], masked: [], denied: [] },
    { disclosed: [`${tag}.a`], masked: [`${tag}.m`], denied: [`${tag}.d`] },
    { disclosed: [], masked: [], denied: [] },
    // The first event's lists again: one set for both.
    { disclosed: [`${tag}.a`, `${tag}.b`], masked: [], denied: [] },
  ];
  return lists.map((l, i) => ({
    requestId: `${tag}-${i}`,
    at: new Date(Date.UTC(2026, 0, 1, 12, minute, i, 0)),
    principal: { kind: 'staff', id: `agent-${i}`, roles: ['customer_service'] },
    purpose: 'after_sales',
    operationType: AuditOperationType.QUERY,
    operationName: `${tag}Read`,
    outcome: AuditOutcome.OK,
    subjectIds: [customer],
    ...l,
  }));
}

const sorted = (xs: string[]) => [...xs].sort();

describe('coordinate sets', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  const before = events('Old', 0);
  const after = events('New', 1);

  beforeAll(async () => {
    db = await createTestDatabase();
    // Events written, then the migration reverted: its `down` puts their lists back in their rows,
    // as events written before it hold them. Then migrated again, and more events written.
    const first = new AuditLog(db.dataSource, { windowMs: 20 });
    await Promise.all(before.map((e) => first.append(e)));
    await first.close();
    await revertMigrationsThrough(db.dataSource, 'AuditCoordinateSets1795000011000');
    await db.dataSource.runMigrations();
    const second = new AuditLog(db.dataSource, { windowMs: 20 });
    await Promise.all(after.map((e) => second.append(e)));
    await second.close();
    expect(second.batches.map((b) => b.coordinateSets)).toEqual([3]);
    ({ gateway } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it('leaves the events written before the migration with their own lists, and names a set for each later one, each triple stored once', async () => {
    const rows: Array<{ operation_name: string; coordinate_set: string | null; disclosed: string[] | null; masked: string[] | null; denied: string[] | null }> =
      await db.dataSource.query(`SELECT operation_name, coordinate_set, disclosed, masked, denied FROM audit_event ORDER BY at`);
    const old = rows.filter((r) => r.operation_name === 'OldRead');
    const later = rows.filter((r) => r.operation_name === 'NewRead');
    expect(old.map(({ disclosed, masked, denied, coordinate_set }) => ({ disclosed, masked, denied, coordinate_set }))).toEqual(
      before.map((e) => ({ disclosed: sorted(e.disclosed), masked: e.masked, denied: e.denied, coordinate_set: null })),
    );
    expect(later.map(({ disclosed, masked, denied }) => [disclosed, masked, denied])).toEqual(after.map(() => [null, null, null]));
    expect(later[0]!.coordinate_set).toMatch(/^[0-9a-f]{64}$/);
    expect(later[3]!.coordinate_set).toBe(later[0]!.coordinate_set);
    expect(new Set(later.map((r) => r.coordinate_set)).size).toBe(3);
    const sets: Array<{ hash: string; disclosed: string[]; masked: string[]; denied: string[] }> = await db.dataSource.query(
      `SELECT hash, disclosed, masked, denied FROM audit_coordinate_set WHERE hash = ANY($1::char(64)[])`,
      [later.map((r) => r.coordinate_set)],
    );
    expect(sets.find((s) => s.hash === later[1]!.coordinate_set)).toEqual({ hash: later[1]!.coordinate_set, disclosed: ['New.a'], masked: ['New.m'], denied: ['New.d'] });
  });

  it('verifies the events of both kinds', async () => {
    const result = await verifyAuditLog(db.dataSource);
    expect({ intact: result.intact, events: result.events, problems: result.problems }).toEqual({ intact: true, events: before.length + after.length, problems: [] });
  });

  it('exports the lists of both kinds to the data subject, as they were given', async () => {
    const rows = await exportSection(db.dataSource, HANDLERS_BY_TABLE.get('audit_event')!, customer);
    expect(rows.map((r) => ({ operationName: r.operationName, disclosed: r.disclosed, masked: r.masked, denied: r.denied }))).toEqual(
      // in the export's order, by time: each phase's events a second apart, the later phase a minute on
      [...before, ...after].map((e) => ({ operationName: e.operationName, disclosed: sorted(e.disclosed), masked: e.masked, denied: e.denied })),
    );
  });

  it('finds events of both kinds by a coordinate in any of their lists, and shows their lists', async () => {
    const read = async (coordinate: string) => {
      const result = await run(
        gateway,
        `query Log($filter: AuditEventFilter) { auditEvents(first: 50, filter: $filter) { nodes { requestId disclosed masked denied } } }`,
        officer,
        { filter: { coordinate, to: new Date(Date.UTC(2026, 0, 2)).toISOString() } },
        'LIT-2026-011',
      );
      expect(result.errors).toBeUndefined();
      return (result.data!.auditEvents.nodes as Array<{ requestId: string; disclosed: string[]; masked: string[]; denied: string[] }>).sort((x, y) => (x.requestId < y.requestId ? -1 : 1));
    };
    for (const tag of ['Old', 'New']) {
      expect(await read(`${tag}.a`)).toEqual([
        { requestId: `${tag}-0`, disclosed: [`${tag}.a`, `${tag}.b`], masked: [], denied: [] },
        { requestId: `${tag}-1`, disclosed: [`${tag}.a`], masked: [`${tag}.m`], denied: [`${tag}.d`] },
        { requestId: `${tag}-3`, disclosed: [`${tag}.a`, `${tag}.b`], masked: [], denied: [] },
      ]);
      expect((await read(`${tag}.m`)).map((n) => n.requestId)).toEqual([`${tag}-1`]);
      expect((await read(`${tag}.d`)).map((n) => n.requestId)).toEqual([`${tag}-1`]);
    }
    expect(await read('Nobody.reads')).toEqual([]);
  });

  it('keeps coordinate sets append-only', async () => {
    await expect(db.dataSource.query(`UPDATE audit_coordinate_set SET disclosed = '{}'`)).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query(`DELETE FROM audit_coordinate_set`)).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query(`TRUNCATE audit_coordinate_set`)).rejects.toThrow(/append-only|permission denied/);
  });
});
