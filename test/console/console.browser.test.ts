/**
 * The compliance console in a real browser (headless Chromium through playwright-core), served
 * by the gateway over HTTP, against the demo data: sign in, the disclosure matrix, the request queue, an opened request and the
 * actions the gateway lists for it (take, erase, reject, carry out, a download link, and one refused), a customer's
 * disclosures and their CSV export, placing and releasing a legal hold, and verifying the audit log — each checked in the page and
 * in the audit log itself. Also: keyboard use, a narrow screen, and no request leaving for
 * another origin.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page, Request } from 'playwright-core';
import sharp from 'sharp';
import { EVENT_SETS, EVENT_SETS_JOIN } from '../../src/audit/audit-record';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { mintDevToken } from '../../src/auth/dev-token';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { launchChromium } from '../harness/browser';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const CONSOLE_DIRECTORY = path.resolve(__dirname, '../../dist/console');
const CASE = 'LC-2026-TEST-7';
const OFFICER = 'compliance-officer-console-test';
const CUSTOMER = DEMO_IDS.demoCustomer;
/** When set, the tests save the README's screenshots there. */
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;

jest.setTimeout(60_000);

describe('compliance console (Chromium)', () => {
  let db: TestDatabase;
  let http: HttpGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  /** The requests the queue test puts in the queue, for the tests that work them. */
  let queued: Record<'a' | 'b' | 'c' | 'overdue' | 'soon' | 'later' | 'unverified', string>;

  const eventsAbout = async (customerId: string): Promise<string[]> =>
    (
      await db.dataSource.query(
        `SELECT e.id FROM (SELECT e.id, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN}) e WHERE e.subject_ids @> ARRAY[$1]::uuid[] ORDER BY e.id`,
        [customerId],
      )
    ).map((r: { id: string }) => r.id);
  const consoleEvents = (operationName: string) =>
    db.dataSource.query(
      `SELECT principal_id, purpose, flagged, legal_case_reference, outcome, operation_type FROM audit_event WHERE operation_name = $1 ORDER BY id`,
      [operationName],
    );
  const requestEvents = (operationName: string) =>
    db.dataSource.query(
      `SELECT principal_id, purpose, flagged, legal_case_reference, privacy_request_reference, outcome, subject_ids FROM (
         SELECT e.id, e.principal_id, e.purpose, e.flagged, e.legal_case_reference, e.privacy_request_reference, e.outcome, e.operation_name, ${EVENT_SETS}
           FROM audit_event e ${EVENT_SETS_JOIN}) e WHERE e.operation_name = $1 ORDER BY e.id`,
      [operationName],
    );
  const shot = async (name: string, from: Page = page) => {
    if (!SCREENSHOTS) return;
    // A palette of 64 colours keeps the README's images small; the console has few colours.
    const png = await from.screenshot({ fullPage: false });
    await sharp(png).png({ palette: true, colours: 64, compressionLevel: 9 }).toFile(path.join(SCREENSHOTS, `${name}.png`));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    const authConfig = loadAuthConfig({}, 'test');
    http = await startHttpGateway(db, {
      console: {
        directory: CONSOLE_DIRECTORY,
        devSignIn: () => mintDevToken({ kind: 'staff', subject: OFFICER, roles: ['compliance_officer'], purposes: ['legal_compliance', 'data_subject_request'] }, authConfig),
      },
    });
    // Somebody read the demo customer's contact data: the disclosure the console must find.
    const agent = await mintDevToken({ kind: 'staff', subject: 'agent-17', roles: ['customer_service'], purposes: ['after_sales'] }, authConfig);
    const read = await http.post({ query: `{ customer(id: "${CUSTOMER}") { accountName email } }` }, { authorization: `Bearer ${agent}` });
    expect(read.status).toBe(200);
    expect(read.json.data.customer.email).toEqual(expect.stringContaining('@'));
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('request', (r: Request) => requests.push(r.url()));
  });

  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await db?.drop();
  });

  it('signs a compliance officer in, with the keyboard, under a legal case', async () => {
    await page.goto(`${http.url}/console/`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in');
    // Focus starts on the page's heading; from there the keyboard alone signs in.
    await expect(page.evaluate('document.activeElement?.tagName')).resolves.toBe('H1');
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement?.id')).resolves.toBe('legal-case');
    await page.keyboard.type(CASE);
    await page.keyboard.press('Tab'); // the token field
    await page.keyboard.press('Tab'); // Sign in
    await page.keyboard.press('Tab'); // Development: sign in as the demo compliance officer
    await expect(page.evaluate('document.activeElement?.textContent')).resolves.toMatch(/^Development: sign in/);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1, name: 'Who sees what' }).waitFor()).resolves.toBeUndefined();
    await expect(page.getByText(CASE, { exact: true }).isVisible()).resolves.toBe(true);
  });

  it('refuses to sign in without a legal case, saying why', async () => {
    const other = await context.newPage();
    try {
      // A new tab starts signed out (the token is kept per tab).
      await other.goto(`${http.url}/console/`);
      await other.getByRole('button', { name: /Development: sign in/ }).click();
      await expect(other.getByRole('alert').textContent()).resolves.toMatch(/Enter the legal case/);
      await expect(other.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in');
    } finally {
      await other.close();
    }
  });

  it('shows the disclosure matrix by principal, purpose, category and field', async () => {
    await page.getByLabel('Principal', { exact: true }).selectOption('logistics_partner');
    await page.getByLabel('Category', { exact: true }).selectOption('contact.phone');
    // The carrier calls the recipient (design: fulfillment), and never sees the account holder's email.
    const summary = page.getByRole('region', { name: 'Categories by principal and purpose' });
    await expect(summary.getByRole('row').nth(1).textContent()).resolves.toBe('logistics_partnerfulfillmentyes');
    await page.getByLabel('Category', { exact: true }).selectOption('contact.email');
    await expect(summary.getByRole('row').nth(1).textContent()).resolves.toBe('logistics_partnerfulfillment—');
    await page.getByLabel('Category', { exact: true }).selectOption('');
    await page.getByLabel('Field', { exact: true }).fill('Order.customer');
    const fields = page.getByRole('region', { name: 'Fields for logistics_partner × fulfillment' });
    await expect(fields.getByRole('row', { name: /Order\.customer\b/ }).textContent()).resolves.toMatch(/withheld.*recipient of the shipping snapshot/);
    // The matrix is read through /graphql as the officer, under the case: audited like every read.
    expect(await consoleEvents('DisclosureMatrix')).toEqual([
      { principal_id: OFFICER, purpose: 'legal_compliance', flagged: true, legal_case_reference: CASE, outcome: 'ok', operation_type: 'query' },
    ]);
    await shot('who-sees-what');
  });

  it("finds who saw a customer's data, with the flagged legal reads marked", async () => {
    await page.getByRole('link', { name: "Who saw a customer's data" }).click();
    await page.getByLabel('Customer id', { exact: true }).fill(CUSTOMER);
    await page.getByLabel('Customer id', { exact: true }).press('Enter');
    const table = page.getByRole('region', { name: 'Disclosures' });
    await table.waitFor();
    const agentRow = table.getByRole('row', { name: /agent-17/ });
    await expect(agentRow.textContent()).resolves.toMatch(/staff \(customer_service\) agent-17.*after_sales.*Customer\.email/);
    // The console's own read is in the log: the officer, legal_compliance, flagged with the case.
    const reads = await consoleEvents('CustomerDisclosures');
    expect(reads).toEqual([{ principal_id: OFFICER, purpose: 'legal_compliance', flagged: true, legal_case_reference: CASE, outcome: 'ok', operation_type: 'query' }]);
    // Reading the log about this customer is itself a disclosure about them: search again and it is listed, marked flagged.
    await page.getByRole('button', { name: 'Find disclosures' }).click();
    await expect(table.locator('tr.flagged').first().textContent()).resolves.toContain(`flagged ${CASE}`);
    await shot('who-saw');
  });

  it('exports every event about the customer as CSV, and the export is audited', async () => {
    const expected = await eventsAbout(CUSTOMER);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`disclosures-${CUSTOMER}.csv`);
    const csv = fs.readFileSync((await download.path())!, 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toBe('event id,at,principal kind,principal id,roles,partner id,purpose,operation type,operation name,disclosed,masked,denied,outcome,flagged,legal case,privacy request');
    expect(csv.slice(1).map((line) => line.split(',')[0]).sort()).toEqual(expected);
    expect(csv.find((line) => line.includes('agent-17'))).toMatch(/,staff,agent-17,customer_service,,after_sales,QUERY,,.*Customer\.email/);
    const exports = await consoleEvents('ExportCustomerDisclosures');
    expect(exports.length).toBeGreaterThanOrEqual(1);
    expect(exports.every((e: { flagged: boolean; legal_case_reference: string }) => e.flagged && e.legal_case_reference === CASE)).toBe(true);
  });

  it('verifies the audit log from the Audit integrity page and records the result', async () => {
    await page.getByRole('link', { name: 'Audit integrity' }).click();
    await page.getByRole('heading', { name: 'Latest seal' }).waitFor();
    // The newest seal when the page read it (the page's own read is sealed after it).
    const shown = (await page.getByRole('region', { name: 'Latest seal' }).textContent())!;
    const sealId = /^Latest sealSeal(\d+)Sealed at/.exec(shown)?.[1];
    const [seal] = await db.dataSource.query(`SELECT id::text AS id, hash, merkle_root FROM audit_seal WHERE id = $1`, [sealId]);
    expect(shown).toContain(`Merkle root${seal.merkle_root}Seal hash${seal.hash}`);
    const [{ newest }] = await db.dataSource.query(`SELECT max(id)::int AS newest FROM audit_seal`);
    expect(Number(sealId)).toBeGreaterThanOrEqual(newest - 1);
    await page.getByRole('button', { name: 'Verify the audit log now' }).click();
    await page.getByRole('status').filter({ hasText: /^Verified: intact/ }).waitFor();
    await expect(page.locator('.verdict').textContent()).resolves.toBe('Intact');
    const [verification] = await db.dataSource.query(`SELECT verified_by, intact, seals FROM audit_verification`);
    expect(verification).toEqual({ verified_by: OFFICER, intact: true, seals: expect.any(Number) });
    expect(verification.seals).toBeGreaterThanOrEqual(Number(seal.id));
    expect(await consoleEvents('VerifyAuditLog')).toEqual([
      { principal_id: OFFICER, purpose: 'legal_compliance', flagged: true, legal_case_reference: CASE, outcome: 'ok', operation_type: 'mutation' },
    ]);
    await shot('audit-integrity');
  });

  it('shows a tampered log as broken', async () => {
    // The owner can switch the append-only trigger off; a verification must then say what changed.
    await db.dataSource.query(`ALTER TABLE audit_event DISABLE TRIGGER USER`);
    await db.dataSource.query(`UPDATE audit_event SET purpose = 'marketing' WHERE principal_id = 'agent-17'`);
    await db.dataSource.query(`ALTER TABLE audit_event ENABLE TRIGGER USER`);
    await page.getByRole('button', { name: 'Verify the audit log now' }).click();
    await page.getByRole('status').filter({ hasText: /^Verified: BROKEN/ }).waitFor();
    await expect(page.locator('.verdict').textContent()).resolves.toBe('BROKEN');
    const [latest] = await db.dataSource.query(`SELECT intact, problem_count FROM audit_verification ORDER BY id DESC LIMIT 1`);
    expect(latest).toEqual({ intact: false, problem_count: 1 });
  });

  it('places a legal hold on a customer and releases it from the Retention and holds page, and previews the next run', async () => {
    await page.getByRole('link', { name: 'Retention and holds' }).click();
    await page.getByRole('heading', { name: 'Holds in force' }).waitFor();
    await page.getByLabel('Hold on', { exact: true }).selectOption('CUSTOMER');
    await page.getByLabel('Customer id', { exact: true }).fill(CUSTOMER);
    await page.getByLabel('Reason', { exact: true }).fill('Litigation: keep the account');
    await page.getByRole('button', { name: 'Place the hold' }).click();
    await page.getByRole('status').filter({ hasText: `Hold placed on customer ${CUSTOMER} for case ${CASE}.` }).waitFor();
    const placed = await db.dataSource.query(`SELECT id, scope, case_reference, placed_by, reason, released_at FROM legal_hold WHERE customer_id = $1`, [CUSTOMER]);
    expect(placed).toEqual([{ id: expect.any(String), scope: 'customer', case_reference: CASE, placed_by: OFFICER, reason: 'Litigation: keep the account', released_at: null }]);
    const holds = page.getByRole('region', { name: 'Legal holds' });
    await expect(holds.getByRole('row', { name: new RegExp(CUSTOMER) }).textContent()).resolves.toContain(`customer ${CUSTOMER}${CASE}Litigation: keep the account`);
    expect(await consoleEvents('PlaceLegalHold')).toEqual([
      { principal_id: OFFICER, purpose: 'legal_compliance', flagged: true, legal_case_reference: CASE, outcome: 'ok', operation_type: 'mutation' },
    ]);

    await page.getByRole('button', { name: 'Show what the next run would do' }).click();
    const byTable = page.getByRole('region', { name: 'Next run by table' });
    await byTable.waitFor();
    await expect(byTable.getByRole('row', { name: /^order\b/ }).count()).resolves.toBe(1);
    expect(await consoleEvents('RetentionPreview')).toEqual([
      { principal_id: OFFICER, purpose: 'legal_compliance', flagged: true, legal_case_reference: CASE, outcome: 'ok', operation_type: 'query' },
    ]);
    await shot('retention');

    await holds.getByRole('button', { name: `Release the hold on customer ${CUSTOMER}` }).click();
    await page.getByRole('status').filter({ hasText: `Hold ${placed[0].id} released.` }).waitFor();
    await expect(holds.getByRole('row', { name: new RegExp(CUSTOMER) }).count()).resolves.toBe(0);
    const [released] = await db.dataSource.query(`SELECT released_by, released_at IS NOT NULL AS released FROM legal_hold WHERE id = $1`, [placed[0].id]);
    expect(released).toEqual({ released_by: OFFICER, released: true });
    expect(await consoleEvents('ReleaseLegalHold')).toEqual([
      { principal_id: OFFICER, purpose: 'legal_compliance', flagged: true, legal_case_reference: CASE, outcome: 'ok', operation_type: 'mutation' },
    ]);
  });

  it('shows an overdue request first on the Requests page, then the rest by due date, and opens one naming it as the reference', async () => {
    const [a, b, c, d, e] = (await db.dataSource.query(`SELECT id FROM customer ORDER BY id LIMIT 5`)).map((r: { id: string }) => r.id);
    const insert = (customer: string, type: string, status: string, receivedDaysAgo: number, dueInDays: number | null) =>
      db.dataSource
        .query(
          `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at)
           VALUES ($1, $2, $3, now() - make_interval(days => $4), CASE WHEN $5::int IS NULL THEN NULL ELSE now() - make_interval(days => $4) END,
                   CASE WHEN $5::int IS NULL THEN NULL ELSE now() + make_interval(days => $5::int) END) RETURNING id`,
          [customer, type, status, receivedDaysAgo, dueInDays],
        )
        .then((rows: Array<{ id: string }>) => rows[0].id);
    // Received first, so the queue's default order (newest first) would put it last.
    const overdue = await insert(a, 'erasure', 'identity_verified', 40, -2);
    const later = await insert(b, 'access', 'in_progress', 5, 20);
    const soon = await insert(c, 'rectification', 'identity_verified', 1, 3);
    const unverified = await insert(d, 'objection', 'received', 0, null);
    // Done: not in the queue, though its due date has passed.
    const done = await insert(e, 'access', 'completed', 60, -30);
    queued = { a, b, c, overdue, soon, later, unverified };

    await page.getByRole('link', { name: 'Requests' }).click();
    const queue = page.getByRole('region', { name: 'Request queue' });
    await queue.waitFor();
    const rows = queue.locator('tbody tr');
    const texts = await rows.allTextContents();
    // The demo data has requests of its own: ours keep their order among them.
    const ours = texts.map((t) => [overdue, soon, later, unverified, done].find((id) => t.includes(id))).filter((id) => id !== undefined);
    expect(ours).toEqual([overdue, soon, later, unverified]);
    // Every overdue request comes before every other one.
    const marked = texts.map((t) => t.startsWith('overdue '));
    expect(marked.slice(marked.indexOf(false)).includes(true)).toBe(false);
    expect(marked[texts.findIndex((t) => t.includes(overdue))]).toBe(true);
    const [open] = await db.dataSource.query(
      `SELECT count(*)::int AS open, count(*) FILTER (WHERE due_at < now())::int AS overdue FROM privacy_request WHERE status IN ('received', 'identity_verified', 'in_progress')`,
    );
    expect(texts.length).toBe(open.open);
    await expect(page.getByRole('status').filter({ hasText: 'open' }).textContent()).resolves.toBe(`${open.open} open, ${open.overdue} overdue.`);
    // The customer of a request leads to who saw their data.
    await expect(rows.filter({ hasText: overdue }).getByRole('link', { name: a }).getAttribute('href')).resolves.toBe(`#/who-saw?customer=${a}`);
    // Read under data_subject_request without naming a request: the queue is what the officer picks one from.
    expect(await requestEvents('PrivacyRequestQueue')).toEqual([
      { principal_id: OFFICER, purpose: 'data_subject_request', flagged: true, legal_case_reference: null, privacy_request_reference: null, outcome: 'ok', subject_ids: expect.arrayContaining([a, b, c, d]) },
    ]);
    await shot('requests');

    // Opening a request reads its customer under the same purpose, naming the request.
    await rows.filter({ hasText: overdue }).getByRole('button', { name: `Open request ${overdue}` }).click();
    const opened = page.getByRole('region', { name: `Request ${overdue}` });
    await opened.waitFor();
    // Focus moves in an effect after the region is drawn: wait for it (this fails on timeout if it never moves).
    await page.waitForFunction(() => document.activeElement?.id === 'opened-request', undefined, { timeout: 10_000 });
    await expect(page.evaluate('document.activeElement?.id')).resolves.toBe('opened-request');
    const [customer] = await db.dataSource.query(`SELECT account_name FROM customer WHERE id = $1`, [a]);
    await expect(opened.getByText(customer.account_name, { exact: true }).isVisible()).resolves.toBe(true);
    expect(await requestEvents('OpenPrivacyRequest')).toEqual([
      { principal_id: OFFICER, purpose: 'data_subject_request', flagged: true, legal_case_reference: null, privacy_request_reference: overdue, outcome: 'ok', subject_ids: [a] },
    ]);
  });

  describe('working an opened request', () => {
    /** The console's writes as the browser sent them: operation, variables and the headers that matter. */
    const writes: Array<{ operationName: string; variables: Record<string, unknown>; purpose?: string; privacyRequest?: string; idempotencyKey?: string }> = [];
    const opened = (id: string) => page.getByRole('region', { name: `Request ${id}` });
    const actionsOf = (id: string) => opened(id).getByRole('group', { name: 'What you can do' }).getByRole('button').allTextContents();
    const said = (id: string, text: string) => opened(id).getByRole('status').filter({ hasText: text }).waitFor();
    /**
     * Until the element holds the focus (and, for a text field, has all its text selected): the page moves the focus in an
     * effect that runs after the element is drawn, so a read right after it appears can come first.
     */
    const focusLands = async (element: Locator, selected = false) => {
      const handle = await element.elementHandle();
      await page.waitForFunction(
        ([e, all]) => e === document.activeElement && (!all || (e as HTMLInputElement).selectionEnd === (e as HTMLInputElement).value.length),
        [handle, selected] as const,
        { timeout: 10_000 },
      );
    };
    const stored = async (id: string) =>
      (await db.dataSource.query(`SELECT status, handler, rejection_reason, result IS NOT NULL AS has_result FROM privacy_request WHERE id = $1`, [id]))[0];
    const transitions = async (id: string) =>
      db.dataSource.query(`SELECT from_status, to_status, actor_kind, actor, note FROM privacy_request_transition WHERE request_id = $1 ORDER BY at, id`, [id]);
    /** The audit events of one write: who, for what, naming which request, and how it ended. */
    const writeEvents = async (operationName: string) =>
      (
        await db.dataSource.query(
          `SELECT principal_id, purpose, flagged, privacy_request_reference, outcome, operation_type, detail FROM audit_event WHERE operation_name = $1 ORDER BY id`,
          [operationName],
        )
      ).map(({ detail, ...e }: { detail: { transitions?: string[] } | null }) => ({ ...e, transitions: detail?.transitions ?? null }));
    const written = (privacyRequest: string, transitions: string[] | null, outcome = 'ok') => ({
      principal_id: OFFICER,
      purpose: 'data_subject_request',
      flagged: true,
      privacy_request_reference: privacyRequest,
      outcome,
      operation_type: 'mutation',
      transitions,
    });
    const openFromQueue = async (id: string) => {
      await page.getByRole('region', { name: 'Request queue' }).getByRole('button', { name: `Open request ${id}` }).click();
      await opened(id).waitFor();
    };
    /** A verified erasure request of the customer `nth` by id, made after the queue was drawn: its id. */
    const verifiedErasure = async (nth: number): Promise<string> => {
      const [{ id }] = await db.dataSource.query(
        `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at)
         SELECT id, 'erasure', 'identity_verified', now(), now(), now() + interval '3 days' FROM customer ORDER BY id OFFSET $1 LIMIT 1 RETURNING id`,
        [nth],
      );
      return id;
    };
    /** The queue read again (away and back), then the request opened from it. */
    const openAfresh = async (id: string) => {
      await page.getByRole('link', { name: 'Who sees what' }).click();
      await page.getByRole('link', { name: 'Requests' }).click();
      await openFromQueue(id);
    };

    beforeAll(() => {
      page.on('request', (r: Request) => {
        if (!r.url().endsWith('/graphql') || r.method() !== 'POST') return;
        const body = JSON.parse(r.postData() ?? '{}') as { operationName: string; query: string; variables: Record<string, unknown> };
        if (!body.query.startsWith('mutation')) return;
        const h = r.headers();
        writes.push({ operationName: body.operationName, variables: body.variables, purpose: h['x-purpose'], privacyRequest: h['x-privacy-request'], idempotencyKey: h['idempotency-key'] });
      });
    });

    it('offers what the gateway lists for the request, and takes it once however fast it is clicked', async () => {
      const id = queued.overdue;
      // The opened erasure, verified: the officer may take it, erase, or reject — nothing else.
      await expect(actionsOf(id)).resolves.toEqual(['Take this request', "Erase the customer's data…", 'Reject…']);
      // Two clicks before the page can draw the button disabled: one write.
      await opened(id).getByRole('button', { name: 'Take this request' }).evaluate((b: HTMLButtonElement) => {
        b.click();
        b.click();
      });
      await said(id, `You took request ${id}: it is in progress, with you as its handler.`);
      expect(writes).toEqual([
        { operationName: 'AssignPrivacyRequest', variables: { input: { requestId: id } }, purpose: 'data_subject_request', privacyRequest: id, idempotencyKey: expect.stringMatching(/^[0-9a-f]{32}$/) },
      ]);
      await expect(stored(id)).resolves.toEqual({ status: 'in_progress', handler: OFFICER, rejection_reason: null, has_result: false });
      await expect(transitions(id)).resolves.toEqual([{ from_status: 'identity_verified', to_status: 'in_progress', actor_kind: 'staff', actor: OFFICER, note: null }]);
      expect(await writeEvents('AssignPrivacyRequest')).toEqual([written(id, ['identity_verified>in_progress'])]);
      // The page shows the request as it is now: its history, its handler, and what may be done next.
      await expect(opened(id).getByRole('list', { name: 'Status history' }).textContent()).resolves.toMatch(/identity verified → in progress by staff$/);
      await expect(opened(id).textContent()).resolves.toContain(`handled by ${OFFICER}`);
      // Taking over a request of one's own means nothing: the gateway lists it, the console does not offer it.
      await expect(actionsOf(id)).resolves.toEqual(["Erase the customer's data…", 'Reject…']);
      await expect(page.getByRole('region', { name: 'Request queue' }).getByRole('row', { name: new RegExp(id) }).textContent()).resolves.toMatch(new RegExp(`in progress.*${OFFICER}$`));
    });

    it('erases only once the officer confirms, and shows what was erased and kept', async () => {
      const id = queued.overdue;
      const [customer] = await db.dataSource.query(`SELECT account_name FROM customer WHERE id = $1`, [queued.a]);
      await opened(id).getByRole('button', { name: "Erase the customer's data…" }).click();
      const confirm = opened(id).getByRole('group', { name: `Erase ${customer.account_name}'s personal data?` });
      await confirm.waitFor();
      await focusLands(confirm.getByRole('heading', { name: `Erase ${customer.account_name}'s personal data?` }));
      await expect(page.evaluate('document.activeElement?.textContent')).resolves.toBe(`Erase ${customer.account_name}'s personal data?`);
      // Escape steps back, and nothing is sent.
      await page.keyboard.press('Escape');
      await confirm.waitFor({ state: 'detached' });
      expect(writes.filter((w) => w.operationName === 'CompletePrivacyRequest')).toEqual([]);
      await expect(stored(id)).resolves.toMatchObject({ status: 'in_progress' });

      await opened(id).getByRole('button', { name: "Erase the customer's data…" }).click();
      await confirm.waitFor();
      await shot('request-erasure');
      await confirm.getByRole('button', { name: 'Erase now' }).click();
      await said(id, `Request ${id} is carried out and completed.`);
      await expect(stored(id)).resolves.toEqual({ status: 'completed', handler: OFFICER, rejection_reason: null, has_result: true });
      const [after] = await db.dataSource.query(`SELECT account_name, status FROM customer WHERE id = $1`, [queued.a]);
      expect(after.account_name).not.toBe(customer.account_name);
      expect(await writeEvents('CompletePrivacyRequest')).toEqual([written(id, ['in_progress>completed'])]);
      const [{ result_summary: summary }] = await db.dataSource.query(`SELECT result_summary FROM privacy_request WHERE id = $1`, [id]);
      await expect(opened(id).getByText(`Outcome: ${summary}`, { exact: true }).isVisible()).resolves.toBe(true);
      // Finished: nothing is offered, and the queue no longer holds it.
      await expect(opened(id).getByText('The gateway lists nothing you may do to this request now.').isVisible()).resolves.toBe(true);
      await expect(page.getByRole('region', { name: 'Request queue' }).getByRole('row', { name: new RegExp(id) }).count()).resolves.toBe(0);
    });

    it('rejects with the reason the customer will read, required, after a confirmation', async () => {
      const id = queued.soon;
      await openFromQueue(id);
      // A rectification is completed by its corrections, which the console does not enter: only take and reject are offered.
      await expect(actionsOf(id)).resolves.toEqual(['Take this request', 'Reject…']);
      await opened(id).getByRole('button', { name: 'Reject…' }).click();
      const reason = opened(id).getByLabel('Reason the customer will read', { exact: true });
      await focusLands(reason);
      await expect(reason.evaluate((e) => e === document.activeElement)).resolves.toBe(true);
      // No reason, no rejection: said, and nothing sent.
      await reason.fill('   ');
      await opened(id).getByRole('button', { name: 'Continue' }).click();
      await expect(opened(id).getByRole('alert').textContent()).resolves.toBe('Write the reason the customer will read: a rejection needs one.');
      expect(writes.filter((w) => w.operationName === 'RejectPrivacyRequest')).toEqual([]);

      const why = 'We could not find the address you asked us to correct; write to us with the order number.';
      await reason.fill(why);
      await reason.press('Enter'); // a new line in the reason, not a submission
      await opened(id).getByRole('button', { name: 'Continue' }).click();
      const confirm = opened(id).getByRole('group', { name: `Reject request ${id}?` });
      await expect(confirm.locator('blockquote').textContent()).resolves.toBe(why);
      await confirm.getByRole('button', { name: 'Reject now' }).click();
      await said(id, `Request ${id} is rejected; the customer will read the reason.`);
      // Sent as written, but for the blank line after it.
      await expect(stored(id)).resolves.toEqual({ status: 'rejected', handler: OFFICER, rejection_reason: why, has_result: false });
      await expect(transitions(id)).resolves.toEqual([{ from_status: 'identity_verified', to_status: 'rejected', actor_kind: 'staff', actor: OFFICER, note: why }]);
      expect(await writeEvents('RejectPrivacyRequest')).toEqual([written(id, ['identity_verified>rejected'])]);
      await expect(opened(id).getByText(`Reason given to the customer: ${why}`, { exact: true }).isVisible()).resolves.toBe(true);
      await expect(opened(id).getByText('The gateway lists nothing you may do to this request now.').isVisible()).resolves.toBe(true);
    });

    it('carries out an access request and makes its download link, shown once with its expiry, which downloads the export once', async () => {
      const id = queued.later;
      await openFromQueue(id);
      await expect(actionsOf(id)).resolves.toEqual(['Take it over', 'Carry out and complete', 'Reject…']);
      await opened(id).getByRole('button', { name: 'Carry out and complete' }).click();
      await said(id, `Request ${id} is carried out and completed.`);
      // In progress with nobody handling it: the officer who completes it is recorded as its handler.
      await expect(stored(id)).resolves.toEqual({ status: 'completed', handler: OFFICER, rejection_reason: null, has_result: true });
      expect(await writeEvents('CompletePrivacyRequest')).toEqual([written(queued.overdue, ['in_progress>completed']), written(id, ['in_progress>completed'])]);
      await expect(actionsOf(id)).resolves.toEqual(['Make a download link for the customer']);

      await opened(id).getByRole('button', { name: 'Make a download link for the customer' }).click();
      const field = opened(id).getByLabel('Link to send the customer', { exact: true });
      await field.waitFor();
      const url = new URL(await field.inputValue());
      const [link] = await db.dataSource.query(`SELECT expires_at, used_at FROM privacy_export_link WHERE request_id = $1`, [id]);
      expect(link.used_at).toBeNull();
      const expiry = `${link.expires_at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
      await said(id, `A download link was made; it works once, until ${expiry}.`);
      await expect(opened(id).getByText(/^It downloads the export once, until/).textContent()).resolves.toContain(expiry);
      // The link, selected for copying, holds the only copy of its secret: the database keeps its hash.
      await focusLands(field, true);
      await expect(field.evaluate((e: HTMLInputElement) => e === document.activeElement && e.selectionEnd === e.value.length)).resolves.toBe(true);
      expect(await writeEvents('CreatePrivacyExportLink')).toEqual([written(id, [])]);
      // Sent without an Idempotency-Key, which would keep the link's secret: the gateway refuses one there.
      expect(writes.filter((w) => w.privacyRequest === id && w.operationName === 'CreatePrivacyExportLink').map((w) => w.idempotencyKey)).toEqual([undefined]);
      // The customer opens it (a scanner's or a preview's GET would only see this page too), and downloads with the button.
      const customerTab = await context.newPage();
      try {
        await customerTab.goto(`${http.url}${url.pathname}`);
        await customerTab.getByRole('heading', { level: 1, name: 'Download your data' }).waitFor();
        const [file] = await Promise.all([customerTab.waitForEvent('download'), customerTab.getByRole('button', { name: 'Download my data' }).click()]);
        expect(file.suggestedFilename()).toBe(`privacy-export-${id}.json`);
        expect(JSON.parse(fs.readFileSync((await file.path())!, 'utf8')).sections).toEqual(expect.any(Object));
        // Pressed again, the spent link answers the customer a page in words, not raw JSON.
        await customerTab.getByRole('button', { name: 'Download my data' }).click();
        await customerTab.getByRole('heading', { level: 1, name: 'This download link no longer works' }).waitFor();
        await expect(customerTab.locator('main').innerText()).resolves.toContain('Ask the store for a new link.');
      } finally {
        await customerTab.close();
      }
      expect((await fetch(`${http.url}${url.pathname}`, { method: 'POST' })).status).toBe(404);
      // Hidden when the officer is done: it is never shown again.
      await opened(id).getByRole('button', { name: 'Done: hide the link' }).click();
      await expect(opened(id).getByLabel('Link to send the customer', { exact: true }).count()).resolves.toBe(0);
    });

    it('says in words why an action was refused, and shows the request as it now is', async () => {
      // A verified erasure another officer rejects while this one has it open.
      const id = await verifiedErasure(5);
      await openAfresh(id);
      const other = await mintDevToken({ kind: 'staff', subject: 'compliance-officer-2', roles: ['compliance_officer'], purposes: ['data_subject_request'] }, loadAuthConfig({}, 'test'));
      const rejected = await http.post(
        { query: `mutation($input: RejectPrivacyRequestInput!) { rejectPrivacyRequest(input: $input) { status } }`, variables: { input: { requestId: id, reason: 'Sent twice' } } },
        { authorization: `Bearer ${other}`, 'x-purpose': 'data_subject_request', 'x-privacy-request': id },
      );
      expect(rejected.json.data).toEqual({ rejectPrivacyRequest: { status: 'REJECTED' } });

      await opened(id).getByRole('button', { name: 'Take this request' }).click();
      await expect(opened(id).getByRole('alert').textContent()).resolves.toBe(
        `This can no longer be done: Privacy request ${id} is rejected: expected identity_verified or in_progress. The request is shown as it is now. (BAD_USER_INPUT)`,
      );
      // Refused, and recorded as refused: nothing changed.
      await expect(stored(id)).resolves.toEqual({ status: 'rejected', handler: 'compliance-officer-2', rejection_reason: 'Sent twice', has_result: false });
      expect((await writeEvents('AssignPrivacyRequest')).at(-1)).toEqual({ ...written(id, null, 'error') });
      await opened(id).getByText('Reason given to the customer: Sent twice', { exact: true }).waitFor();
      await expect(opened(id).getByText('The gateway lists nothing you may do to this request now.').isVisible()).resolves.toBe(true);
    });

    it('fits a narrow screen while a request is worked: its actions, the reason and the confirmation', async () => {
      const id = await verifiedErasure(6);
      await page.setViewportSize({ width: 360, height: 740 });
      try {
        await openAfresh(id);
        const overflow = () => page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        await expect(overflow()).resolves.toBe(0);
        await opened(id).getByRole('button', { name: "Erase the customer's data…" }).click();
        await opened(id).getByRole('button', { name: 'Erase now' }).waitFor();
        // The step is scrolled into view whole: its buttons too, not only its heading.
        await expect(opened(id).getByRole('button', { name: 'Erase now' }).isVisible()).resolves.toBe(true);
        await expect(opened(id).getByRole('button', { name: 'Erase now' }).evaluate((b) => b.getBoundingClientRect().bottom <= window.innerHeight)).resolves.toBe(true);
        await expect(overflow()).resolves.toBe(0);
        await opened(id).getByRole('button', { name: 'Cancel' }).click();
        await opened(id).getByRole('button', { name: 'Reject…' }).click();
        await opened(id).getByLabel('Reason the customer will read', { exact: true }).fill('x'.repeat(200));
        await opened(id).getByRole('button', { name: 'Continue' }).click();
        await opened(id).getByRole('button', { name: 'Reject now' }).waitFor();
        await expect(overflow()).resolves.toBe(0);
        await opened(id).getByRole('button', { name: 'Back' }).click();
        await opened(id).getByRole('button', { name: 'Cancel' }).click();
        // Nothing was sent.
        await expect(stored(id)).resolves.toMatchObject({ status: 'identity_verified' });
      } finally {
        await page.setViewportSize({ width: 1280, height: 860 });
      }
    });

    it('sends a write whose answer was lost again with the same key, and the gateway does it once', async () => {
      const id = await verifiedErasure(7);
      await openAfresh(id);
      // The write reaches the gateway and is done, but its answer never reaches the page.
      let lost = 0;
      await page.route(`${http.url}/graphql`, async (route) => {
        if (lost > 0 || !route.request().postData()?.includes('AssignPrivacyRequest')) return route.continue();
        lost += 1;
        await route.fetch();
        await route.abort('connectionreset');
      });
      try {
        await opened(id).getByRole('button', { name: 'Take this request' }).click();
        await expect(opened(id).getByRole('alert').textContent()).resolves.toMatch(/^The gateway could not be reached: check the connection, then try again \(.+\)\.$/);
        await expect(stored(id)).resolves.toMatchObject({ status: 'in_progress', handler: OFFICER });
        // The page still shows it verified; the officer tries again.
        await opened(id).getByRole('button', { name: 'Take this request' }).click();
        await said(id, `You took request ${id}: it is in progress, with you as its handler.`);
      } finally {
        await page.unroute(`${http.url}/graphql`);
      }
      const sent = writes.filter((w) => w.privacyRequest === id);
      expect(sent.map((w) => w.operationName)).toEqual(['AssignPrivacyRequest', 'AssignPrivacyRequest']);
      expect(sent[1].idempotencyKey).toBe(sent[0].idempotencyKey);
      // Once: one change of status, and the second answer is the first one's, replayed.
      await expect(transitions(id)).resolves.toEqual([{ from_status: 'identity_verified', to_status: 'in_progress', actor_kind: 'staff', actor: OFFICER, note: null }]);
      const events = await db.dataSource.query(
        `SELECT request_id, detail->>'idempotentReplayOf' AS replay_of FROM audit_event WHERE operation_name = 'AssignPrivacyRequest' AND privacy_request_reference = $1 ORDER BY id`,
        [id],
      );
      expect(events).toEqual([
        { request_id: expect.any(String), replay_of: null },
        { request_id: expect.any(String), replay_of: events[0].request_id },
      ]);
      await expect(actionsOf(id)).resolves.toEqual(["Erase the customer's data…", 'Reject…']);
    });

    it("offers to take over another officer's request, naming them, and not one's own", async () => {
      const id = await verifiedErasure(8);
      const other = await mintDevToken({ kind: 'staff', subject: 'compliance-officer-2', roles: ['compliance_officer'], purposes: ['data_subject_request'] }, loadAuthConfig({}, 'test'));
      const taken = await http.post(
        { query: `mutation($input: PrivacyRequestIdInput!) { assignPrivacyRequest(input: $input) { handler } }`, variables: { input: { requestId: id } } },
        { authorization: `Bearer ${other}`, 'x-purpose': 'data_subject_request', 'x-privacy-request': id },
      );
      expect(taken.json.data).toEqual({ assignPrivacyRequest: { handler: 'compliance-officer-2' } });
      await openAfresh(id);
      await expect(actionsOf(id)).resolves.toEqual(['Take it over (handled by compliance-officer-2)', "Erase the customer's data…", 'Reject…']);
      await opened(id).getByRole('button', { name: 'Take it over (handled by compliance-officer-2)' }).click();
      await said(id, `You took request ${id}: it is in progress, with you as its handler.`);
      await expect(stored(id)).resolves.toMatchObject({ status: 'in_progress', handler: OFFICER });
      await expect(actionsOf(id)).resolves.toEqual(["Erase the customer's data…", 'Reject…']);
    });
  });

  it('is readable at a narrow width: nothing wider than the screen', async () => {
    const narrow = await context.newPage();
    try {
      await narrow.setViewportSize({ width: 360, height: 740 });
      // A new tab starts signed out (the token is kept per tab).
      await narrow.goto(`${http.url}/console/`);
      await narrow.getByLabel('Legal case reference', { exact: true }).fill(CASE);
      await narrow.getByRole('button', { name: /Development: sign in/ }).click();
      await narrow.getByRole('heading', { level: 1, name: 'Who sees what' }).waitFor();
      for (const route of ['who-sees-what', `who-saw?customer=${CUSTOMER}`, 'requests', 'retention', 'audit-integrity']) {
        await narrow.goto(`${http.url}/console/#/${route}`);
        await narrow.getByRole('heading', { level: 1 }).waitFor();
        await narrow.waitForLoadState('networkidle');
        // A change of hash loads nothing, so the network may be idle before the queue is drawn.
        if (route === 'requests') await narrow.getByRole('region', { name: 'Request queue' }).waitFor();
        // Measured once every page has drawn what it loads, not its loading line.
        await narrow.getByRole('status').filter({ hasText: /^Loading/ }).first().waitFor({ state: 'detached' });
        const overflow = await narrow.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        expect({ route, overflow }).toEqual({ route, overflow: 0 });
        if (route === 'requests') await shot('requests-narrow', narrow);
      }
    } finally {
      await narrow.close();
    }
  });

  it('made no request to any other origin', () => {
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((url) => !url.startsWith(`${http.url}/`) && !url.startsWith('blob:') && !url.startsWith('data:'))).toEqual([]);
  });
});
