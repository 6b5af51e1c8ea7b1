import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import type { Gateway } from '../../src/server';

const compliance = as.staff(['compliance_officer'], 'legal_compliance');

describe('cursor pagination', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: typeof compliance, v?: Record<string, unknown>) => Promise<ExecuteResult>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  const PAGE = `query($first: Int, $after: String, $orderBy: OrderOrder) {
    orders(first: $first, after: $after, orderBy: $orderBy) {
      edges { cursor node { id placedAt } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

  it.each(['PLACED_AT_DESC', 'PLACED_AT_ASC'])('walks every order exactly once, in %s order', async (orderBy) => {
    const expected: Array<{ id: string; placed_at: Date }> = await db.dataSource.query(
      `SELECT id, placed_at FROM "order" ORDER BY placed_at ${orderBy.endsWith('DESC') ? 'DESC' : 'ASC'}, id ${orderBy.endsWith('DESC') ? 'DESC' : 'ASC'}`,
    );
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 1000; page += 1) {
      const r: ExecuteResult = await execute(PAGE, compliance, { first: 37, after, orderBy });
      expect(r.errors).toBeUndefined();
      const conn = r.data!.orders;
      seen.push(...conn.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(conn.pageInfo.endCursor).toBe(conn.edges[conn.edges.length - 1]?.cursor ?? null);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected.map((row) => row.id));
  });

  it('defaults to 20 rows', async () => {
    const r = await execute(PAGE, compliance, {});
    expect(r.data!.orders.edges).toHaveLength(20);
  });

  it.each([
    ['first: 0', { first: 0 }],
    ['first: 101', { first: 101 }],
    ['first: -5', { first: -5 }],
    ['a cursor that is not one', { after: 'not-a-cursor' }],
    ['a cursor with a forged id', { after: Buffer.from(JSON.stringify({ o: 'PLACED_AT_DESC', v: '2025-01-01T00:00:00Z', i: "x' OR 1=1" })).toString('base64url') }],
  ])('refuses %s with BAD_USER_INPUT and no data', async (_label, variables) => {
    const r = await execute(PAGE, compliance, variables);
    expect(r.data?.orders ?? null).toBeNull();
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it("refuses a cursor made for another ordering", async () => {
    const first = await execute(PAGE, compliance, { first: 2, orderBy: 'PLACED_AT_ASC' });
    const r = await execute(PAGE, compliance, { first: 2, after: first.data!.orders.pageInfo.endCursor, orderBy: 'PLACED_AT_DESC' });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toBe('after: not a cursor this list gave this caller; pass the endCursor of the previous page');
  });

  it('filters by status and time range', async () => {
    const r = await execute(
      `{ orders(first: 100, filter: { statuses: [COMPLETED], placedFrom: "2025-01-01T00:00:00Z" }) { nodes { status placedAt } } }`,
      compliance,
    );
    expect(r.errors).toBeUndefined();
    const nodes = r.data!.orders.nodes as Array<{ status: string; placedAt: string }>;
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.every((n) => n.status === 'COMPLETED' && n.placedAt >= '2025-01-01T00:00:00.000Z')).toBe(true);
  });

  it('refuses a malformed id with BAD_USER_INPUT and answers a well-formed unknown id with null', async () => {
    const bad = await execute(`{ order(id: "42") { id } }`, compliance);
    expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const unknown = await execute(`{ order(id: "00000000-0000-4000-8000-000000000000") { id } }`, compliance);
    expect(unknown).toEqual({ data: { order: null } });
  });
});
