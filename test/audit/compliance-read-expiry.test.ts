/**
 * A compliance officer's read of the log while retention removes a month of it: the events and
 * the subject and coordinate sets they name are read at one moment, so the read never finds an
 * event whose set is gone (which would read as a tampered log).
 */
import { Client } from 'pg';
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import { AuditLog } from '../../src/audit/audit-log';
import type { AuditEventInput } from '../../src/audit/audit-record';
import { runRetention } from '../../src/retention/retention-job';
import type { Gateway } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { insertCustomer } from '../retention/retention-fixtures';
import { callers, run } from './audit-harness';

const AS_OF = new Date('2026-12-15T00:00:00Z');
const A = '0c7f5d2e-0000-4000-8000-0000000000c1';
const B = '0c7f5d2e-0000-4000-8000-0000000000c2';
const officer = callers.staff(['compliance_officer'], 'legal_compliance');

const event = (at: string): AuditEventInput => ({
  requestId: `req-${at}`,
  at: new Date(at),
  principal: { kind: 'staff', id: 'agent-7', roles: ['customer_service'] },
  purpose: 'after_sales',
  operationType: AuditOperationType.QUERY,
  operationName: 'Lookup',
  subjectIds: [A, B],
  disclosed: ['Customer.email'],
  outcome: AuditOutcome.OK,
});

describe('reading the log while retention removes a month of it', () => {
  let db: TestDatabase;
  let gateway: Gateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    // October 2022 expires by AS_OF (three years of log are kept).
    await db.dataSource.query(`SELECT audit_event_ensure_partition('2022-10-01'::date)`);
    for (const id of [A, B]) await insertCustomer(db.dataSource, id, new Date('2022-01-01T00:00:00Z'));
    const writer = new AuditLog(db.dataSource, { windowMs: 0 });
    await writer.append(event('2022-10-03T10:00:00Z'));
    await writer.close();
    ({ gateway } = await createTestGateway(db));
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await db?.drop();
  });

  it('answers with the events and their sets as they were when it read the events', async () => {
    // Retention runs the moment the read's first statement on audit_event has answered.
    const query = Client.prototype.query;
    let retention: Promise<unknown> | undefined;
    // (the pool's client hands pg each statement with its callback: src/platform/database.ts)
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
      const statement = args[0] as { text?: unknown; callback?: (error: unknown, answer: unknown) => void } | undefined;
      const callback = statement?.callback;
      if (retention === undefined && typeof statement?.text === 'string' && /FROM "audit_event" "t"/.test(statement.text) && typeof callback === 'function') {
        statement.callback = (error, answer) => {
          retention = runRetention(db.dataSource, { asOf: AS_OF });
          void retention.then(() => callback(error, answer), (e: unknown) => callback(e, undefined));
        };
      }
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    });
    let r;
    try {
      r = await run(
        gateway,
        `{ auditEvents(first: 10, filter: { from: "2022-10-01T00:00:00Z", to: "2022-11-01T00:00:00Z" }) { nodes { at subjectIds disclosed } } }`,
        officer,
        undefined,
        'LIT-2026-011',
      );
    } finally {
      spy.mockRestore();
    }
    expect(retention).toBeDefined();
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ auditEvents: { nodes: [{ at: '2022-10-03T10:00:00.000Z', subjectIds: [A, B].sort(), disclosed: ['Customer.email'] }] } });
    // The month is gone now: the next read finds no event.
    const after = await run(gateway, `{ auditEvents(first: 10, filter: { from: "2022-10-01T00:00:00Z", to: "2022-11-01T00:00:00Z" }) { nodes { at } } }`, officer, undefined, 'LIT-2026-011');
    expect(after.data).toEqual({ auditEvents: { nodes: [] } });
  });
});
