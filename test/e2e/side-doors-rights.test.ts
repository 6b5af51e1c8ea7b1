/**
 * Side doors of the newest surfaces, as an outside tester tries them over HTTP: the writes of
 * data-subject requests sent with an `Idempotency-Key` (and their replays, by another principal
 * or by the same one under other roles), who reads an access request's export, the one-time
 * export download link, the refusals of the transport before a request runs, and the queue of
 * privacy requests (its filters and cursors). The rule
 * each test holds them to: a caller cannot tell a row outside its scope from a row that does
 * not exist (by the answer, its status, its replay, or the audit events it leaves), what a
 * response carries is what the caller's view decides now, a secret answered once is never kept,
 * and every disclosure is audited.
 *
 * The core's side doors are tried in side-doors.test.ts, side-doors-compiled.test.ts,
 * side-doors-writes.test.ts (a foreign id and a random one, in process) and idempotency.test.ts
 * (keys on orders and cases); these are the ones those leave out.
 */
import { randomUUID } from 'node:crypto';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { INVALID_CURSOR_MESSAGE } from '../../src/platform/cursor-seal';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { EVENT_SETS, EVENT_SETS_JOIN } from '../../src/audit/audit-record';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { eventCount } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { insertPrivacyRequest } from '../harness/privacy-request-fixture';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const RANDOM_ID = '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f';
const EXPORT_LINK = `mutation($input: PrivacyRequestIdInput!) { createPrivacyExportLink(input: $input) { url expiresAt } }`;
const VERIFY = `mutation($input: VerifyPrivacyRequestInput!) { verifyPrivacyRequest(input: $input) { id status } }`;

/** What differs on every request whatever it asks: its id, its date, the requests left in the window. */
const PER_REQUEST = ['x-request-id', 'date', 'ratelimit-remaining', 'ratelimit-reset'];

/** What an answer shows its caller, without what differs on every request. */
function shown(r: { status: number; headers: Headers; text: string }) {
  const headers: Record<string, string> = {};
  r.headers.forEach((value, name) => {
    if (!PER_REQUEST.includes(name)) headers[name] = value;
  });
  return { status: r.status, headers, body: r.text };
}

describe('side doors of the rights work, over HTTP', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let otherCustomer: string;
  /** Completed access requests: the demo customer's own, and another customer's. */
  let ownAccess: string;
  let theirAccess: string;
  /** A request of the other customer's waiting for its code. */
  let theirReceived: string;
  const key = () => `key-${randomUUID()}`;
  /** The audit events a request left, without what differs on every request (ids, times, the seal). */
  const eventsOf = async (requestId: string | null) =>
    (await q(`SELECT principal_kind, principal_id, purpose, operation_type, operation_name, outcome, error_codes, flagged, privacy_request_reference, detail FROM audit_event WHERE request_id = $1`, [requestId])).map(
      ({ detail, ...rest }) => ({ ...rest, detail: detail && { ...detail, idempotentReplayOf: detail.idempotentReplayOf && 'a request' } }),
    );
  const q = <T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const bearer = async (options: DevTokenOptions) => ({ authorization: `Bearer ${await mintDevToken(options, gw.authConfig)}` });
  const customer = (customerId: string = DEMO_IDS.demoCustomer) => bearer({ kind: 'customer', customerId, purposes: ['data_subject_request'] });
  /** A compliance officer under data_subject_request, naming the privacy request its request serves. */
  const officer = async (requestId: string) => ({
    ...(await bearer({ kind: 'staff', subject: 'officer-sd', roles: ['compliance_officer'], purposes: ['data_subject_request'] })),
    'x-purpose': 'data_subject_request',
    'x-privacy-request': requestId,
  });

  const request = (customerId: string, type: string, status: string) => insertPrivacyRequest(db.dataSource, customerId, type, status);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    [{ id: otherCustomer }] = await q(`SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    ownAccess = await request(DEMO_IDS.demoCustomer, 'access', 'completed');
    theirAccess = await request(otherCustomer, 'access', 'completed');
    theirReceived = await request(otherCustomer, 'objection', 'received');
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  describe('privacy-request writes with an Idempotency-Key', () => {
    it('createPrivacyExportLink refuses a key, as every write answering a secret does: a one-time link is never kept, not even sealed', async () => {
      const links = async () => Number((await q(`SELECT count(*) n FROM privacy_export_link`))[0].n);
      const records = async () => Number((await q(`SELECT count(*) n FROM idempotency_record`))[0].n);
      const linksBefore = await links();
      const k = key();
      const refused = await gw.post({ query: EXPORT_LINK, variables: { input: { requestId: ownAccess } } }, { ...(await customer()), 'idempotency-key': k });
      expect({ status: refused.status, errors: refused.json.errors.map((e: any) => [e.extensions.code, e.message]) }).toEqual({
        status: 400,
        errors: [['BAD_USER_INPUT', 'Idempotency-Key: not accepted by writes that answer a one-time download link, which is never kept; send it without one']],
      });
      expect(await links()).toBe(linksBefore);
      // What the key keeps is the refusal, and the same key again answers the refusal, never a link.
      const again = await gw.post({ query: EXPORT_LINK, variables: { input: { requestId: ownAccess } } }, { ...(await customer()), 'idempotency-key': k });
      expect([again.status, again.text]).toEqual([400, refused.text]);
      expect(await links()).toBe(linksBefore);
      // The refusal comes before the request is looked up: another customer's request and none at all answer it alike.
      const keyed = async (id: string) => shown(await gw.post({ query: EXPORT_LINK, variables: { input: { requestId: id } } }, { ...(await customer()), 'idempotency-key': key() }));
      const foreign = await keyed(theirAccess);
      const missing = await keyed(RANDOM_ID);
      expect(foreign).toEqual(missing);
      expect(foreign).toEqual(shown(refused));
      const recordsAfterRefusals = await records();
      // Without a key the link is answered, once, and kept nowhere but in the answer.
      const answered = await gw.post({ query: EXPORT_LINK, variables: { input: { requestId: ownAccess } } }, await customer());
      expect([answered.status, answered.json.data.createPrivacyExportLink.url]).toEqual([200, expect.stringMatching(/\/privacy-exports\/[A-Za-z0-9_-]{43}$/)]);
      expect([await links(), await records()]).toEqual([linksBefore + 1, recordsAfterRefusals]);
    });

    it("a request outside the scope and a missing one answer alike with a key, and alike again when replayed; the owner's same key is its own", async () => {
      const mine = await customer();
      const send = (requestId: string, k: string, as: Record<string, string> = mine) =>
        gw.post({ query: VERIFY, variables: { input: { requestId, code: '000000' } } }, { ...as, 'idempotency-key': k });
      const [kForeign, kMissing] = [key(), key()];
      const foreign = await send(theirReceived, kForeign);
      const missing = await send(RANDOM_ID, kMissing);
      expect(shown(foreign)).toEqual(shown(missing));
      expect(missing.json.errors.map((e: any) => [e.extensions.code, e.message])).toEqual([['NOT_FOUND', 'Privacy request not found']]);
      expect(await eventsOf(foreign.headers.get('x-request-id'))).toEqual(await eventsOf(missing.headers.get('x-request-id')));
      // Replayed: the same answers, marked alike, audited alike.
      const [foreignAgain, missingAgain] = [await send(theirReceived, kForeign), await send(RANDOM_ID, kMissing)];
      expect(shown(foreignAgain)).toEqual(shown(missingAgain));
      expect(shown(foreignAgain)).toEqual({ ...shown(foreign), headers: { ...shown(foreign).headers, 'idempotent-replayed': 'true' } });
      expect(await eventsOf(foreignAgain.headers.get('x-request-id'))).toEqual(await eventsOf(missingAgain.headers.get('x-request-id')));
      // The owner sending the very key and request: not the stranger's kept answer but its own (no code was ever mailed for it).
      const owner = await send(theirReceived, kForeign, await customer(otherCustomer));
      expect([owner.status, owner.headers.get('idempotent-replayed'), owner.json.errors.map((e: any) => [e.extensions.code, e.extensions.reason])]).toEqual([400, null, [['BAD_USER_INPUT', 'CODE_EXPIRED']]]);
    });

    it("an officer's refused write says the state of the request it names, and of one that does not exist nothing but NOT_FOUND, with a key or without", async () => {
      // The officer's row reads every request (rows: all): the state it is told is its to read.
      // The header names a request that exists (one that does not is refused before anything runs: served-privacy-request.test.ts).
      const answer = async (requestId: string, withKey: boolean, served = requestId) =>
        gw.post({ query: `mutation($input: PrivacyRequestIdInput!) { assignPrivacyRequest(input: $input) { id status } }`, variables: { input: { requestId } } }, {
          ...(await officer(served)),
          ...(withKey ? { 'idempotency-key': key() } : {}),
        });
      for (const withKey of [false, true]) {
        const missing = await answer(RANDOM_ID, withKey, theirReceived);
        expect(missing.json.errors.map((e: any) => [e.extensions.code, e.message])).toEqual([['NOT_FOUND', 'Privacy request not found']]);
        const done = await answer(theirAccess, withKey);
        expect(done.json.errors.map((e: any) => [e.extensions.code, e.extensions.reason])).toEqual([['BAD_USER_INPUT', 'REQUEST_STATE']]);
      }
    });

    it("a key's first answer is not replayed to its principal under a narrower view: a role taken away since does not leave what it showed readable (the narrower view is another caller)", async () => {
      const [{ id: customerId, email }] = await q(`SELECT id, email FROM customer WHERE status = 'active' AND id NOT IN ($1, $2) ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer, otherCustomer]);
      const submit = { query: `mutation($input: SubmitPrivacyRequestInput!) { submitPrivacyRequest(input: $input) { id customer { email } } }`, variables: { input: { type: 'OBJECTION', customerId } } };
      const as = async (roles: NonNullable<DevTokenOptions['roles']>) => ({
        ...(await bearer({ kind: 'staff', subject: 'agent-two-roles', roles, purposes: ['data_subject_request'] })),
        'x-purpose': 'data_subject_request',
        'x-privacy-request': theirAccess,
      });
      const k = key();
      // As customer service and compliance officer: the officer's row sees the email in the clear.
      const first = await gw.post(submit, { ...(await as(['customer_service', 'compliance_officer'])), 'idempotency-key': k });
      expect([first.status, first.json.errors, first.json.data.submitPrivacyRequest.customer.email]).toEqual([200, undefined, email]);
      // The same person, the same key and request, now in customer service only, whose row sees the email masked.
      // Another caller than the first (keys are per caller): its own request, answered as under a fresh key, the email masked.
      const replay = await gw.post(submit, { ...(await as(['customer_service'])), 'idempotency-key': k });
      expect(replay.text).not.toContain(email);
      expect([replay.status, replay.json.errors, replay.headers.get('idempotent-replayed')]).toEqual([200, undefined, null]);
      expect(replay.json.data.submitPrivacyRequest.id).not.toBe(first.json.data.submitPrivacyRequest.id);
      expect(replay.json.data.submitPrivacyRequest.customer.email).not.toBe(email);
      // Under the permissions that answered it, it is replayed as before.
      const again = await gw.post(submit, { ...(await as(['compliance_officer', 'customer_service'])), 'idempotency-key': k });
      expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    });
  });

  describe("a customer's export", () => {
    it("is not read by customer service, whose row sees the customer's email only masked: the export would show it, and everything else, in the clear", async () => {
      const [{ email }] = await q(`SELECT email FROM customer WHERE id = $1`, [DEMO_IDS.demoCustomer]);
      const agent = { ...(await bearer({ kind: 'staff', subject: 'agent-sd', roles: ['customer_service'], purposes: ['data_subject_request'] })), 'x-purpose': 'data_subject_request' };
      // What the row shows of the customer: the email masked.
      const read = await gw.post({ query: `query($id: ID!) { customer(id: $id) { email } }`, variables: { id: DEMO_IDS.demoCustomer } }, agent);
      expect(read.json.data.customer.email).not.toBe(email);
      expect(read.text).not.toContain(email);
      const r = await gw.post({ query: `query($id: ID!) { privacyExport(id: $id) { requestId document } }`, variables: { id: ownAccess } }, agent);
      expect(r.text).not.toContain(email);
      expect(r.json).toEqual({
        data: { privacyExport: null },
        errors: [{ message: 'Not disclosed to this caller for this purpose: Query.privacyExport', locations: [{ line: 1, column: 19 }], path: ['privacyExport'], extensions: { code: 'FORBIDDEN' } }],
      });
    });
  });

  describe('the one-time export download link', () => {
    const EXPORTS = '/privacy-exports/';
    const linkOf = async (requestId: string, customerId: string = DEMO_IDS.demoCustomer): Promise<string> => {
      const r = await gw.post({ query: EXPORT_LINK, variables: { input: { requestId } } }, await customer(customerId));
      return new URL(r.json.data.createPrivacyExportLink.url).pathname.slice(EXPORTS.length);
    };
    const download = async (token: string, headers: Record<string, string> = {}) => {
      const r = await fetch(`${gw.url}${EXPORTS}${token}`, { method: 'POST', headers });
      return { status: r.status, headers: r.headers, text: await r.text() };
    };
    /** One character of a base64url token changed for another. */
    const tampered = (token: string, at: number) => `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    const unused = async () => Number((await q(`SELECT count(*) n FROM privacy_export_link WHERE used_at IS NULL`))[0].n);
    /** Three links of the customer's access request: one used, one expired, one fresh. */
    const usedExpiredFresh = async () => {
      const used = await linkOf(ownAccess);
      expect((await download(used)).status).toBe(200);
      const expired = await linkOf(ownAccess);
      await q(`UPDATE privacy_export_link SET expires_at = now() - interval '1 second' WHERE used_at IS NULL AND request_id = $1 AND expires_at > now()`, [ownAccess]);
      return { used, expired, fresh: await linkOf(ownAccess) };
    };

    it('used, expired, tampered by one character, unknown, or of a customer erased since: one refusal, and none of them audited or claiming a link', async () => {
      const { used, expired, fresh } = await usedExpiredFresh();
      // The other customer asks for their export link, and is then erased.
      const erased = await linkOf(theirAccess, otherCustomer);
      await db.dataSource.transaction((em) => eraseCustomer(em, otherCustomer, new Date()));
      const [events, unusedBefore] = [await eventCount(db.dataSource), await unused()];
      const refusals = {
        used: await download(used),
        expired: await download(expired),
        'tampered at its first character': await download(tampered(fresh, 0)),
        'tampered at its last character': await download(tampered(fresh, fresh.length - 1)),
        unknown: await download('A'.repeat(43)),
        'not a token': await download('x'),
        'of an erased customer': await download(erased),
      };
      const expected = {
        status: 404,
        headers: {
          'cache-control': 'no-store',
          'content-type': 'application/json; charset=utf-8',
          'referrer-policy': 'no-referrer',
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
          'x-frame-options': 'DENY',
        },
        body: JSON.stringify({ errors: [{ message: 'This download link is unknown, used or expired: ask for a new one (createPrivacyExportLink)', extensions: { code: 'NOT_FOUND' } }] }),
      };
      for (const [label, r] of Object.entries(refusals)) {
        const { connection: _c, 'keep-alive': _k, 'content-length': _l, ...headers } = shown(r).headers;
        expect({ label, ...shown(r), headers }).toEqual({ label, ...expected });
      }
      // Nothing was disclosed, so nothing is audited; and no refusal spent a link: the fresh one still downloads.
      expect([await eventCount(db.dataSource), await unused()]).toEqual([events, unusedBefore]);
      expect((await download(fresh)).status).toBe(200);
    });

    it("a refusal of the page's button (a form post, or a browser asking for HTML) is one page saying the link no longer works, the same for every reason, auditing and spending nothing", async () => {
      const { used, expired, fresh } = await usedExpiredFresh();
      const [events, unusedBefore] = [await eventCount(db.dataSource), await unused()];
      const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
      const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
      const refusals = {
        used: await download(used, FORM),
        expired: await download(expired, FORM),
        tampered: await download(tampered(fresh, 0), FORM),
        unknown: await download('A'.repeat(43), FORM),
        'used, asked for as HTML': await download(used, BROWSER),
        'unknown, asked for as HTML': await download('A'.repeat(43), BROWSER),
      };
      const page = refusals.used;
      expect([page.status, page.headers.get('content-type'), page.headers.get('content-security-policy'), page.headers.get('cache-control')]).toEqual([
        404,
        'text/html; charset=utf-8',
        "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        'no-store',
      ]);
      expect(page.text).toMatch(/<h1>This download link no longer works<\/h1>/);
      expect(page.text).toContain('used already or it has expired');
      expect(page.text).toContain('Ask the store for a new link.');
      expect(page.text).not.toContain(used);
      for (const [label, r] of Object.entries(refusals)) expect({ label, ...shown(r) }).toEqual({ label, ...shown(page) });
      // A client that asks for neither keeps the JSON refusal.
      expect((await download(used, { accept: 'application/json' })).headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect([await eventCount(db.dataSource), await unused()]).toEqual([events, unusedBefore]);
      expect((await download(fresh, FORM)).status).toBe(200);
    });

    it('a GET or HEAD of the link (a mail scanner, a link preview) answers the same page for any token, spends nothing and audits nothing; the page posts back to download', async () => {
      const token = await linkOf(ownAccess);
      const [events, unusedBefore] = [await eventCount(db.dataSource), await unused()];
      const fetched = async (path: string, method: string) => {
        const r = await fetch(`${gw.url}${EXPORTS}${path}`, { method });
        return { status: r.status, type: r.headers.get('content-type'), csp: r.headers.get('content-security-policy'), referrer: r.headers.get('referrer-policy'), cache: r.headers.get('cache-control'), body: await r.text() };
      };
      const page = await fetched(token, 'GET');
      expect({ ...page, body: undefined }).toEqual({
        status: 200,
        type: 'text/html; charset=utf-8',
        csp: "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        referrer: 'no-referrer',
        cache: 'no-store',
        body: undefined,
      });
      // One form, posting back to this very address, and nothing of the export or the request.
      expect(page.body.match(/<form[^>]*>/g)).toEqual(['<form method="post">']);
      expect(page.body).not.toContain(ownAccess);
      expect(page.body).not.toContain(token);
      // The same page for a token that is used, unknown or not one at all: a GET tells nothing of the link.
      for (const other of ['A'.repeat(43), 'x']) expect(await fetched(other, 'GET')).toEqual(page);
      expect(await fetched(token, 'HEAD')).toEqual({ ...page, body: '' });
      expect(await fetched(token, 'GET')).toEqual(page);
      expect([await eventCount(db.dataSource), await unused()]).toEqual([events, unusedBefore]);
      // Other methods are refused, and spend nothing either.
      const put = await fetch(`${gw.url}${EXPORTS}${token}`, { method: 'PUT' });
      expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD, POST']);
      expect(await unused()).toBe(unusedBefore);
      // The button's POST downloads it, once.
      expect((await download(token)).status).toBe(200);
      expect((await download(token)).status).toBe(404);
      expect(await unused()).toBe(unusedBefore - 1);
    });

    it("every download is audited before it is answered: the link, whose data, which request, flagged", async () => {
      const token = await linkOf(ownAccess);
      const r = await download(token);
      expect(r.status).toBe(200);
      const [event] = await q(
        `SELECT e.principal_kind, e.purpose, e.operation_name, e.outcome, e.flagged, e.privacy_request_reference, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.request_id = $1`,
        [r.headers.get('x-request-id')],
      );
      expect(event).toEqual({
        principal_kind: 'export_link',
        purpose: 'data_subject_request',
        operation_name: 'downloadPrivacyExport',
        outcome: 'ok',
        flagged: true,
        privacy_request_reference: ownAccess,
        subject_ids: [DEMO_IDS.demoCustomer],
        disclosed: ['PrivacyExport.document'],
        masked: [],
        denied: [],
      });
    });
  });

  describe('refusals before a request runs', () => {
    const REQUEST = `query($id: ID!) { privacyRequest(id: $id) { id status type } }`;

    it("401 and 429 answer a question about a request outside the scope as one about a missing request, and leave the same audit events", async () => {
      const budgeted = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 1000, missesPerMinute: 100, refusalsPerMinute: 1 } });
      try {
        const ask = async (id: string, headers: Record<string, string>) => budgeted.post({ query: REQUEST, variables: { id } }, headers);
        // A token signed with another key: 401, before anything is read.
        const forged = { authorization: `Bearer ${await mintDevToken({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['data_subject_request'], secret: 'not the gateway secret' }, budgeted.authConfig)}` };
        const [foreign401, missing401] = [await ask(theirReceived, forged), await ask(RANDOM_ID, forged)];
        expect(shown(foreign401)).toEqual(shown(missing401));
        expect(foreign401.status).toBe(401);
        expect([await eventsOf(foreign401.headers.get('x-request-id')), await eventsOf(missing401.headers.get('x-request-id'))]).toEqual([[], []]);
        // A customer who spent their one refusal: 429, audited, naming no request and no subject.
        const spender = { authorization: `Bearer ${await mintDevToken({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['data_subject_request'] }, budgeted.authConfig)}` };
        expect((await budgeted.post('{"query": ', spender)).status).toBe(400);
        const [foreign429, missing429] = [await ask(theirReceived, spender), await ask(RANDOM_ID, spender)];
        expect([foreign429.status, missing429.status]).toEqual([429, 429]);
        const withoutRetry = (r: typeof foreign429) => ({ ...shown(r), body: r.text.replace(/\d+/g, 'N'), headers: { ...shown(r).headers, 'retry-after': 'N' } });
        expect(withoutRetry(foreign429)).toEqual(withoutRetry(missing429));
        const [foreignEvents, missingEvents] = [await eventsOf(foreign429.headers.get('x-request-id')), await eventsOf(missing429.headers.get('x-request-id'))];
        expect(foreignEvents).toEqual(missingEvents);
        expect(foreignEvents).toEqual([expect.objectContaining({ principal_kind: 'customer', outcome: 'denied', error_codes: ['RATE_LIMITED'], privacy_request_reference: null, detail: null })]);
      } finally {
        await budgeted.close();
      }
    });
  });

  describe('the queue of privacy requests: filters and cursors', () => {
    const LIST = `query($filter: PrivacyRequestFilter, $after: String) { privacyRequests(first: 1, filter: $filter, after: $after) { nodes { id } pageInfo { endCursor } } }`;

    it("a customer filtering by another customer's id learns what a random id tells: nothing, alike", async () => {
      const [{ id: third }] = await q(`SELECT id FROM customer WHERE status = 'active' AND id NOT IN ($1, $2) ORDER BY id DESC LIMIT 1`, [DEMO_IDS.demoCustomer, otherCustomer]);
      await request(third, 'objection', 'identity_verified');
      const mine = await customer();
      const [foreign, missing] = [
        await gw.post({ query: LIST, variables: { filter: { customerId: third } } }, mine),
        await gw.post({ query: LIST, variables: { filter: { customerId: RANDOM_ID } } }, mine),
      ];
      expect(shown(foreign)).toEqual(shown(missing));
      expect(missing.json).toEqual({ data: { privacyRequests: { nodes: [], pageInfo: { endCursor: null } } } });
      expect(await eventsOf(foreign.headers.get('x-request-id'))).toEqual(await eventsOf(missing.headers.get('x-request-id')));
    });

    it("an officer's cursor does not open the customer's queue: refused as a cursor changed by one character is", async () => {
      const first = await gw.post({ query: LIST, variables: {} }, await officer(theirAccess));
      const officers: string = first.json.data.privacyRequests.pageInfo.endCursor;
      const ownPage = await gw.post({ query: LIST, variables: {} }, await customer());
      const own: string = ownPage.json.data.privacyRequests.pageInfo.endCursor;
      const changed = `${own.slice(0, -1)}${own.endsWith('A') ? 'B' : 'A'}`;
      const refusal = async (after: string) => (await gw.post({ query: LIST, variables: { after } }, await customer())).json.errors.map((e: any) => [e.extensions.code, e.message]);
      expect(await refusal(officers)).toEqual([['BAD_USER_INPUT', INVALID_CURSOR_MESSAGE]]);
      expect(await refusal(changed)).toEqual(await refusal(officers));
      // The customer's own cursor opens their next page.
      expect((await gw.post({ query: LIST, variables: { after: own } }, await customer())).json.errors).toBeUndefined();
    });
  });
});
