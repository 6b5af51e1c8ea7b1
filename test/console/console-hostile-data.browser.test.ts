/**
 * The compliance console shows data others wrote — a customer's name and email, who read what
 * (a token's subject, the legal case a reader named), a hold's reason and case, a request's
 * handler, outcome, rejection reason and history — and takes a customer id from its own URL.
 * Each is written here as markup that would run if the console ever inserted it as HTML (a
 * script element, an image whose error handler runs, a `javascript:` URL). In Chromium, on each
 * page that shows it: the text is shown as text, nothing ran, nothing was blocked by the
 * Content-Security-Policy (which would mean something tried), and no element or link came of it.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { mintDevToken } from '../../src/auth/dev-token';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { launchChromium } from '../harness/browser';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const CONSOLE_DIRECTORY = path.resolve(__dirname, '../../dist/console');
const CASE = 'LC-HOSTILE-1';

/** Markup that marks `tag` as having run, three ways; at most 100 printable ASCII characters (a legal case reference's limit). */
const hostile = (tag: string) => `${tag}"><img src=x onerror=__xss='${tag}'><script>__xss='${tag}'</script>javascript:__xss=1`;

jest.setTimeout(60_000);

describe('compliance console: data written as markup is shown as text (Chromium)', () => {
  let db: TestDatabase;
  let http: HttpGateway;
  let browser: Browser;
  let page: Page;
  let customer: string;
  let request: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    const authConfig = loadAuthConfig({}, 'test');
    http = await startHttpGateway(db, { console: { directory: CONSOLE_DIRECTORY } });
    [{ id: customer }] = await db.dataSource.query(`SELECT id FROM customer WHERE id <> $1 AND status = 'active' ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    await db.dataSource.query(`UPDATE customer SET account_name = $2, email = $3 WHERE id = $1`, [customer, hostile('name'), `"><svg/onload=__xss='email'>@example.com`]);
    await db.dataSource.query(`INSERT INTO legal_hold (scope, customer_id, reason, case_reference, placed_by, placed_at) VALUES ('customer', $1, $2, $3, $4, now())`, [
      customer,
      hostile('reason'),
      hostile('hold-case'),
      hostile('placed-by'),
    ]);
    [{ id: request }] = await db.dataSource.query(
      `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at, handler, result_summary, rejection_reason)
       VALUES ($1, 'erasure', 'in_progress', now(), now(), now() + interval '3 days', $2, $3, $4) RETURNING id`,
      [customer, hostile('handler'), hostile('summary'), hostile('rejection')],
    );
    await db.dataSource.query(
      `INSERT INTO privacy_request_transition (request_id, from_status, to_status, at, actor_kind, actor, note) VALUES ($1, 'identity_verified', 'in_progress', now(), 'staff', 'x', $2)`,
      [request, hostile('note')],
    );
    // A reader whose token names it in markup reads the customer for a legal case named in markup: the console shows both.
    const reader = await mintDevToken({ kind: 'staff', subject: hostile('subject'), roles: ['compliance_officer'], purposes: ['legal_compliance'] }, authConfig);
    const read = await http.post({ query: `{ customer(id: "${customer}") { accountName } }` }, { authorization: `Bearer ${reader}`, 'x-legal-case': hostile('case') });
    expect(read.status).toBe(200);

    const officer = await mintDevToken({ kind: 'staff', subject: 'officer-hostile-test', roles: ['compliance_officer'], purposes: ['legal_compliance', 'data_subject_request'] }, authConfig);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    context.setDefaultTimeout(10_000);
    // Signed in (the console keeps its session in sessionStorage); every blocked attempt to run or load something is counted.
    await context.addInitScript(
      ({ session }) => {
        sessionStorage.setItem('need-to-know.console.session', session);
        (window as unknown as { __violations: string[] }).__violations = [];
        document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __violations: string[] }).__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
      },
      { session: JSON.stringify({ token: officer, legalCase: CASE }) },
    );
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await db?.drop();
  });

  /** What came of the markup on the page as it is now. */
  const aftermath = () =>
    page.evaluate(() => ({
      ran: (window as unknown as { __xss?: unknown }).__xss ?? null,
      blocked: (window as unknown as { __violations: string[] }).__violations,
      elements: Array.from(document.querySelectorAll('img, svg, iframe, object, embed, script:not([src^="/console/assets/"])'), (e) => e.outerHTML),
      handlers: Array.from(document.querySelectorAll('*')).filter((e) => Array.from(e.attributes).some((a) => a.name.startsWith('on'))).map((e) => e.tagName),
      links: Array.from(document.querySelectorAll('a[href]'), (a) => a.getAttribute('href')!).filter((href) => !/^#/.test(href)),
    }));
  const NOTHING = { ran: null, blocked: [], elements: [], handlers: [], links: [] };
  const shown = (tag: string) => page.getByText(hostile(tag), { exact: false }).first().isVisible();

  it("who saw a customer's data: the reader's subject and the legal case it named", async () => {
    await page.goto(`${http.url}/console/#/who-saw?customer=${customer}`);
    await page.getByRole('region', { name: 'Disclosures' }).locator('tbody tr').first().waitFor();
    await expect(Promise.all(['subject', 'case'].map(shown))).resolves.toEqual([true, true]);
    expect(await aftermath()).toEqual(NOTHING);
  });

  it('a customer id in the URL, which a link can carry, is kept as the text of its field and refused', async () => {
    const crafted = `"><img src=x onerror=__xss='url'><script>__xss='url'</script>`;
    // Opened afresh, as a link is: the page reads its customer from the URL once, when it loads.
    await page.goto('about:blank');
    await page.goto(`${http.url}/console/#/who-saw?customer=${encodeURIComponent(crafted)}`);
    await page.getByRole('alert').waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^Enter the customer's id/);
    await expect(page.locator('#customer').inputValue()).resolves.toBe(crafted);
    expect(await aftermath()).toEqual(NOTHING);
  });

  it("retention and holds: a hold's reason, case and who placed it", async () => {
    await page.goto(`${http.url}/console/#/retention`);
    await page.getByText(hostile('reason')).first().waitFor();
    await expect(Promise.all(['reason', 'hold-case', 'placed-by'].map(shown))).resolves.toEqual([true, true, true]);
    expect(await aftermath()).toEqual(NOTHING);
  });

  it("an opened request: the customer's name and email, its handler, outcome, rejection reason and history", async () => {
    await page.goto(`${http.url}/console/#/requests`);
    await page.getByRole('button', { name: `Open request ${request}` }).click();
    const opened = page.getByRole('region', { name: `Request ${request}` });
    await opened.waitFor();
    await expect(Promise.all(['name', 'handler', 'summary', 'rejection', 'note'].map(shown))).resolves.toEqual([true, true, true, true, true]);
    await expect(opened.getByText(`"><svg/onload=__xss='email'>@example.com`, { exact: false }).isVisible()).resolves.toBe(true);
    expect(await aftermath()).toEqual(NOTHING);
  });

  it('sees markup that was inserted as HTML: the checks above could fail', async () => {
    await page.evaluate((markup) => document.body.insertAdjacentHTML('beforeend', markup), hostile('control'));
    await page.waitForFunction(() => (window as unknown as { __violations: string[] }).__violations.length > 0);
    const after = await aftermath();
    expect({ ran: after.ran, blocked: after.blocked.length > 0, elements: after.elements.length, handlers: after.handlers }).toEqual({ ran: null, blocked: true, elements: 2, handlers: ['IMG'] });
  });
});
