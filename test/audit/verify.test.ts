/**
 * Tampering as a superuser — triggers switched off with session_replication_role = replica —
 * and `verifyAuditLog` catching each change and naming the first row or seal it hit.
 *
 * Every test starts from the same log: 3 seals of 5 events (seal n holds events e[n][0..4]).
 */
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import { AuditLog } from '../../src/audit/audit-log';
import { contentOfRow, eventHash, EVENT_SETS, EVENT_SETS_JOIN, sealHash, subjectSetHash, type AuditEventRow } from '../../src/audit/audit-record';
import { merkleRoot } from '../../src/audit/merkle';
import { describeVerification, parseAnchor } from '../../src/audit/verify-command';
import { verifyAuditLog, type AuditProblem } from '../../src/audit/verify';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { createTestDatabase, type TestDatabase } from '../harness/database';

const OTHER_CUSTOMER = '00000000-0000-4000-8000-0000000000c2';

let db: TestDatabase;
/** events[seal - 1][position] = event id */
let events: string[][];

/** Runs SQL with the append-only triggers off, as only a superuser can. */
async function tamper(sql: string, params: unknown[] = []): Promise<void> {
  await db.dataSource.transaction(async (em) => {
    await em.query(`SET LOCAL session_replication_role = replica`);
    await em.query(sql, params);
  });
}

async function row(id: string): Promise<AuditEventRow> {
  const [r] = await db.dataSource.query(`SELECT e.*, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.id = $1`, [id]);
  return r;
}

async function firstProblem(): Promise<Pick<AuditProblem, 'kind' | 'sealId' | 'eventId' | 'position'> & { message: string }> {
  const result = await verifyAuditLog(db.dataSource);
  expect(result.intact).toBe(false);
  const { kind, sealId, eventId, position, message } = result.problems[0]!;
  return { kind, sealId, eventId, position, message };
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

beforeEach(async () => {
  await tamper(`TRUNCATE audit_event, audit_seal, audit_subject_set, audit_coordinate_set`);
  const log = new AuditLog(db.dataSource, { windowMs: 20, maxBatchSize: 5 });
  await Promise.all(
    Array.from({ length: 15 }, (_, i) =>
      log.append({
        requestId: `request-${i}`,
        at: new Date(Date.UTC(2026, 0, 1, 12, 0, i)),
        principal: { kind: 'staff', id: `officer-${i}`, roles: ['customer_service'] },
        purpose: 'after_sales',
        operationType: AuditOperationType.QUERY,
        operationName: 'Case',
        outcome: AuditOutcome.OK,
        // Two subjects: the events name a subject set (one subject is held in the row: 'inline subject' below).
        subjectIds: [DEMO_IDS.demoCustomer, OTHER_CUSTOMER],
        disclosed: ['Customer.email'],
      }),
    ),
  );
  await log.close();
  const seals: Array<{ event_ids: string[] }> = await db.dataSource.query(`SELECT event_ids FROM audit_seal ORDER BY id`);
  events = seals.map((s) => s.event_ids);
  expect(events.map((e) => e.length)).toEqual([5, 5, 5]);
});

describe('verifyAuditLog', () => {
  it('finds an untouched log intact and reports its head', async () => {
    const result = await verifyAuditLog(db.dataSource);
    const [head] = await db.dataSource.query(`SELECT hash FROM audit_seal WHERE id = 3`);
    expect(result).toEqual({ intact: true, events: 15, seals: 3, head: { sealId: '3', hash: head.hash }, ms: expect.any(Number), problems: [], problemCount: 0, expired: { events: 0, months: [] } });
  });

  it('catches an altered event', async () => {
    const id = events[1]![2]!;
    await tamper(`UPDATE audit_event SET principal_id = 'someone-else' WHERE id = $1`, [id]);
    expect(await firstProblem()).toEqual({
      kind: 'event-altered',
      sealId: '2',
      eventId: id,
      position: 2,
      message: `event ${id} (seal 2, position 2) was altered: its columns no longer match its hash`,
    });
  });

  it.each([
    ['subjects', `subject_set = NULL`],
    ['disclosed coordinates', `disclosed = '{Customer.phone}'`],
    ['outcome', `outcome = 'denied'`],
    ['legal case reference', `legal_case_reference = 'LC-1'`],
    ['time by a microsecond', `at = at + interval '1 microsecond'`],
  ])('catches a change to the %s', async (_label, assignment) => {
    const id = events[0]![0]!;
    await tamper(`UPDATE audit_event SET ${assignment} WHERE id = $1`, [id]);
    expect(await firstProblem()).toEqual(expect.objectContaining({ kind: 'event-altered', eventId: id, sealId: '1', position: 0 }));
  });

  it('catches a subject set changed under the events that name it, and names the first of them', async () => {
    const { subject_set: set } = await row(events[0]![0]!);
    await tamper(`UPDATE audit_subject_set SET subject_ids = $2 WHERE hash = $1`, [set, [DEMO_IDS.demoCustomer, DEMO_IDS.logisticsPartners[0]]]);
    const result = await verifyAuditLog(db.dataSource);
    // All fifteen events named the one set; every one of them now fails its hash.
    expect(result.problems.filter((p) => p.kind === 'event-altered').map((p) => p.eventId)).toEqual(events.flat());
  });

  it.each(['subject', 'coordinate'] as const)('catches a %s set that was removed, and says so', async (kind) => {
    const id = events[0]![0]!;
    const set = (await row(id))[`${kind}_set`];
    await tamper(`DELETE FROM audit_${kind}_set WHERE hash = $1`, [set]);
    expect(await firstProblem()).toEqual({
      kind: 'event-altered',
      sealId: '1',
      eventId: id,
      position: 0,
      message: `event ${id} (seal 1, position 0) was altered: its ${kind} set ${set} is missing`,
    });
  });

  it('catches a coordinate set changed under the events that name it', async () => {
    const { coordinate_set: set } = await row(events[0]![0]!);
    expect(set).toMatch(/^[0-9a-f]{64}$/);
    await tamper(`UPDATE audit_coordinate_set SET disclosed = '{Customer.phone}' WHERE hash = $1`, [set]);
    const result = await verifyAuditLog(db.dataSource);
    // All fifteen events named the one set; every one of them now fails its hash.
    expect(result.problems.filter((p) => p.kind === 'event-altered').map((p) => p.eventId)).toEqual(events.flat());
  });

  it('catches lists moved between a coordinate set\'s columns', async () => {
    const { coordinate_set: set } = await row(events[0]![0]!);
    await tamper(`UPDATE audit_coordinate_set SET disclosed = '{}', masked = '{Customer.email}' WHERE hash = $1`, [set]);
    expect(await firstProblem()).toEqual(expect.objectContaining({ kind: 'event-altered', eventId: events[0]![0], sealId: '1', position: 0 }));
  });

  it('catches an event that names a coordinate set and holds lists of its own as well, even the same lists', async () => {
    const id = events[2]![1]!;
    await tamper(`UPDATE audit_event SET disclosed = '{Customer.email}', masked = '{}', denied = '{}' WHERE id = $1`, [id]);
    expect(await firstProblem()).toEqual(expect.objectContaining({ kind: 'event-altered', eventId: id, sealId: '3', position: 1 }));
  });

  it('catches an event moved to another coordinate set, or to lists of its own', async () => {
    const [a, b] = [events[0]![1]!, events[1]![3]!];
    await tamper(`INSERT INTO audit_coordinate_set (hash, disclosed, masked, denied) VALUES ($1, '{Customer.phone}', '{}', '{}')`, ['e'.repeat(64)]);
    await tamper(`UPDATE audit_event SET coordinate_set = $2 WHERE id = $1`, [a, 'e'.repeat(64)]);
    await tamper(`UPDATE audit_event SET coordinate_set = NULL, disclosed = '{Customer.phone}', masked = '{}', denied = '{}' WHERE id = $1`, [b]);
    const result = await verifyAuditLog(db.dataSource);
    expect(result.problems.map((p) => [p.kind, p.eventId])).toEqual([
      ['event-altered', a],
      ['event-altered', b],
    ]);
  });

  it('catches an event rewritten together with a recomputed hash, by its seal\'s Merkle root', async () => {
    const id = events[1]![4]!;
    const forged = { ...contentOfRow(await row(id)), principalId: 'someone-else' };
    await tamper(`UPDATE audit_event SET principal_id = $2, hash = $3 WHERE id = $1`, [id, forged.principalId, eventHash(forged)]);
    expect(await firstProblem()).toEqual({
      kind: 'batch-altered',
      sealId: '2',
      eventId: null,
      position: null,
      message: 'the events of seal 2 no longer produce its Merkle root: events were rewritten together with their hashes, or exchanged',
    });
  });

  it('catches a removed event', async () => {
    const id = events[2]![0]!;
    await tamper(`DELETE FROM audit_event WHERE id = $1`, [id]);
    expect(await firstProblem()).toEqual({ kind: 'event-removed', sealId: '3', eventId: id, position: 0, message: `event ${id} (seal 3, position 0) was removed` });
  });

  it('catches a forged event slipped into a seal', async () => {
    const original = await row(events[1]![0]!);
    const forged = { ...contentOfRow(original), id: '00000000-0000-4000-8000-00000000f0e9' };
    await tamper(`INSERT INTO audit_event SELECT (json_populate_record(NULL::audit_event, $1::json)).*`, [
      JSON.stringify({ ...original, id: forged.id, hash: eventHash(forged) }),
    ]);
    expect(await firstProblem()).toEqual({
      kind: 'event-inserted',
      sealId: '2',
      eventId: forged.id,
      position: 5,
      message: `event ${forged.id} claims seal 2, which does not list it: inserted`,
    });
  });

  it('catches a forged event that claims no seal', async () => {
    const original = await row(events[0]![0]!);
    const forgedId = '00000000-0000-4000-8000-00000000f0ea';
    await tamper(`INSERT INTO audit_event SELECT (json_populate_record(NULL::audit_event, $1::json)).*`, [
      JSON.stringify({ ...original, id: forgedId, seal_id: 99 }),
    ]);
    expect(await firstProblem()).toEqual(expect.objectContaining({ kind: 'event-inserted', eventId: forgedId, message: `event ${forgedId} is not covered by any seal: inserted` }));
  });

  it('catches two events whose timestamps were exchanged', async () => {
    const [a, b] = [events[1]![1]!, events[1]![3]!];
    await tamper(`UPDATE audit_event SET at = CASE id WHEN $1::uuid THEN (SELECT at FROM audit_event WHERE id = $2) ELSE (SELECT at FROM audit_event WHERE id = $1) END WHERE id IN ($1, $2)`, [a, b]);
    expect(await firstProblem()).toEqual({
      kind: 'event-reordered',
      sealId: '2',
      eventId: a,
      position: 1,
      message: `event ${a} (seal 2, position 1) was reordered: its timestamp was exchanged with event ${b}'s`,
    });
  });

  it('catches two events whose ids were exchanged', async () => {
    const [a, b] = [events[0]![3]!, events[0]![4]!];
    await tamper(`UPDATE audit_event SET id = CASE id WHEN $1::uuid THEN $2::uuid ELSE $1::uuid END WHERE id IN ($1, $2)`, [a, b]);
    expect(await firstProblem()).toEqual({
      kind: 'event-reordered',
      sealId: '1',
      eventId: a,
      position: 3,
      message: `event ${a} (seal 1, position 3) was reordered: its id was exchanged with event ${b}`,
    });
  });

  it('catches an event moved into another seal', async () => {
    const [early, late] = [events[0]![1]!, events[2]![1]!];
    await tamper(`UPDATE audit_event SET seal_id = CASE id WHEN $1::uuid THEN 3 ELSE 1 END WHERE id IN ($1, $2)`, [early, late]);
    expect(await firstProblem()).toEqual({
      kind: 'event-moved',
      sealId: '1',
      eventId: early,
      position: 1,
      message: `event ${early}, sealed by seal 1 at position 1, now claims seal 3: moved out of its place in the log`,
    });
  });

  it('catches an altered seal', async () => {
    await tamper(`UPDATE audit_seal SET merkle_root = repeat('a', 64) WHERE id = 2`);
    expect(await firstProblem()).toEqual({ kind: 'seal-altered', sealId: '2', eventId: null, position: null, message: 'seal 2 was altered: its columns no longer match its hash' });
  });

  it('catches a seal whose time moved by a microsecond', async () => {
    await tamper(`UPDATE audit_seal SET sealed_at = sealed_at + interval '1 microsecond' WHERE id = 3`);
    expect(await firstProblem()).toEqual(expect.objectContaining({ kind: 'seal-altered', sealId: '3' }));
  });

  it('catches a seal rewritten with a recomputed hash, at the next seal', async () => {
    const [s] = await db.dataSource.query(`SELECT * FROM audit_seal WHERE id = 1`);
    const ids = [...s.event_ids].reverse();
    const root = merkleRoot(await Promise.all(ids.map(async (id: string) => eventHash(contentOfRow(await row(id))))));
    const hash = sealHash({ id: '1', sealedAt: s.sealed_at, eventCount: 5, eventIds: ids, merkleRoot: root, previousHash: s.previous_hash });
    await tamper(`UPDATE audit_seal SET event_ids = $1, merkle_root = $2, hash = $3 WHERE id = 1`, [ids, root, hash]);
    expect(await firstProblem()).toEqual({
      kind: 'seal-unlinked',
      sealId: '2',
      eventId: null,
      position: null,
      message: 'seal 2 does not link to seal 1: seal 1 was rewritten with a new hash, or seal 2 was inserted or moved',
    });
  });

  it('catches a removed seal, and the events it left unsealed', async () => {
    await tamper(`DELETE FROM audit_seal WHERE id = 2`);
    const result = await verifyAuditLog(db.dataSource);
    expect(result.problems[0]).toEqual({ kind: 'seal-removed', sealId: '2', eventId: null, position: null, message: 'seal 2 removed: seal 3 follows seal 1' });
    expect(result.problems.filter((p) => p.kind === 'event-inserted').map((p) => p.eventId).sort()).toEqual([...events[1]!].sort());
  });

  it('catches the head rewritten from scratch only with an anchor recorded earlier', async () => {
    const anchor = (await verifyAuditLog(db.dataSource)).head!;
    // Drop the last event and reseal seal 3 consistently: nothing inside the database can tell.
    const [s] = await db.dataSource.query(`SELECT * FROM audit_seal WHERE id = 3`);
    const ids = s.event_ids.slice(0, 4);
    const root = merkleRoot(await Promise.all(ids.map(async (id: string) => eventHash(contentOfRow(await row(id))))));
    const hash = sealHash({ id: '3', sealedAt: s.sealed_at, eventCount: 4, eventIds: ids, merkleRoot: root, previousHash: s.previous_hash });
    await tamper(`DELETE FROM audit_event WHERE id = $1`, [s.event_ids[4]]);
    await tamper(`UPDATE audit_seal SET event_ids = $1, event_count = 4, merkle_root = $2, hash = $3 WHERE id = 3`, [ids, root, hash]);
    expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    const anchored = await verifyAuditLog(db.dataSource, { anchors: [parseAnchor(`${anchor.sealId}:${anchor.hash}`)] });
    expect(anchored.problems).toEqual([
      {
        kind: 'anchor-mismatch',
        sealId: '3',
        eventId: null,
        position: null,
        message: `seal 3 no longer has the hash recorded for it (${anchor.hash}): the chain was rewritten from there on`,
      },
    ]);
  });

  it('reports problems in log order, the first one first, and counts them all', async () => {
    await tamper(`DELETE FROM audit_event WHERE id = $1`, [events[2]![4]]);
    await tamper(`UPDATE audit_event SET outcome = 'error' WHERE id = $1`, [events[0]![4]]);
    const result = await verifyAuditLog(db.dataSource);
    expect(result.problems.map((p) => [p.kind, p.sealId, p.position])).toEqual([
      ['event-altered', '1', 4],
      ['event-removed', '3', 4],
    ]);
    expect(describeVerification(result)).toEqual(
      `audit log BROKEN: event ${events[0]![4]} (seal 1, position 4) was altered: its columns no longer match its hash\n` +
        `2 problems in all (14 events, 3 seals read in ${(result.ms / 1000).toFixed(2)} s):\n` +
        `  - event-altered: event ${events[0]![4]} (seal 1, position 4) was altered: its columns no longer match its hash\n` +
        `  - event-removed: event ${events[2]![4]} (seal 3, position 4) was removed\n`,
    );
  });

  it('reads a long log in chunks and reports progress', async () => {
    const progress: Array<[number, number]> = [];
    const result = await verifyAuditLog(db.dataSource, { sealsPerChunk: 2, onProgress: (done, total) => progress.push([done, total]) });
    expect(progress).toEqual([
      [2, 3],
      [3, 3],
    ]);
    expect(result.intact).toBe(true);
    expect(describeVerification(result)).toMatch(/^audit log intact: 15 events in 3 seals, verified in [\d.]+ s\nhead: seal 3 [0-9a-f]{64} \(record it; check it later with --anchor 3:[0-9a-f]{64}\)\n$/);
  });

  it('refuses an anchor that is not SEAL_ID:SHA256', () => {
    expect(() => parseAnchor('3:xyz')).toThrow('--anchor: expected SEAL_ID:SHA256 (a seal number, a colon, 64 lowercase hex digits), got "3:xyz"');
  });
});

describe('verifyAuditLog, an event holding its one subject (migration 1795000012000)', () => {
  /** Seal 4: three events of one subject each, after the fifteen of two. */
  let inline: string[];
  beforeEach(async () => {
    const log = new AuditLog(db.dataSource, { windowMs: 20, maxBatchSize: 5 });
    const customers = [DEMO_IDS.demoCustomer, OTHER_CUSTOMER, DEMO_IDS.demoCustomer];
    await Promise.all(
      customers.map((customer, i) =>
        log.append({
          requestId: `inline-${i}`,
          at: new Date(Date.UTC(2026, 0, 1, 13, 0, i)),
          principal: { kind: 'staff', id: 'agent', roles: ['customer_service'] },
          purpose: 'after_sales',
          operationType: AuditOperationType.QUERY,
          outcome: AuditOutcome.OK,
          subjectIds: [customer],
          disclosed: ['Customer.email'],
        }),
      ),
    );
    await log.close();
    const [seal]: Array<{ event_ids: string[] }> = await db.dataSource.query(`SELECT event_ids FROM audit_seal WHERE id = 4`);
    inline = seal!.event_ids;
  });

  it('stores the subject in the row, names no set, reads it back as the event\'s subjects, and verifies', async () => {
    const stored = await row(inline[1]!);
    expect({ subject_id: stored.subject_id, subject_set: stored.subject_set, subject_ids: stored.subject_ids }).toEqual({ subject_id: OTHER_CUSTOMER, subject_set: null, subject_ids: [OTHER_CUSTOMER] });
    const result = await verifyAuditLog(db.dataSource);
    expect({ intact: result.intact, events: result.events, problems: result.problems }).toEqual({ intact: true, events: 18, problems: [] });
  });

  it.each([
    ['exchanged for another customer', `subject_id = '${DEMO_IDS.demoCustomer}'`],
    ['removed', `subject_id = NULL`],
    ['moved to the two-id set of the other events', `subject_id = NULL, subject_set = (SELECT subject_set FROM audit_event WHERE subject_set IS NOT NULL LIMIT 1)`],
  ])('catches the subject %s', async (_label, assignment) => {
    const id = inline[1]!;
    await tamper(`UPDATE audit_event SET ${assignment} WHERE id = $1`, [id]);
    expect(await firstProblem()).toEqual(expect.objectContaining({ kind: 'event-altered', eventId: id, sealId: '4', position: 1 }));
  });

  it('catches an event that holds a subject and names a set as well, even a set of that one subject, and says so', async () => {
    const id = inline[1]!;
    const oneIdSet = subjectSetHash([OTHER_CUSTOMER]);
    await tamper(`INSERT INTO audit_subject_set (hash, subject_ids) VALUES ($1, $2)`, [oneIdSet, [OTHER_CUSTOMER]]);
    await tamper(`UPDATE audit_event SET subject_set = $2 WHERE id = $1`, [id, oneIdSet]);
    expect(await firstProblem()).toEqual({
      kind: 'event-altered',
      sealId: '4',
      eventId: id,
      position: 1,
      message: `event ${id} (seal 4, position 1) was altered: it holds subject ${OTHER_CUSTOMER} and names subject set ${oneIdSet} as well`,
    });
  });
});
