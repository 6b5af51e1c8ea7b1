import { parse, type SelectionSetNode } from 'graphql';
import { POSTGRAPHILE_QUERIES, firstDifference, rlsHeaders } from '../../bench/peers/postgraphile-queries';
import { peersTable } from '../../bench/peers/report';
import type { ScenarioResult } from '../../bench/report';
import { SCENARIOS } from '../../bench/scenarios';

/** Field names an operation selects, as a tree (leaves are true); aliases and arguments ignored. */
type Tree = { [field: string]: Tree | true };
function selections(set: SelectionSetNode): Tree {
  const tree: Tree = {};
  for (const s of set.selections) {
    if (s.kind !== 'Field') throw new Error(`expected fields only, got ${s.kind}`);
    tree[s.name.value] = s.selectionSet ? selections(s.selectionSet) : true;
  }
  return tree;
}
const operationTree = (query: string): Tree => {
  const [operation] = parse(query).definitions;
  if (operation?.kind !== 'OperationDefinition') throw new Error('expected one operation');
  return selections(operation.selectionSet);
};

/**
 * An answer in PostGraphile's shape made from the peer query alone: every connection a list of
 * two nodes, every leaf a timestamp string (a value every rewrite accepts: enums are upper-cased,
 * timestamps re-read).
 */
const LEAF = '2026-01-02T03:04:05.678901+00:00';
function answerOf(tree: Tree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, sub] of Object.entries(tree)) {
    if (sub === true) out[field] = LEAF;
    else if (field === 'nodes') out[field] = [answerOf(sub), answerOf(sub)];
    else out[field] = answerOf(sub);
  }
  return out;
}

/** The tree of keys of a JSON value, lists read through their first entry. */
function keysOf(value: unknown): Tree | true {
  if (Array.isArray(value)) return keysOf(value[0]);
  if (value === null || typeof value !== 'object') return true;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keysOf(v)]));
}

describe('bench peers: PostGraphile queries select what the gateway operations select', () => {
  it('has a PostGraphile query for each read scenario with a raw-SQL baseline, and none for the others', () => {
    expect(Object.keys(POSTGRAPHILE_QUERIES).map(Number)).toEqual([1, 2, 3, 4]);
    expect(SCENARIOS.filter((s) => s.baseline).map((s) => s.number)).toEqual([1, 2, 3, 4]);
  });

  it.each([1, 2, 3, 4])('scenario %i: the rewrite of an answer to the peer query has exactly the fields of the gateway operation', (n) => {
    const scenario = SCENARIOS.find((s) => s.number === n)!;
    const peer = POSTGRAPHILE_QUERIES[n]!;
    const rewritten = peer.toGateway(answerOf(operationTree(peer.query)));
    expect(keysOf(rewritten)).toEqual(operationTree(scenario.query));
    // Nothing the rewrite reads is missing from the peer query (JSON drops what is undefined).
    expect(firstDifference(rewritten, JSON.parse(JSON.stringify(rewritten)))).toBeNull();
  });

  it('reads enum values and timestamps as the gateway writes them', () => {
    const rewritten = POSTGRAPHILE_QUERIES[2]!.toGateway({
      allPaymentVerifications: {
        nodes: [
          { providerReference: 'r1', amount: '12.50', currency: 'EUR', status: 'settled', settledAt: '2026-03-04T05:06:07.891234+00:00', settlementBatchRef: null, orderByOrderId: { orderNumber: 'N-1' } },
          { providerReference: 'r2', amount: '3.00', currency: 'EUR', status: 'pending', settledAt: null, settlementBatchRef: 'b', orderByOrderId: { orderNumber: 'N-2' } },
        ],
      },
    });
    expect(rewritten).toEqual({
      paymentVerifications: {
        nodes: [
          { providerReference: 'r1', amount: '12.50', currency: 'EUR', status: 'SETTLED', settledAt: '2026-03-04T05:06:07.891Z', settlementBatchRef: null, order: { orderNumber: 'N-1' } },
          { providerReference: 'r2', amount: '3.00', currency: 'EUR', status: 'PENDING', settledAt: null, settlementBatchRef: 'b', order: { orderNumber: 'N-2' } },
        ],
      },
    });
  });

  it('gives each caller of the benchmark its row scope for PostGraphile with RLS, and refuses one it has none for', () => {
    const fixtures = { logisticsPartner: 'carrier-1', paymentProvider: 'psp-1', demoCustomer: 'c', orderIds: [], shipmentIds: [] };
    expect(SCENARIOS.filter((s) => POSTGRAPHILE_QUERIES[s.number]).map((s) => rlsHeaders(s.token(fixtures)))).toEqual([
      { 'x-bench-scope': 'own_shipments', 'x-bench-partner': 'carrier-1' },
      { 'x-bench-scope': 'own_payments', 'x-bench-partner': 'psp-1' },
      { 'x-bench-scope': 'all' },
      { 'x-bench-scope': 'all' },
    ]);
    expect(() => rlsHeaders({ kind: 'customer', customerId: 'c', purposes: ['after_sales'] })).toThrow('no row-level-security scope for a customer caller');
  });

  it.each([1, 2])('scenario %i: the RLS query selects what the plain one does, without the partner condition', (n) => {
    const peer = POSTGRAPHILE_QUERIES[n]!;
    expect(operationTree(peer.rls!.query)).toEqual(operationTree(peer.query));
    expect(peer.rls!.query).not.toContain('condition');
    expect(peer.query).toContain('condition');
  });

  it('rewrites a missing row as the gateway answers it', () => {
    expect(POSTGRAPHILE_QUERIES[4]!.toGateway({ orderByRowId: null })).toEqual({ order: null });
    expect(POSTGRAPHILE_QUERIES[3]!.toGateway({ customerByRowId: null })).toEqual({ customer: null });
  });
});

describe('bench peers: where two answers first differ', () => {
  it.each([
    ['equal', { a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }, null],
    ['a value', { a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] }, '$.a[1].b'],
    ['a list length', { a: [1, 2, 3] }, { a: [1, 2] }, '$.a (3 against 2 entries)'],
    ['a key on one side', { a: 1, b: null }, { a: 1 }, '$.b (present on one side only)'],
    ['null against an object', { a: null }, { a: {} }, '$.a'],
    ['a list against an object', { a: [] }, { a: {} }, '$.a'],
  ])('%s', (_name, a, b, expected) => {
    expect(firstDifference(a, b)).toBe(expected);
  });
});

describe('bench peers: the comparison table', () => {
  const rounds = (...cpu: Array<[number, number]>) => cpu.map(([node, pg]) => ({ requestsPerSecond: 1, serverCpuMsPerRequest: node, postgresCpuMsPerRequest: pg }));
  const result = (rs: ScenarioResult['rounds']): ScenarioResult => ({
    number: 4,
    key: 'order-by-id',
    title: '',
    caller: '',
    sql: { full: 1, short: null, flat: null, unprotected: 1, before: null, postgraphile: 1 },
    baselineMatchesGateway: true,
    runs: {},
    rounds: rs,
    protectionsCost: null,
    protectionsCostByRound: null,
    protectionsCpuCost: null,
    gatewayToBaseline: null,
  });

  it('gives medians and spreads of CPU per request and the ratios taken round by round', () => {
    const table = peersTable([
      result({
        protected: rounds([1, 1], [1.5, 1.5], [1, 2]),
        unprotected: rounds([1, 0.5], [1, 0.5], [1, 0.5]),
        postgraphile: rounds([1, 1], [2, 1], [1, 0.5]),
        'postgraphile-rls': rounds([2, 2], [3, 3], [3, 3]),
        baseline: rounds([0.25, 0.25], [0.5, 0.5], [0.5, 0.25]),
      }),
    ]);
    const row = table.split('\n').find((line) => line.startsWith('4 '))!;
    // CPU: protected 2, 3, 3; PostGraphile 2, 3, 1.5 (ratios per round 1, 1, 2); with RLS 4, 6, 6; baseline 0.5, 1, 0.75.
    expect(row.split(/\s{2,}/)).toEqual([
      '4',
      'order-by-id',
      '3.00 (2.00–3.00)',
      '1.50 (1.50–1.50)',
      '2.00 (1.50–3.00)',
      '6.00 (4.00–6.00)',
      '0.75 (0.50–1.00)',
      '1.00 (1.00–2.00)',
      '0.75 (0.50–1.00)',
      '0.50 (0.50–0.50)',
      '3.00 (2.00–4.00)',
    ]);
  });

  it('gives a dash where a peer did not run', () => {
    const table = peersTable([result({ protected: rounds([1, 1]), postgraphile: rounds([1, 1]) })]);
    const row = table.split('\n').find((line) => line.startsWith('4 '))!;
    expect(row.split(/\s{2,}/)).toEqual(['4', 'order-by-id', '2.00 (2.00–2.00)', '—', '2.00 (2.00–2.00)', '—', '—', '1.00 (1.00–1.00)', '—', '—', '—']);
  });

  it('leaves out scenarios PostGraphile did not run', () => {
    const table = peersTable([result({ protected: rounds([1, 1]) })]);
    expect(table.split('\n').filter((line) => line.startsWith('4 '))).toEqual([]);
  });
});
