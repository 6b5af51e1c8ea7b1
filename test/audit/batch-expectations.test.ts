/**
 * The writer's window and what is on its way (audit-log.ts, "Events on their way"): a window
 * holding an announced event lasts only while events are expected, and never beyond `windowMs`;
 * a lone announced event is not held; unannounced events keep their window; a batch still starts
 * as soon as the one before it commits; and every path of a GraphQL request settles its expectation.
 *
 * The writer's timers are Jest's fake ones, so a wait ends only when the rule ends it or the test
 * moves the clock: what a batch held tells which happened, whatever the machine's speed.
 */
import type { AuditEventInput } from '../../src/audit/audit-record';
import { AuditLog } from '../../src/audit/audit-log';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { callers, jobEvent as job, run } from './audit-harness';

/** Lets pending I/O callbacks and promise reactions run (not timers). */
const turns = async (n = 3): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('audit batches and the events on their way', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  describe('the writer', () => {
    let log: AuditLog;
    const sizes = () => log.batches.map((b) => b.events);
    const append = (n: number, expected?: ReturnType<AuditLog['expect']>, extra: Partial<AuditEventInput> = {}) => log.append(job(n, extra), expected);

    beforeEach(() => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime', 'Date'] });
      log = new AuditLog(db.dataSource, { windowMs: 50 });
    });
    afterEach(async () => {
      jest.useRealTimers();
      await log.close();
    });

    it('writes a lone announced event at once, without its window', async () => {
      const expected = log.expect();
      await append(1, expected);
      expect(sizes()).toEqual([1]);
      expect(log.eventsExpected).toBe(0);
    });

    it('holds an announced event while another is expected, and writes both once the other arrives', async () => {
      const first = log.expect();
      const second = log.expect();
      const one = append(1, first);
      await turns();
      const two = append(2, second);
      await Promise.all([one, two]);
      expect(sizes()).toEqual([2]);
    });

    it('ends the wait when the request expected ends without an event', async () => {
      const first = log.expect();
      const second = log.expect();
      const one = append(1, first);
      await turns();
      second.settle();
      second.settle(); // settling twice counts once
      await one;
      expect(sizes()).toEqual([1]);
      expect(log.eventsExpected).toBe(0);
    });

    it('keeps the window for unannounced events, whatever is expected', async () => {
      const one = append(1);
      await turns();
      const two = append(2);
      await turns();
      jest.advanceTimersByTime(50);
      await Promise.all([one, two]);
      expect(sizes()).toEqual([2]);
    });

    it('waits for an expected event no longer than windowMs', async () => {
      const first = log.expect();
      const never = log.expect(); // a request whose event never comes (and is not settled yet)
      const one = append(1, first);
      await turns();
      jest.advanceTimersByTime(49);
      await turns();
      const two = append(2); // still within the window: joins it
      jest.advanceTimersByTime(1);
      await Promise.all([one, two]);
      expect(sizes()).toEqual([2]);
      never.settle();
      expect(log.eventsExpected).toBe(0);
    });

    it('starts the next batch as soon as the one before commits, whatever is expected', async () => {
      const one = append(1, log.expect()); // alone: written at once
      const expected = log.expect();
      const two = append(2); // arrives while the first is written
      await Promise.all([one, two]);
      expect(sizes()).toEqual([1, 1]);
      expected.settle();
    });

    it('starts a full batch at once, whatever is still expected', async () => {
      const small = new AuditLog(db.dataSource, { windowMs: 50, maxBatchSize: 3 });
      try {
        const waiting = [small.expect(), small.expect(), small.expect(), small.expect()];
        await Promise.all([0, 1, 2].map((n) => small.append(job(n), waiting[n])));
        expect(small.batches.map((b) => b.events)).toEqual([3]);
        waiting[3]!.settle();
      } finally {
        await small.close();
      }
    });

    it('settles an announced event refused as malformed', async () => {
      const expected = log.expect();
      await expect(append(1, expected, { subjectIds: ['customer-1'] })).rejects.toThrow(/subjectIds\[0\]: expected a UUID/);
      expect(log.eventsExpected).toBe(0);
    });
  });

  describe('GraphQL requests', () => {
    let gateway: Gateway;
    let log: AuditLog;

    beforeAll(async () => {
      log = new AuditLog(db.dataSource);
      ({ gateway } = await createTestGateway(db, { auditLog: log }));
    });
    afterAll(async () => {
      await gateway.stop();
      await log.close();
    });

    const SCAN = `mutation($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id } }`;
    const logistics = () => callers.logistics(DEMO_IDS.logisticsPartners[0]);

    it('leave nothing expected once answered: read, invalid, unparsable, write, refused write, and an audit that failed', async () => {
      const [{ id: shipmentId }] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [DEMO_IDS.logisticsPartners[0]]);
      const scan = (eventId: string, id: string) => ({ input: { shipmentId: id, events: [{ eventId, occurredAt: new Date().toISOString(), location: 'Hub', description: 'sorted' }] } });
      const answered = await Promise.all([
        run(gateway, `{ shipments(first: 2) { nodes { trackingNumber } } }`, logistics()),
        run(gateway, `{ shipments(first: 2) { nodes { noSuchField } } }`, logistics()),
        run(gateway, `{ shipments(first: 2) { nodes `, logistics()),
        run(gateway, SCAN, logistics(), scan('expectations-1', shipmentId)),
        run(gateway, SCAN, callers.logistics(DEMO_IDS.logisticsPartners[1]), scan('expectations-2', shipmentId)),
      ]);
      expect(answered.map((r) => r.status)).toEqual([200, 400, 400, 200, 404]);
      expect(answered[0]!.errors).toBeUndefined();
      expect(answered[3]!.errors).toBeUndefined();
      expect(answered[4]!.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']); // another partner's shipment: refused as missing
      expect(log.eventsExpected).toBe(0);

      await db.dataSource.query(`
        CREATE FUNCTION test_refuse_seal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'seal refused (test)'; END $$;
        CREATE TRIGGER test_refuse_seal BEFORE INSERT ON audit_seal FOR EACH ROW EXECUTE FUNCTION test_refuse_seal()`);
      try {
        const withheld = await Promise.all([
          run(gateway, `{ shipments(first: 2) { nodes { trackingNumber } } }`, logistics()),
          run(gateway, SCAN, logistics(), scan('expectations-3', shipmentId)),
        ]);
        expect(withheld.map((r) => r.status)).toEqual([500, 500]);
      } finally {
        await db.dataSource.query(`DROP TRIGGER test_refuse_seal ON audit_seal; DROP FUNCTION test_refuse_seal()`);
      }
      expect(log.eventsExpected).toBe(0);
    });
  });
});
