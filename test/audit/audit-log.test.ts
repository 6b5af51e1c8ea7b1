/**
 * The writer and the table: group commit (concurrent requests share one INSERT), one linear seal
 * chain across several writers, events checked before they are written, and a table that
 * refuses UPDATE, DELETE and TRUNCATE — to the application role by privilege, to everyone by
 * trigger.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { AuditOutcome } from '../../src/audit/audit-event.entity';
import { AuditLog } from '../../src/audit/audit-log';
import { EVENT_SETS, EVENT_SETS_JOIN, subjectSetHash, type AuditEventInput } from '../../src/audit/audit-record';
import { verifyAuditLog } from '../../src/audit/verify';
import { createDataSource } from '../../src/data-source';
import { AUDIT_COLUMNS_WITHOUT_STATISTICS } from '../../src/platform/migrations/1795000000007-audit-statistics.migration';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { createTestDatabase, revertMigrationsThrough, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { callers, eventCount, jobEvent as job, run } from './audit-harness';

/** Runs `work` while the database refuses every seal, so that every batch written meanwhile fails. */
async function withSealsRefused<T>(db: TestDatabase, work: () => Promise<T>): Promise<T> {
  await db.dataSource.query(`
    CREATE FUNCTION test_refuse_seal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'seal refused (test)'; END $$;
    CREATE TRIGGER test_refuse_seal BEFORE INSERT ON audit_seal FOR EACH ROW EXECUTE FUNCTION test_refuse_seal()`);
  try {
    return await work();
  } finally {
    await db.dataSource.query(`DROP TRIGGER test_refuse_seal ON audit_seal; DROP FUNCTION test_refuse_seal()`);
  }
}

const sealCount = async (db: TestDatabase): Promise<number> => (await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_seal`))[0].n;

describe('the audit log writer', () => {
  let db: TestDatabase;
  let gateway: Gateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  describe('group commit', () => {
    it('writes 50 concurrent operations as 50 events in fewer batches, and the log verifies', async () => {
      const eventsBefore = await eventCount(db.dataSource);
      const sealsBefore = await sealCount(db);
      const manifest = `{ shipments(first: 50) { nodes { trackingNumber status order { orderNumber shippingAddress { recipientName line1 city postalCode country phone } items { productName quantity } } } } }`;
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => run(gateway, manifest, callers.logistics(DEMO_IDS.logisticsPartners[i % 2]!))),
      );
      expect(responses.map((r) => [r.status, r.errors])).toEqual(responses.map(() => [200, undefined]));
      const seals = (await sealCount(db)) - sealsBefore;
      expect((await eventCount(db.dataSource)) - eventsBefore).toBe(50);
      expect(seals).toBeLessThan(50);
      expect(seals).toBeGreaterThanOrEqual(1);
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    });

    it('writes a full batch at once, without waiting for the window', async () => {
      const log = new AuditLog(db.dataSource, { windowMs: 50, maxBatchSize: 10 });
      const records = await Promise.all(Array.from({ length: 25 }, (_, i) => log.append(job(i))));
      // Without the size bound all 25 would have waited for the window and shared one INSERT.
      expect(log.batches.map((b) => b.events)).toEqual([10, 10, 5]);
      expect(new Set(records.map((r) => r.id)).size).toBe(25);
      await log.close();
    });

    it('lets events that arrive within the window share a batch', async () => {
      const log = new AuditLog(db.dataSource, { windowMs: 50, maxBatchSize: 10 });
      const appended: Array<Promise<unknown>> = [];
      for (let i = 0; i < 3; i++) {
        appended.push(log.append(job(i)));
        await new Promise((resolve) => setImmediate(resolve)); // separate turns of the event loop
      }
      await Promise.all(appended);
      expect(log.batches.map((b) => b.events)).toEqual([3]);
      await log.close();
    });

    it('keeps one linear seal chain when several gateway replicas write at once', async () => {
      const replicas = await Promise.all(
        [1, 2, 3].map(async () => {
          const ds = createDataSource({ url: db.url, poolSize: 3 });
          await ds.initialize();
          return { ds, log: new AuditLog(ds, { windowMs: 1, maxBatchSize: 7 }) };
        }),
      );
      const sealsBefore = await sealCount(db);
      await Promise.all(replicas.flatMap(({ log }, r) => Array.from({ length: 40 }, (_, i) => log.append(job(r * 100 + i)))));
      const written = replicas.reduce((n, { log }) => n + log.batches.length, 0);
      const ids: Array<{ id: string }> = await db.dataSource.query(`SELECT id FROM audit_seal WHERE id > $1 ORDER BY id`, [sealsBefore]);
      expect(ids.map((r) => Number(r.id))).toEqual(Array.from({ length: written }, (_, i) => sealsBefore + 1 + i));
      const result = await verifyAuditLog(db.dataSource);
      expect({ intact: result.intact, problems: result.problems }).toEqual({ intact: true, problems: [] });
      for (const { ds, log } of replicas) {
        await log.close();
        await ds.destroy();
      }
    });
  });

  describe('sealing without the lock', () => {
    const chainFrom = async (sealsBefore: number): Promise<number[]> =>
      (await db.dataSource.query(`SELECT id FROM audit_seal WHERE id > $1 ORDER BY id`, [sealsBefore])).map((r: { id: string }) => Number(r.id));

    it('seals under the lock until it knows the latest seal, then without it; a writer that lost the race falls back to the lock', async () => {
      const other = createDataSource({ url: db.url, poolSize: 1 });
      await other.initialize();
      const a = new AuditLog(db.dataSource, { windowMs: 0 });
      const b = new AuditLog(other, { windowMs: 0 });
      try {
        const sealsBefore = await sealCount(db);
        await a.append(job(1)); // a: first batch, locked
        await a.append(job(2)); // a: knows seal n, writes n + 1 without the lock
        await b.append(job(3)); // b: first batch, locked
        await a.append(job(4)); // a: tries the seal b took, then seals under the lock, finding b sealed in between
        await a.append(job(5)); // a: another writer is active, so under the lock at once; it finds nobody sealed in between
        await a.append(job(6)); // a: without the lock again
        expect(a.batches.map((x) => x.locked)).toEqual([true, false, true, true, false]);
        expect(b.batches.map((x) => x.locked)).toEqual([true]);
        expect(await chainFrom(sealsBefore)).toEqual([1, 2, 3, 4, 5, 6].map((i) => sealsBefore + i));
        expect(a.batches.map((x) => Number(x.sealId))).toEqual([1, 2, 4, 5, 6].map((i) => sealsBefore + i));
        const result = await verifyAuditLog(db.dataSource);
        expect({ intact: result.intact, problems: result.problems }).toEqual({ intact: true, problems: [] });
      } finally {
        await a.close();
        await b.close();
        await other.destroy();
      }
    });

    it('always seals under the lock, with synchronous_commit forced on, where the connection commits asynchronously', async () => {
      const url = new URL(db.url);
      url.searchParams.set('options', '-c synchronous_commit=off');
      const relaxed = createDataSource({ url: url.toString(), poolSize: 1 });
      await relaxed.initialize();
      const log = new AuditLog(relaxed, { windowMs: 0 });
      try {
        expect((await relaxed.query(`SHOW synchronous_commit`))[0].synchronous_commit).toBe('off');
        for (let i = 0; i < 3; i++) await log.append(job(i));
        expect(log.batches.map((x) => x.locked)).toEqual([true, true, true]);
      } finally {
        await log.close();
        await relaxed.destroy();
      }
    });

    it('forgets the latest seal after a failed batch, and seals the next one under the lock', async () => {
      const log = new AuditLog(db.dataSource, { windowMs: 0 });
      await log.append(job(1));
      await expect(withSealsRefused(db, () => log.append(job(2)))).rejects.toThrow(/seal refused \(test\)/);
      await log.append(job(3));
      await log.append(job(4));
      expect(log.batches.map((x) => x.locked)).toEqual([true, true, false]);
      await log.close();
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    });
  });

  describe('subject sets', () => {
    // bob sorts before alice: ids are kept sorted as strings
    const alice = '00000000-0000-4000-8000-00000000a11c';
    const bob = '00000000-0000-4000-8000-000000000b0b';
    const dan = '00000000-0000-4000-8000-000000000da0';
    const storedSets = async (hashes: string[]): Promise<Array<{ hash: string; subject_ids: string[] }>> =>
      db.dataSource.query(`SELECT hash, subject_ids FROM audit_subject_set WHERE hash = ANY($1::char(64)[]) ORDER BY hash`, [hashes]);

    it('stores each distinct set of subjects once, however many events and writers name it', async () => {
      const sets = [[dan, alice], [bob, alice]].map((ids) => subjectSetHash(ids));
      const first = new AuditLog(db.dataSource, { windowMs: 20 });
      await Promise.all([[alice, dan], [bob, alice], [dan, alice], [alice, bob, alice]].map((subjectIds, i) => first.append(job(i, { subjectIds }))));
      await Promise.all([[alice, dan], [bob, alice]].map((subjectIds, i) => first.append(job(i, { subjectIds }))));
      // A second writer does not know what the first stored: it sends the set, and the database keeps the one row.
      const second = new AuditLog(db.dataSource, { windowMs: 0 });
      const record = await second.append(job(9, { subjectIds: [alice, bob] }));
      await first.close();
      await second.close();

      expect(first.batches.map((b) => [b.events, b.subjectSets])).toEqual([
        [4, 2],
        [2, 0],
      ]);
      expect(second.batches.map((b) => b.subjectSets)).toEqual([1]);
      expect(await storedSets(sets)).toEqual(
        [
          { hash: sets[0], subject_ids: [dan, alice] },
          { hash: sets[1], subject_ids: [bob, alice] },
        ].sort((x, y) => (x.hash! < y.hash! ? -1 : 1)),
      );
      const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_event WHERE subject_set = $1`, [sets[1]]);
      expect(n).toBe(4);
      expect(record.subjectSet).toBe(sets[1]);
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    });

    it('sends a set again in no later batch once a batch without the lock stored it, subjects and coordinates alike', async () => {
      const carol = randomUUID();
      const log = new AuditLog(db.dataSource, { windowMs: 0 });
      await log.append(job(1, { subjectIds: [alice, bob] })); // the first batch seals under the lock
      await log.append(job(2, { subjectIds: [carol, alice], denied: [`Carol.${carol}`] }));
      await log.append(job(3, { subjectIds: [carol, alice], denied: [`Carol.${carol}`] }));
      await log.close();
      expect(log.batches.map((b) => [b.locked, b.subjectSets, b.coordinateSets])).toEqual([
        [true, 1, 1],
        [false, 1, 1],
        [false, 0, 0],
      ]);
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    });

    it('writes a batch that stores no set with the statement without the sets, and its events verify', async () => {
      const dan = randomUUID();
      const single = createDataSource({ url: db.url, poolSize: 1 });
      await single.initialize();
      const log = new AuditLog(single, { windowMs: 0 });
      try {
        const names = async () => (await single.query(`SELECT name FROM pg_prepared_statements ORDER BY name`)).map((r: { name: string }) => r.name);
        await log.append(job(1, { subjectIds: [dan, alice], masked: [`Dan.${dan}`] })); // under the lock: every set sent
        await log.append(job(2, { subjectIds: [dan, bob], masked: [`Dan.${dan}`] })); // a new subject set
        expect(await names()).toEqual(['need-to-know.audit-insert-batch']);
        await log.append(job(3, { subjectIds: [dan, bob], masked: [`Dan.${dan}`] })); // both sets stored already
        await log.append(job(4, { subjectIds: [dan], masked: [`Dan.${dan}`] })); // one subject, in the row
        expect(await names()).toEqual(['need-to-know.audit-insert-batch', 'need-to-know.audit-insert-batch-no-sets']);
        expect(log.batches.map((b) => [b.locked, b.subjectSets, b.coordinateSets])).toEqual([
          [true, 1, 1],
          [false, 1, 0],
          [false, 0, 0],
          [false, 0, 0],
        ]);
        const rows = await db.dataSource.query(`SELECT e.request_id, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.request_id = ANY($1) ORDER BY e.request_id`, [
          [1, 2, 3, 4].map((n) => `retention-run-${n}`),
        ]);
        expect(rows.filter((r: { masked: string[] }) => r.masked[0] === `Dan.${dan}`).map((r: { subject_ids: string[] }) => r.subject_ids)).toEqual([
          [alice, dan].sort(),
          [bob, dan].sort(),
          [bob, dan].sort(),
          [dan],
        ]);
      } finally {
        await log.close();
        await single.destroy();
      }
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    });

    it('holds the one subject of an event in its row, names no set and stores none, and verifies', async () => {
      const frank = randomUUID();
      const log = new AuditLog(db.dataSource, { windowMs: 0 });
      const records = [await log.append(job(1, { subjectIds: [frank.toUpperCase()] })), await log.append(job(2, { subjectIds: [frank, frank] }))];
      await log.close();
      expect(records.map((r) => [r.subjectSet, r.subjectIds])).toEqual([
        [null, [frank]],
        [null, [frank]],
      ]);
      expect(log.batches.map((b) => b.subjectSets)).toEqual([0, 0]);
      const rows = await db.dataSource.query(`SELECT subject_set, subject_id FROM audit_event WHERE id = ANY($1::uuid[]) ORDER BY id`, [records.map((r) => r.id)]);
      expect(rows).toEqual([
        { subject_set: null, subject_id: frank },
        { subject_set: null, subject_id: frank },
      ]);
      expect((await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_subject_set WHERE $1::uuid = ANY(subject_ids)`, [frank]))[0].n).toBe(0);
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    });

    it('names no set for an event without subjects', async () => {
      const log = new AuditLog(db.dataSource, { windowMs: 0 });
      const record = await log.append(job(1, { subjectIds: [] }));
      await log.close();
      expect(record.subjectSet).toBeNull();
      const [row] = await db.dataSource.query(`SELECT subject_set FROM audit_event WHERE id = $1`, [record.id]);
      expect(row).toEqual({ subject_set: null });
    });

    it('writes a new set only with the batch that names it: a batch that fails leaves neither', async () => {
      const [dave, erin] = [randomUUID(), randomUUID()];
      const log = new AuditLog(db.dataSource, { windowMs: 0 });
      await log.append(job(1));
      await expect(withSealsRefused(db, () => log.append(job(2, { subjectIds: [dave, alice], denied: [`Dave.${dave}`] })))).rejects.toThrow(/seal refused \(test\)/);
      const subjectsStored = `SELECT count(*)::int AS n FROM audit_subject_set WHERE $1::uuid = ANY(subject_ids)`;
      const coordinatesStored = `SELECT count(*)::int AS n FROM audit_coordinate_set WHERE $1 = ANY(denied)`;
      expect([(await db.dataSource.query(subjectsStored, [dave]))[0].n, (await db.dataSource.query(coordinatesStored, [`Dave.${dave}`]))[0].n]).toEqual([0, 0]);
      // The next batch (under the lock, after the failure) stores what it names.
      const record = await log.append(job(3, { subjectIds: [erin, alice], denied: [`Erin.${erin}`] }));
      await log.close();
      expect([(await db.dataSource.query(subjectsStored, [erin]))[0].n, (await db.dataSource.query(coordinatesStored, [`Erin.${erin}`]))[0].n]).toEqual([1, 1]);
      expect(record.subjectSet).toBe(subjectSetHash([erin, alice].sort()));
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    });

    it('moves the subjects of existing events into sets when migrated, with the keys the writer computes, and back when reverted', async () => {
      const scratch = await createTestDatabase();
      try {
        const log = new AuditLog(scratch.dataSource, { windowMs: 20 });
        const records = await Promise.all([[alice], [bob, alice], [], [alice]].map((subjectIds, i) => log.append(job(i, { subjectIds }))));
        await log.close();

        await revertMigrationsThrough(scratch.dataSource, 'AuditSubjectSets1795000000006');
        const inline: Array<{ id: string; subject_ids: string[] }> = await scratch.dataSource.query(`SELECT id, subject_ids FROM audit_event ORDER BY id`);
        expect(inline).toEqual(records.map((r) => ({ id: r.id, subject_ids: r.subjectIds })).sort((x, y) => (x.id < y.id ? -1 : 1)));

        await scratch.dataSource.runMigrations();
        const sets: Array<{ hash: string; subject_ids: string[] }> = await scratch.dataSource.query(`SELECT hash, subject_ids FROM audit_subject_set`);
        expect(sets.map((x) => x.hash).sort()).toEqual([subjectSetHash([alice]), subjectSetHash([bob, alice])].sort());
        for (const set of sets) expect(set.hash).toBe(subjectSetHash(set.subject_ids));
        const named: Array<{ id: string; subject_set: string | null; subject_id: string | null }> = await scratch.dataSource.query(`SELECT id, subject_set, subject_id FROM audit_event`);
        // An event of one subject, written holding it, comes back from the revert naming a one-id set, as events written before migration 1795000012000 do.
        expect(new Map(named.map((r) => [r.id, [r.subject_set, r.subject_id]]))).toEqual(
          new Map(records.map((r) => [r.id, [r.subjectIds.length === 0 ? null : subjectSetHash(r.subjectIds), null]])),
        );
        expect(records.map((r) => r.subjectSet)).toEqual([null, subjectSetHash([bob, alice]), null, null]);
        const result = await verifyAuditLog(scratch.dataSource);
        expect({ intact: result.intact, events: result.events, problems: result.problems }).toEqual({ intact: true, events: records.length, problems: [] });
        await expect(scratch.dataSource.query(`UPDATE audit_event SET principal_id = 'x'`)).rejects.toThrow(/append-only: UPDATE on audit_event refused/);
      } finally {
        await scratch.drop();
      }
    });
  });

  describe('planner statistics', () => {
    const targets = async (dataSource: DataSource): Promise<Record<string, number>> => {
      const rows: Array<{ name: string; target: number }> = await dataSource.query(
        `SELECT c.relname || '.' || a.attname AS name, a.attstattarget AS target
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          WHERE c.relname IN ('audit_event', 'audit_seal', 'audit_subject_set') AND a.attnum > 0 AND NOT a.attisdropped`,
      );
      return Object.fromEntries(rows.map((r) => [r.name, Number(r.target)]));
    };
    const withoutStatistics = Object.entries(AUDIT_COLUMNS_WITHOUT_STATISTICS).flatMap(([table, columns]) => columns.map((c) => `${table}.${c}`));

    it('are not collected for the wide audit columns that only travel, and are for every column a query filters, orders or joins on', async () => {
      const byColumn = await targets(db.dataSource);
      for (const name of withoutStatistics) expect([name, byColumn[name]]).toEqual([name, 0]);
      for (const name of ['audit_event.at', 'audit_event.principal_kind', 'audit_event.principal_id', 'audit_event.partner_id', 'audit_event.purpose',
        'audit_event.outcome', 'audit_event.flagged', 'audit_event.legal_case_reference', 'audit_event.subject_set', 'audit_event.seal_id',
        'audit_seal.id', 'audit_subject_set.subject_ids']) {
        expect([name, byColumn[name]]).toEqual([name, -1]);
      }
    });

    it('are collected for every column again when the migration is reverted', async () => {
      const scratch = await createTestDatabase();
      try {
        await revertMigrationsThrough(scratch.dataSource, 'AuditStatistics1795000000007');
        const byColumn = await targets(scratch.dataSource);
        for (const name of withoutStatistics) expect([name, byColumn[name]]).toEqual([name, -1]);
      } finally {
        await scratch.drop();
      }
    });
  });

  describe('AuditLog.append for jobs', () => {
    it('stores a job event with its detail, normalized, and returns it once durable', async () => {
      const log = new AuditLog(db.dataSource);
      const record = await log.append(job(7, { subjectIds: [DEMO_IDS.demoCustomer.toUpperCase(), DEMO_IDS.demoCustomer], denied: ['B.b', 'A.a', 'B.b'] }));
      await log.close();
      const [row] = await db.dataSource.query(
        `SELECT e.operation_type, e.principal_kind, e.subject_set, e.subject_id, ${EVENT_SETS}, e.detail, e.flagged, e.hash FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.id = $1`,
        [record.id],
      );
      expect(row).toEqual({
        operation_type: 'job',
        principal_kind: 'system',
        // The same customer twice is one subject: held in the row.
        subject_set: null,
        subject_id: DEMO_IDS.demoCustomer,
        subject_ids: [DEMO_IDS.demoCustomer],
        disclosed: [],
        masked: [],
        denied: ['A.a', 'B.b'],
        detail: { anonymized: 7, orders: [7, 8] },
        flagged: false,
        hash: record.hash,
      });
    });

    it.each([
      ['a subject that is not a UUID', { subjectIds: ['customer-1'] }, /subjectIds\[0\]: expected a UUID, got "customer-1"/],
      ['an unknown outcome', { outcome: 'fine' as AuditOutcome }, /outcome: expected ok \| partial \| denied \| error, got "fine"/],
      ['a purpose that is not a word', { purpose: 'Legal Compliance' }, /purpose: expected a string of 1 to 40 characters/],
      ['a detail over 8 KiB', { detail: { blob: 'x'.repeat(9000) } }, /detail: expected at most 8192 bytes of JSON/],
    ])('refuses %s before anything is written', async (_label, extra, message) => {
      const log = new AuditLog(db.dataSource);
      const before = await eventCount(db.dataSource);
      await expect(log.append(job(1, extra as Partial<AuditEventInput>))).rejects.toThrow(message);
      await log.close();
      expect(await eventCount(db.dataSource)).toBe(before);
    });

    it('refuses events once closed', async () => {
      const log = new AuditLog(db.dataSource);
      await log.close();
      await expect(log.append(job(1))).rejects.toThrow(/closed/);
    });

    it.each([
      [{ windowMs: -1 }, /AuditLog: expected windowMs to be an integer from 0 to 50, got -1/],
      [{ maxBatchSize: 0 }, /AuditLog: expected maxBatchSize to be an integer from 1 to 1000, got 0/],
    ])('refuses options %j', (options, message) => {
      expect(() => new AuditLog(db.dataSource, options)).toThrow(message);
    });
  });

  describe('append-only', () => {
    it.each([
      ['UPDATE an event', `UPDATE audit_event SET principal_id = 'someone-else'`, /append-only: UPDATE on audit_event refused/],
      ['DELETE an event', `DELETE FROM audit_event`, /append-only: DELETE on audit_event refused/],
      ['TRUNCATE the events', `TRUNCATE audit_event`, /append-only: TRUNCATE on audit_event refused/],
      ['UPDATE a seal', `UPDATE audit_seal SET merkle_root = repeat('0', 64)`, /append-only: UPDATE on audit_seal refused/],
      ['DELETE a seal', `DELETE FROM audit_seal`, /append-only: DELETE on audit_seal refused/],
      ['TRUNCATE the seals', `TRUNCATE audit_seal`, /append-only: TRUNCATE on audit_seal refused/],
      ['UPDATE a subject set', `UPDATE audit_subject_set SET subject_ids = '{00000000-0000-4000-8000-000000000001}'`, /append-only: UPDATE on audit_subject_set refused/],
      ['DELETE a subject set', `DELETE FROM audit_subject_set`, /append-only: DELETE on audit_subject_set refused/],
      ['TRUNCATE the subject sets', `TRUNCATE audit_subject_set CASCADE`, /append-only: TRUNCATE on audit_\w+ refused/],
    ])('refuses to %s, even to the table owner', async (_label, sql, message) => {
      const before = await eventCount(db.dataSource);
      await expect(db.dataSource.query(sql)).rejects.toThrow(message);
      expect(await eventCount(db.dataSource)).toBe(before);
    });

    it('grants UPDATE, DELETE and TRUNCATE to nobody, the owner included', async () => {
      const rows: Array<{ table: string; privilege: string }> = await db.dataSource.query(
        `SELECT c.relname AS table, a.privilege_type AS privilege
         FROM pg_class c, aclexplode(c.relacl) a WHERE c.relname IN ('audit_event', 'audit_seal', 'audit_subject_set') ORDER BY 1, 2`,
      );
      expect(new Set(rows.map((r) => r.table))).toEqual(new Set(['audit_event', 'audit_seal', 'audit_subject_set']));
      expect(rows.filter((r) => ['UPDATE', 'DELETE', 'TRUNCATE'].includes(r.privilege))).toEqual([]);
    });

    it('leaves an application role with SELECT and INSERT unable to change a row', async () => {
      const role = `ntk_audit_app_${randomBytes(4).toString('hex')}`;
      await db.dataSource.query(`CREATE ROLE ${role} NOLOGIN`);
      try {
        await db.dataSource.query(`GRANT USAGE ON SCHEMA public TO ${role}; GRANT SELECT, INSERT ON audit_event, audit_seal, audit_subject_set TO ${role}`);
        await db.dataSource.transaction(async (em) => {
          await em.query(`SET LOCAL ROLE ${role}`);
          await expect(em.query(`UPDATE audit_event SET principal_id = 'x'`)).rejects.toThrow(/permission denied for table audit_event/);
        });
        await db.dataSource.transaction(async (em) => {
          await em.query(`SET LOCAL ROLE ${role}`);
          await expect(em.query(`DELETE FROM audit_seal`)).rejects.toThrow(/permission denied for table audit_seal/);
        });
        await db.dataSource.transaction(async (em) => {
          await em.query(`SET LOCAL ROLE ${role}`);
          await expect(em.query(`DELETE FROM audit_subject_set`)).rejects.toThrow(/permission denied for table audit_subject_set/);
        });
      } finally {
        await db.dataSource.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
    });
  });
});
