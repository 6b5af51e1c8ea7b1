/**
 * Legal holds against the retention job, as an outside tester attacks them: two holds over the
 * same order, released one at a time; a hold on a customer over a case of no order; and a hold
 * placed while a run is under way, at the two moments a batch can meet it — before the batch
 * reads the holds (its statements wait for the hold, then must see it) and between its reads and
 * its writes (the hold must then wait for the batch). No row is ever removed that a hold
 * committed before the batch's COMMIT covers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { sweepAttachmentBlobs } from '../../src/domains/after-sales/attachment.service';
import { LegalHoldScope } from '../../src/domains/legal-holds/legal-hold.entity';
import { placeLegalHold, releaseLegalHold } from '../../src/domains/legal-holds/legal-hold.service';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { createLogger } from '../../src/platform/logger';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { runRetention } from '../../src/retention/retention-job';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { insertCustomer, insertOrder, referenceRows, reportOf } from './retention-fixtures';

const AS_OF = new Date('2026-12-01T00:00:00Z');
const d = (iso: string) => new Date(iso);
const OLD = { placedAt: d('2022-11-01T10:00:00Z'), deliveredAt: d('2022-11-06T10:00:00Z'), completedAt: d('2022-11-16T10:00:00Z') };

let seq = 0;
/** A customer of their own with `orders` expired orders (each with a closed case); returns their ids. */
async function expiredCustomer(ds: DataSource, orders: number): Promise<{ customerId: string; orderIds: string[] }> {
  seq += 1;
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  const customerId = `4c1d0000-0000-4000-8000-0000000${hex(seq)}0`;
  await insertCustomer(ds, customerId, d('2020-01-01T00:00:00Z'));
  const orderIds: string[] = [];
  for (let i = 1; i <= orders; i++) {
    const id = `4c1d0000-0000-4000-8000-${hex(seq)}0000${hex(i)}`;
    await insertOrder(ds, { id, customerId, status: 'completed', ...OLD, caseClosedAt: d('2022-11-10T10:00:00Z') });
    orderIds.push(id);
  }
  return { customerId, orderIds };
}

async function place(ds: DataSource, target: { customerId: string } | { orderId: string }): Promise<string> {
  return ds.transaction(async (em) => {
    const hold = await placeLegalHold(em, {
      scope: 'customerId' in target ? LegalHoldScope.CUSTOMER : LegalHoldScope.ORDER,
      customerId: 'customerId' in target ? target.customerId : null,
      orderId: 'orderId' in target ? target.orderId : null,
      reason: 'Litigation',
      caseReference: 'LIT-9',
      placedBy: 'officer-1',
      at: new Date(),
    });
    return hold.id;
  });
}

const release = (ds: DataSource, holdId: string) => ds.transaction((em) => releaseLegalHold(em, holdId, 'officer-1', new Date()));

describe('legal holds and the retention job', () => {
  let db: TestDatabase;
  let ds: DataSource;
  /** Sees the database from outside: who waits on a lock. */
  let observer: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = db.dataSource;
    await referenceRows(ds);
    observer = new Client({ connectionString: db.url });
    await observer.connect();
  }, 60_000);
  afterAll(async () => {
    await observer?.end();
    await db?.drop();
  });

  const applied = async (ids: string[]) =>
    (await ds.query(`SELECT id FROM "order" WHERE id = ANY($1) AND retention_applied_at IS NOT NULL ORDER BY id`, [ids])).map((r: { id: string }) => r.id);
  const messagesOf = async (orderId: string) =>
    (await ds.query(`SELECT count(*)::int AS n FROM case_message m JOIN after_sales_case c ON c.id = m.case_id WHERE c.order_id = $1`, [orderId]))[0].n;

  /** Resolves once `n` sessions of the test database wait on a lock (a row's, or an advisory one). */
  async function waitersAtLeast(n: number): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      const { rows } = await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      if (rows[0].n >= n) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${n} sessions waited on a lock within 10 s`);
  }

  it('keeps an order under two holds until both are released, and applies it at the next run after the last release', async () => {
    const { customerId, orderIds } = await expiredCustomer(ds, 2);
    const [heldTwice, heldOnce] = orderIds as [string, string];
    const onOrder = await place(ds, { orderId: heldTwice });
    const onCustomer = await place(ds, { customerId });
    expect(reportOf(await runRetention(ds, { asOf: AS_OF })).tables.order).toEqual({ found: 2, anonymized: 0, deleted: 0, held: 2 });
    await release(ds, onCustomer);
    // The order hold still covers its order; the customer's other order is due now.
    const preview = reportOf(await runRetention(ds, { asOf: AS_OF, dryRun: true }));
    const second = reportOf(await runRetention(ds, { asOf: AS_OF }));
    expect(second.tables).toEqual(preview.tables);
    expect(second.tables.order).toEqual({ found: 2, anonymized: 1, deleted: 0, held: 1 });
    expect(await applied(orderIds)).toEqual([heldOnce]);
    expect(await messagesOf(heldTwice)).toBe(2);
    await release(ds, onOrder);
    expect(reportOf(await runRetention(ds, { asOf: AS_OF })).tables.order).toEqual({ found: 1, anonymized: 1, deleted: 0, held: 0 });
    expect(await applied(orderIds)).toEqual([...orderIds].sort());
    expect(await messagesOf(heldTwice)).toBe(0);
  });

  it('keeps a case of no order while its customer is held, and deletes it at the next run after the release', async () => {
    const { customerId } = await expiredCustomer(ds, 0);
    const [{ id: caseId }] = await ds.query(
      `INSERT INTO after_sales_case (customer_id, order_id, type, status, subject, opened_at, closed_at) VALUES ($1, NULL, 'consultation', 'closed', 'Sizes', '2022-01-01Z', '2022-01-02Z') RETURNING id`,
      [customerId],
    );
    await ds.query(`INSERT INTO case_message (case_id, author_side, body, sent_at) VALUES ($1, 'customer', 'Which size?', '2022-01-01Z')`, [caseId]);
    const hold = await place(ds, { customerId });
    expect(reportOf(await runRetention(ds, { asOf: AS_OF })).tables.after_sales_case).toEqual({ found: 1, anonymized: 0, deleted: 0, held: 1 });
    expect(await ds.query(`SELECT count(*)::int AS n FROM case_message WHERE case_id = $1`, [caseId])).toEqual([{ n: 1 }]);
    await release(ds, hold);
    expect(reportOf(await runRetention(ds, { asOf: AS_OF })).tables.after_sales_case).toEqual({ found: 1, anonymized: 0, deleted: 1, held: 0 });
    expect(await ds.query(`SELECT count(*)::int AS n FROM after_sales_case WHERE id = $1`, [caseId])).toEqual([{ n: 0 }]);
  });

  it('a hold being placed when a batch starts: the batch waits for its commit, sees it, and keeps the order', async () => {
    const { orderIds } = await expiredCustomer(ds, 1);
    const [order] = orderIds as [string];
    const placing = ds.createQueryRunner();
    await placing.connect();
    try {
      await placing.startTransaction();
      await placeLegalHold(placing.manager, { scope: LegalHoldScope.ORDER, customerId: null, orderId: order, reason: 'Fraud inquiry', caseReference: 'FR-9', placedBy: 'officer-1', at: new Date() });
      const run = runRetention(ds, { asOf: AS_OF });
      await waitersAtLeast(1);
      await placing.commitTransaction();
      const report = reportOf(await run);
      expect(report.tables.order).toEqual({ found: 1, anonymized: 0, deleted: 0, held: 1 });
      expect(await applied([order])).toEqual([]);
      expect(await messagesOf(order)).toBe(2);
    } finally {
      await placing.release();
    }
  });

  it('a hold placed while a batch is between its reads and its writes waits for the batch to commit', async () => {
    const { customerId, orderIds } = await expiredCustomer(ds, 1);
    const [order] = orderIds as [string];
    // Another writer holds the order's shipment: the batch, having chosen the order, waits for it.
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`SELECT 1 FROM shipment WHERE order_id = $1 FOR UPDATE`, [order]);
      const run = runRetention(ds, { asOf: AS_OF });
      await waitersAtLeast(1);
      let committed = false;
      const placing = place(ds, { customerId }).then((id) => {
        committed = true;
        return id;
      });
      await Promise.race([placing, waitersAtLeast(2)]);
      // Were the hold committed now, the batch would go on to anonymize the order it covers.
      expect(committed).toBe(false);
      await writer.query('COMMIT');
      const report = reportOf(await run);
      await placing;
      // The batch chose the order before the hold existed and committed before it: the hold now
      // covers what is left. (The order held in the test before is still held.)
      expect(report.tables.order).toEqual({ found: 2, anonymized: 1, deleted: 0, held: 1 });
      expect(await applied([order])).toEqual([order]);
    } finally {
      await writer.end();
    }
  });

  it('an erased customer: a held order stays restricted until the hold is released, then the next run applies it; the order inside its window when its time comes', async () => {
    const { customerId, orderIds } = await expiredCustomer(ds, 1);
    const [held] = orderIds as [string];
    const recent = '4c1d0000-0000-4000-8000-ffff0000ffff';
    await insertOrder(ds, { id: recent, customerId, status: 'completed', ...OLD, completedAt: d('2025-06-01T10:00:00Z'), caseClosedAt: d('2025-05-20T10:00:00Z') });
    const hold = await place(ds, { orderId: held });
    await ds.transaction((em) => eraseCustomer(em, customerId, AS_OF));
    const restricted = async () =>
      (await ds.query(`SELECT id FROM "order" WHERE id = ANY($1) AND restricted_at IS NOT NULL ORDER BY id`, [[held, recent]])).map((r: { id: string }) => r.id);
    expect(await restricted()).toEqual([held, recent].sort());
    expect(await messagesOf(held)).toBe(2);

    await runRetention(ds, { asOf: AS_OF });
    expect(await applied([held, recent])).toEqual([]);
    await release(ds, hold);
    await runRetention(ds, { asOf: AS_OF });
    expect(await applied([held, recent])).toEqual([held]);
    expect(await messagesOf(held)).toBe(0);
    expect(await messagesOf(recent)).toBe(2);
    // 3 years after the completion of 2025-06-01T10:00Z, to the second.
    await runRetention(ds, { asOf: d('2028-06-01T09:59:59Z') });
    expect(await applied([recent])).toEqual([]);
    await runRetention(ds, { asOf: d('2028-06-01T10:00:00Z') });
    expect(await applied([recent])).toEqual([recent]);
    expect(await messagesOf(recent)).toBe(0);
  });

  it('a hold placed while an erasure is under way waits for the erasure to commit', async () => {
    const { customerId, orderIds } = await expiredCustomer(ds, 1);
    const [order] = orderIds as [string];
    let resume!: () => void;
    const paused = new Promise<void>((r) => (resume = r));
    let erasing!: Promise<unknown>;
    const reached = new Promise<void>((reachedFirstTable) => {
      erasing = ds.transaction((em) =>
        eraseCustomer(em, customerId, AS_OF, {
          afterTable: async () => {
            reachedFirstTable();
            await paused;
          },
        }),
      );
    });
    await reached;
    let committed = false;
    const placing = place(ds, { orderId: order }).then(() => (committed = true));
    await Promise.race([placing, waitersAtLeast(1)]);
    // Were the hold committed now, the erasure would go on to erase the order it covers.
    expect(committed).toBe(false);
    resume();
    await erasing;
    await placing;
    expect(committed).toBe(true);
  });

  it('keeps the attachments of a held order, blob and all; once released, the run deletes their rows and the sweep their blobs', async () => {
    const { orderIds } = await expiredCustomer(ds, 1);
    const [order] = orderIds as [string];
    const [{ id: caseId }] = await ds.query(`SELECT id FROM after_sales_case WHERE order_id = $1`, [order]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-blobs-'));
    try {
      const store = new FileSystemBlobStore(path.join(dir, 'store'));
      const key = `after-sales/${caseId}/0d0c0000-0000-4000-8000-000000000001`;
      const file = path.join(dir, 'photo');
      fs.writeFileSync(file, 'a photo of a scuffed boot');
      await store.put(key, file, 25);
      await ds.query(
        `INSERT INTO case_attachment (case_id, kind, content_type, size_bytes, sha256, storage_key, uploaded_at) VALUES ($1, 'photo', 'image/jpeg', 25, repeat('a', 64), $2, '2022-11-12Z')`,
        [caseId, key],
      );
      const sweep = () => sweepAttachmentBlobs(ds, store, { logger: createLogger('silent'), now: new Date(Date.now() + 2 * 3600_000) });
      const blobs = async () => {
        const keys: string[] = [];
        for await (const b of store.list('after-sales/')) keys.push(b.key);
        return keys;
      };
      const hold = await place(ds, { orderId: order });
      expect(reportOf(await runRetention(ds, { asOf: AS_OF })).tables.case_attachment).toEqual(expect.objectContaining({ held: 1, deleted: 0 }));
      await sweep();
      expect(await blobs()).toEqual([key]);
      await release(ds, hold);
      expect(reportOf(await runRetention(ds, { asOf: AS_OF })).tables.case_attachment).toEqual(expect.objectContaining({ deleted: 1 }));
      expect(await ds.query(`SELECT count(*)::int AS n FROM case_attachment WHERE storage_key = $1`, [key])).toEqual([{ n: 0 }]);
      await sweep();
      expect(await blobs()).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a run with --limit reaches the due orders behind held ones: held orders do not use up the limit', async () => {
    const { customerId, orderIds } = await expiredCustomer(ds, 2);
    // Due a year later than the held customer's two orders, so behind them in the job's order.
    const behind = '4c1d0000-0000-4000-8000-eeee0000eeee';
    await insertCustomer(ds, '4c1d0000-0000-4000-8000-eeeeeeeeeee0', d('2020-01-01T00:00:00Z'));
    await insertOrder(ds, { id: behind, customerId: '4c1d0000-0000-4000-8000-eeeeeeeeeee0', status: 'completed', ...OLD, completedAt: d('2023-11-16T10:00:00Z') });
    const hold = await place(ds, { customerId });
    const held = await ds.query(`SELECT count(*)::int AS n FROM "order" o WHERE o.retention_applied_at IS NULL AND o.retain_until <= $1`, [AS_OF]);
    const report = reportOf(await runRetention(ds, { asOf: AS_OF, limit: 1, batchSize: 1 }));
    expect(report.tables.order).toEqual({ found: held[0].n, anonymized: 1, deleted: 0, held: held[0].n - 1 });
    expect(await applied([...orderIds, behind])).toEqual([behind]);
    await release(ds, hold);
  });
});
