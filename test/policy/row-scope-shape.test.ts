/**
 * RowScope.shape: a compiled read's template asks a scope for its shape once, and takes the text
 * of every table's condition and what the scope carries over from the request that rendered it
 * (read-plans.ts `Templates`). That is sound only when two scopes of the same shape give the same
 * text and carry-over everywhere, whoever their subject is; and the values a condition binds come
 * from `params`, the subject's.
 */
import { isRowScopeKind, rowScope, type RowScope, type ScopeLink, type ScopeSubject } from '../../src/policy/row-scope';
import type { RowScopeKind } from '../../src/policy/disclosure-matrix';
import { TABLES, type ScopedTable } from '../../src/policy/tables';
import { toPositional } from '../../src/platform/row-reader';

const KINDS: RowScopeKind[] = ['all', 'own_shipments', 'own_payments', 'platform_orders', 'orders_paid_to_delivered', 'self', 'granted_customer', 'page_views', 'none'];
const TABLE_NAMES = Object.keys(TABLES) as ScopedTable[];
const LINKS: ScopeLink[] = ['shipment>order', 'payment_verification>order', 'order>order_item', 'order>shipment', 'order>payment_verification'];
const ALIASES = ['t0', 'x'];
const SUBJECTS: ScopeSubject[] = [
  {},
  { partnerId: '00000000-0000-4000-8000-00000000000a' },
  { customerId: '00000000-0000-4000-8000-00000000000b' },
  { customerId: '00000000-0000-4000-8000-00000000000c', grantId: '00000000-0000-4000-8000-00000000000d', partnerId: '00000000-0000-4000-8000-00000000000e' },
];

/** Every kind alone and every ordered pair of kinds, each reading restricted rows or not. */
const CONFIGS: Array<{ kinds: RowScopeKind[]; readsRestricted: boolean }> = KINDS.flatMap((a) => [[a], ...KINDS.filter((b) => b !== a).map((b) => [a, b])]).flatMap(
  (kinds) => [false, true].map((readsRestricted) => ({ kinds, readsRestricted })),
);

/** What a template takes from a scope's rendering request: each condition's text and each link's carry-over. */
function textOf(scope: RowScope): string {
  const conditions = TABLE_NAMES.flatMap((table) => ALIASES.map((alias) => `${table} ${alias}: ${scope.condition(table, alias)?.sql ?? '(none)'}`));
  const links = LINKS.map((link) => `${link}: ${scope.carriesOver(link)}`);
  return [...conditions, ...links].join('\n');
}

describe('RowScope.shape', () => {
  it('lists only real kinds', () => {
    expect(KINDS.filter((kind) => !isRowScopeKind(kind))).toEqual([]);
  });

  it('is the same for every subject of the same kinds, and so is the text', () => {
    for (const { kinds, readsRestricted } of CONFIGS) {
      const scopes = SUBJECTS.map((subject) => rowScope(kinds, subject, { readsRestricted }));
      expect(new Set(scopes.map((s) => s.shape)).size).toBe(1);
      expect(new Set(scopes.map(textOf)).size).toBe(1);
    }
  });

  it('differs wherever the text or the carry-over differs', () => {
    const textByShape = new Map<string, string>();
    let shapes = 0;
    for (const { kinds, readsRestricted } of CONFIGS) {
      const scope = rowScope(kinds, SUBJECTS[3]!, { readsRestricted });
      const text = textOf(scope);
      const seen = textByShape.get(scope.shape);
      if (seen === undefined) {
        textByShape.set(scope.shape, text);
        shapes += 1;
      } else expect({ shape: scope.shape, text }).toEqual({ shape: scope.shape, text: seen });
    }
    // Far fewer texts than configurations would mean the check compared next to nothing.
    expect(shapes).toBeGreaterThan(KINDS.length * 2);
  });

  it('binds the subject under the names its conditions use', () => {
    expect(rowScope(['own_shipments'], { partnerId: 'p' }).params).toEqual({ scopePartner: 'p' });
    expect(rowScope(['self'], { customerId: 'c' }).params).toEqual({ scopeCustomer: 'c' });
    expect(rowScope(['granted_customer'], { customerId: 'c', grantId: 'g', partnerId: 'p' }).params).toEqual({ scopeCustomer: 'c', scopeGrant: 'g', scopePartner: 'p' });
    expect(rowScope(['all'], { partnerId: 'p' }).params).toEqual({});
    // Every condition binds from the scope's params what it binds from its own.
    let bound = 0;
    for (const { kinds, readsRestricted } of CONFIGS) {
      const scope = rowScope(kinds, SUBJECTS[3]!, { readsRestricted });
      for (const table of TABLE_NAMES) {
        const condition = scope.condition(table, 't');
        if (!condition) continue;
        const own: unknown[] = [];
        const scopes: unknown[] = [];
        expect(toPositional(condition.sql, scope.params, scopes)).toBe(toPositional(condition.sql, condition.params, own));
        expect(scopes).toEqual(own);
        bound += own.length;
      }
    }
    expect(bound).toBeGreaterThan(0);
  });
});
