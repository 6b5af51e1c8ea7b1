/**
 * GET /metrics, scraped as Prometheus would after a known mix of requests: each named series is
 * there with the count those requests must have produced. Also: the public listener does not
 * answer /metrics unless told to.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mintDevToken } from '../../src/auth/dev-token';
import { GatewayMetrics } from '../../src/platform/metrics';
import { isClassifiedCoordinate } from '../../src/policy/classification';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

/** The value of one series in an exposition, by its exact name and labels as printed. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let metricsServer: http.Server;
  let metricsUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    // With Node's process metrics, as `serve` has them.
    gw = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 3, missesPerMinute: 60 }, metrics: new GatewayMetrics({ isKnownCoordinate: isClassifiedCoordinate }) });
    metricsServer = http.createServer(gw.gateway.metricsHandler);
    await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
    metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;
  });

  afterAll(async () => {
    await new Promise((resolve) => metricsServer.close(resolve));
    await gw.close();
    await db.drop();
  });

  it('counts requests by principal kind, purpose and outcome, denials by coordinate, rate-limit refusals, audit batches and the pool', async () => {
    const token = (options: Parameters<typeof mintDevToken>[0]) => mintDevToken(options, gw.authConfig);
    const agent = await token({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'] });
    const packer = await token({ kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'] });
    const platform = await token({ kind: 'platform_operator', partnerId: DEMO_IDS.platformOperator, purposes: ['platform_operation'] });

    expect((await gw.post({ query: '{ policyVersions { version } }' }, { authorization: 'Bearer not-a-token' })).status).toBe(401);
    expect((await gw.post({ query: `{ customer(id: "${DEMO_IDS.demoCustomer}") { email } }` }, { authorization: `Bearer ${agent}` })).json.data.customer.email).toContain('@');
    // Fulfillment staff see the order, not who placed it (docs/disclosure-matrix.md).
    const denied = await gw.post({ query: '{ orders(first: 1) { nodes { orderNumber customer { id } } } }' }, { authorization: `Bearer ${packer}` });
    expect(denied.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['FORBIDDEN']);
    for (let i = 0; i < 3; i++) expect((await gw.post({ query: '{ orders(first: 1) { nodes { id } } }' }, { authorization: `Bearer ${platform}` })).status).toBe(200);
    expect((await gw.post({ query: '{ orders(first: 1) { nodes { id } } }' }, { authorization: `Bearer ${platform}` })).status).toBe(429);

    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect({
      unauthenticated: sample(text, 'ntk_graphql_requests_total{principal_kind="none",purpose="none",outcome="unauthenticated"}'),
      agentOk: sample(text, 'ntk_graphql_requests_total{principal_kind="staff",purpose="after_sales",outcome="ok"}'),
      packerPartial: sample(text, 'ntk_graphql_requests_total{principal_kind="staff",purpose="fulfillment",outcome="partial"}'),
      platformOk: sample(text, 'ntk_graphql_requests_total{principal_kind="platform_operator",purpose="platform_operation",outcome="ok"}'),
      platformRefused: sample(text, 'ntk_graphql_requests_total{principal_kind="platform_operator",purpose="platform_operation",outcome="error"}'),
      denial: sample(text, 'ntk_field_denials_total{coordinate="Order.customer"}'),
      rateLimited: sample(text, 'ntk_rate_limit_refusals_total{principal_kind="platform_operator"}'),
      platformLatencyCount: sample(text, 'ntk_graphql_request_duration_seconds_count{principal_kind="platform_operator",purpose="platform_operation"}'),
    }).toEqual({ unauthenticated: 1, agentOk: 1, packerPartial: 1, platformOk: 3, platformRefused: 1, denial: 1, rateLimited: 1, platformLatencyCount: 4 });
    // Six audited requests (the 401 has no principal to record); however batched, every event is in some batch.
    expect(sample(text, 'ntk_audit_batch_events_sum')).toBe(6);
    expect(sample(text, 'ntk_audit_write_duration_seconds_count{path="locked"}')! + (sample(text, 'ntk_audit_write_duration_seconds_count{path="unlocked"}') ?? 0)).toBe(sample(text, 'ntk_audit_batch_events_count'));
    expect(sample(text, 'ntk_db_pool_connections{state="in_use"}')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'ntk_db_pool_connections{state="idle"}')).toBeGreaterThan(0);
    expect(sample(text, 'ntk_db_pool_waiting')).toBe(0);
    expect(sample(text, 'ntk_process_resident_memory_bytes')).toBeGreaterThan(0);
    // Nothing that names anyone: no customer id, partner id or token subject in any series.
    for (const id of [DEMO_IDS.demoCustomer, DEMO_IDS.platformOperator, 'staff-dev']) expect(text).not.toContain(id);
  });

  it('counts a response withheld because its audit event could not be written', async () => {
    const reader = await mintDevToken({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'] }, gw.authConfig);
    const series = 'ntk_graphql_requests_total{principal_kind="staff",purpose="after_sales",outcome="withheld"}';
    const before = await (await fetch(metricsUrl)).text();
    await db.dataSource.query(`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused (test)'; END $$`);
    await db.dataSource.query(`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`);
    try {
      const answer = await gw.post({ query: `{ customer(id: "${DEMO_IDS.demoCustomer}") { email } }` }, { authorization: `Bearer ${reader}` });
      expect(answer.status).toBe(500);
      expect(answer.text).not.toContain('@');
    } finally {
      await db.dataSource.query(`DROP TRIGGER test_refuse_audit ON audit_event; DROP FUNCTION test_refuse_audit()`);
    }
    const after = await (await fetch(metricsUrl)).text();
    expect(sample(after, series)).toBe((sample(before, series) ?? 0) + 1);
    expect(sample(after, 'ntk_audit_withheld_responses_total')).toBe((sample(before, 'ntk_audit_withheld_responses_total') ?? 0) + 1);
  });

  it('reports the mail outbox backlog, in /readyz and as gauges, without naming anyone', async () => {
    await db.dataSource.query(`DELETE FROM mail_outbox`);
    const mail = (status: string, nextAttempt: string, created = 'now()') =>
      db.dataSource.query(
        `INSERT INTO mail_outbox (customer_id, topic, to_address, subject, status, attempts, next_attempt_at, created_at)
         VALUES ($1, 'test', 'someone@example.test', 'Your code', $2, 0, ${nextAttempt}, ${created})`,
        [DEMO_IDS.demoCustomer, status],
      );
    await mail('pending', "now() - interval '10 minutes'");
    await mail('pending', "now() - interval '1 minute'");
    await mail('pending', "now() + interval '5 minutes'");
    await mail('failed', 'now()');
    // Given up two days ago: not among the last day's.
    await mail('failed', 'now()', "now() - interval '2 days'");
    await mail('sent', 'now()');

    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    const { outbox } = (await ready.json()) as { outbox: { pending: number; due: number; oldestDueSeconds: number; failedLastDay: number } };
    expect({ ...outbox, oldestDueSeconds: undefined }).toEqual({ pending: 3, due: 2, failedLastDay: 1, oldestDueSeconds: undefined });
    // The oldest due mail became due ten minutes ago (give or take the time this test takes).
    expect(outbox.oldestDueSeconds).toBeGreaterThanOrEqual(600);
    expect(outbox.oldestDueSeconds).toBeLessThan(3600);

    const text = await (await fetch(metricsUrl)).text();
    expect({
      pending: sample(text, 'ntk_mail_outbox_mails{state="pending"}'),
      due: sample(text, 'ntk_mail_outbox_mails{state="due"}'),
      failed: sample(text, 'ntk_mail_outbox_mails{state="failed_last_day"}'),
    }).toEqual({ pending: 3, due: 2, failed: 1 });
    expect(sample(text, 'ntk_mail_outbox_oldest_due_seconds')).toBeGreaterThanOrEqual(600);
    expect(text).not.toContain('someone@example.test');
  });

  it('is not answered on the public listener unless configured', async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
    const open = await startHttpGateway(db, { metricsOnPublicListener: true });
    try {
      const response = await fetch(`${open.url}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('# TYPE ntk_graphql_requests_total counter');
    } finally {
      await open.close();
    }
  });
});
