/**
 * What one caller may see: the matrix rows for its principal (each staff role) and purpose,
 * turned into a decision per schema coordinate — fields, links, the writes it may make, and the
 * arguments it may send — and a row scope. Every permission of the gateway is one of these
 * decisions: the shield rules, the argument rules, the contracts, the report and the resolvers
 * all ask the view, and nothing decides a second time.
 * Views are computed once per distinct (principal kind, roles, purpose, granted categories)
 * and cached, so a request pays only for map look-ups.
 */
import { getNamedType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { customerIdOf, grantIdOf, partnerIdOf, type Caller } from './principal';
import { ARGUMENT_REVEALS } from './arguments';
import { classify, isConnectionScaffolding, isPersonalData, isReferenceType, LINK, linkTarget, REFERENCE, STRUCTURE, type MaskKind } from './classification';
import { GRANTABLE_CATEGORIES, GRANTEE_SEES, MATRIX, type MatrixPrincipal, type MatrixRow, type RowScopeKind, type Visibility } from './disclosure-matrix';
import { rowScope, type RowScope } from './row-scope';
import type { DataCategory } from './vocabulary';

export type Decision = 'visible' | 'masked' | 'denied';

export interface PolicyView {
  /** Identifies the view: callers with the same key see the same fields. */
  readonly key: string;
  readonly rows: readonly RowScopeKind[];
  readonly operations: ReadonlySet<string>;
  readonly categories: ReadonlyMap<DataCategory, Visibility>;
  /** What the caller's reads serve (MatrixRow.serves): they are flagged in the audit log. */
  readonly serves?: MatrixRow['serves'];
  /** Whether the caller reads rows an erasure kept and restricted (MatrixRow.readsRestricted). */
  readonly readsRestricted: boolean;
  decide(typeName: string, fieldName: string): Decision;
  /**
   * Whether the caller may send an argument member (a schema coordinate of arguments.ts: a
   * filter field, an ordering, a plain argument): only when every coordinate it reveals is
   * visible, unmasked. Anything arguments.ts does not classify is denied.
   */
  decideArgument(coordinate: string): 'visible' | 'denied';
  /** The mask to apply to a field whose decision is `masked`. */
  maskOf(typeName: string, fieldName: string): MaskKind | undefined;
}

export function matrixPrincipalsOf(caller: Caller): MatrixPrincipal[] {
  const p = caller.principal;
  return p.kind === 'staff' ? p.roles.map((r) => `staff:${r}` as const) : [p.kind];
}

export function matrixRowsFor(caller: Caller): MatrixRow[] {
  const principals = matrixPrincipalsOf(caller);
  return MATRIX.filter((row) => principals.includes(row.principal) && row.purpose === caller.purpose);
}

/**
 * The matrix principals part of a view key, kept per staff roles list that cannot change (a
 * verified token's roles are frozen and come again with every request that sends the token).
 */
const principalsKeys = new WeakMap<readonly string[], string>();

function principalsKey(caller: Caller): string {
  const p = caller.principal;
  const kept = p.kind === 'staff' ? principalsKeys.get(p.roles) : undefined;
  if (kept !== undefined) return kept;
  const key = matrixPrincipalsOf(caller).sort().join('+');
  if (p.kind === 'staff' && Object.isFrozen(p.roles)) principalsKeys.set(p.roles, key);
  return key;
}

function viewKey(caller: Caller): string {
  const p = caller.principal;
  const grant = p.kind === 'third_party' ? [...p.categories].sort().join(',') : '';
  return `${principalsKey(caller)}|${caller.purpose}|${grant}`;
}

export class PolicyEngine {
  private readonly views = new Map<string, PolicyView>();

  constructor(private readonly schema: GraphQLSchema) {}

  viewFor(caller: Caller): PolicyView {
    const key = viewKey(caller);
    let view = this.views.get(key);
    if (!view) {
      view = this.buildView(key, matrixRowsFor(caller), caller);
      this.views.set(key, view);
    }
    return view;
  }

  scopeFor(caller: Caller, view: PolicyView): RowScope {
    const p = caller.principal;
    return rowScope(view.rows, { partnerId: partnerIdOf(p), customerId: customerIdOf(p), grantId: grantIdOf(p) }, { readsRestricted: view.readsRestricted });
  }

  /** A view from matrix rows directly (the report and the contracts use it without a caller). */
  buildView(key: string, rows: readonly MatrixRow[], caller?: Caller): PolicyView {
    const categories = new Map<DataCategory, Visibility>();
    const withheld = new Set<string>();
    const operations = new Set<string>();
    for (const row of rows) {
      const sees: Partial<Record<DataCategory, Visibility>> =
        row.sees === 'grant'
          ? {
              ...Object.fromEntries(
                (caller?.principal.kind === 'third_party' ? caller.principal.categories : GRANTABLE_CATEGORIES)
                  .filter((c) => GRANTABLE_CATEGORIES.includes(c))
                  .map((c) => [c, 'visible']),
              ),
              ...GRANTEE_SEES,
            }
          : row.sees;
      for (const [category, visibility] of Object.entries(sees) as Array<[DataCategory, Visibility]>) {
        if (categories.get(category) !== 'visible') categories.set(category, visibility);
      }
      for (const coordinate of Object.keys(row.withhold ?? {})) withheld.add(coordinate);
      for (const op of row.operations ?? []) operations.add(op);
    }
    // A coordinate withheld by one role stays visible if another role of the caller sees it unwithheld.
    for (const coordinate of [...withheld]) {
      if (rows.some((r) => !(coordinate in (r.withhold ?? {})) && r.sees !== 'grant')) withheld.delete(coordinate);
    }
    const schema = this.schema;
    // Per type, then per field: a cached decision costs two map look-ups and no string.
    const decisions = new Map<string, Map<string, Decision>>();
    const reachable = new Map<string, boolean>();
    const hasAnyData = categories.size > 0;

    const leafDecision = (typeName: string, fieldName: string): Decision => {
      const c = classify(typeName, fieldName);
      if (!c || withheld.has(`${typeName}.${fieldName}`)) return 'denied';
      if (c.class === STRUCTURE || c.class === REFERENCE) return 'visible';
      if (c.class === LINK) return 'denied';
      const visibility = categories.get(c.class);
      if (visibility === 'visible') return 'visible';
      if (visibility === 'masked' && c.mask) return c.mask === 'shown' ? 'visible' : 'masked';
      return 'denied';
    };

    /**
     * A type is reachable when the caller may see at least one of its own data fields. Links do
     * not count (every order links to its customer; that does not make the customer visible),
     * except through connection and edge types, which are reachable when their node type is.
     */
    const isReachable = (type: GraphQLObjectType): boolean => {
      const known = reachable.get(type.name);
      if (known !== undefined) return known;
      let result = false;
      for (const field of Object.values(type.getFields())) {
        const c = classify(type.name, field.name);
        if (!c || withheld.has(`${type.name}.${field.name}`)) continue;
        if (c.class === LINK) {
          const target = getNamedType(field.type);
          if (isConnectionScaffolding(type.name) && isObjectType(target) && isReachable(target)) result = true;
        } else if (isPersonalData(c) && leafDecision(type.name, field.name) !== 'denied') {
          result = true;
        }
        if (result) break;
      }
      reachable.set(type.name, result);
      return result;
    };

    const decide = (typeName: string, fieldName: string): Decision => {
      let ofType = decisions.get(typeName);
      const known = ofType?.get(fieldName);
      if (known) return known;
      const coordinate = `${typeName}.${fieldName}`;
      let decision: Decision;
      if (typeName === 'Mutation') {
        decision = operations.has(fieldName) ? 'visible' : 'denied';
      } else {
        const c = classify(typeName, fieldName);
        const type = schema.getType(typeName);
        const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
        if (!c || !field || withheld.has(coordinate)) {
          decision = 'denied';
        } else if (c.class === LINK) {
          const target = linkTarget(getNamedType(field.type));
          if (!target || c.reveals?.some((category) => categories.get(category) !== 'visible')) decision = 'denied';
          else if (isReferenceType(target)) {
            // Partners and policy versions: shown wherever the object that names them is.
            decision = typeName === 'Query' || isConnectionScaffolding(typeName)
              ? (hasAnyData ? 'visible' : 'denied')
              : isReachable(type as GraphQLObjectType) ? 'visible' : 'denied';
          } else decision = isReachable(target) ? 'visible' : 'denied';
        } else {
          decision = leafDecision(typeName, fieldName);
        }
      }
      if (!ofType) decisions.set(typeName, (ofType = new Map()));
      ofType.set(fieldName, decision);
      return decision;
    };

    const argumentDecisions = new Map<string, 'visible' | 'denied'>();
    const decideArgument = (coordinate: string): 'visible' | 'denied' => {
      let decision = argumentDecisions.get(coordinate);
      if (decision === undefined) {
        const reveals = ARGUMENT_REVEALS[coordinate];
        decision =
          reveals !== undefined &&
          reveals.every((revealed) => {
            const dot = revealed.indexOf('.');
            return decide(revealed.slice(0, dot), revealed.slice(dot + 1)) === 'visible';
          })
            ? 'visible'
            : 'denied';
        argumentDecisions.set(coordinate, decision);
      }
      return decision;
    };

    const served = rows.filter((r) => r.serves !== undefined).map((r) => r.serves!);
    return {
      key,
      rows: [...new Set(rows.map((r) => r.rows))],
      operations,
      categories,
      serves: served.length === 0 ? undefined : servesOfRows(served),
      readsRestricted: rows.some((r) => r.readsRestricted === true),
      decide,
      decideArgument,
      maskOf: (typeName, fieldName) => classify(typeName, fieldName)?.mask,
    };
  }
}

/**
 * What the reads of a caller with several rows serve: one reference (matrix-check.ts), required
 * when any row requires it; without it, the coordinates every requiring row lets be read.
 */
function servesOfRows(served: readonly NonNullable<MatrixRow['serves']>[]): NonNullable<MatrixRow['serves']> {
  const requiring = served.filter((s) => s.required);
  if (requiring.length === 0) return { reference: served[0].reference, required: false };
  const unreferenced = (requiring[0].unreferenced ?? []).filter((coordinate) => requiring.every((s) => s.unreferenced?.includes(coordinate)));
  return { reference: served[0].reference, required: true, ...(unreferenced.length > 0 ? { unreferenced } : {}) };
}
