/**
 * Who saw this customer's data: the audit events whose subjects include one customer, newest
 * first, filterable by time, principal, purpose and coordinate, flagged legal reads marked, and
 * exported as CSV. Each page, and each page of an export, is a read of the audit log and is
 * itself audited and flagged with the officer's legal case; an export's reads are named
 * ExportCustomerDisclosures in the log.
 */
import { useEffect, useState } from 'preact/hooks';
import { GatewayError, graphql, type Session } from '../api';
import { download, toCsv } from '../csv';

interface AuditEventRow {
  id: string;
  at: string;
  principalKind: string | null;
  principalId: string | null;
  roles: string[] | null;
  partnerId: string | null;
  purpose: string | null;
  operationType: string | null;
  operationName: string | null;
  disclosed: string[] | null;
  masked: string[] | null;
  denied: string[] | null;
  outcome: string | null;
  flagged: boolean | null;
  legalCaseReference: string | null;
  privacyRequestReference: string | null;
}
interface Page {
  auditEvents: { nodes: AuditEventRow[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

const QUERY = (name: string) => `query ${name}($first: Int!, $after: String, $filter: AuditEventFilter!) {
  auditEvents(first: $first, after: $after, filter: $filter, orderBy: AT_DESC) {
    nodes { id at principalKind principalId roles partnerId purpose operationType operationName disclosed masked denied outcome flagged legalCaseReference privacyRequestReference }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PAGE_SIZE = 50;
/** An export stops here and says so: beyond it, narrow the time range. */
const EXPORT_LIMIT = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Filters {
  customer: string;
  from: string;
  to: string;
  principalKind: string;
  purpose: string;
  coordinate: string;
  flaggedOnly: boolean;
}

function filterOf(f: Filters): Record<string, unknown> {
  return {
    subjectId: f.customer.trim(),
    ...(f.from ? { from: new Date(f.from).toISOString() } : {}),
    ...(f.to ? { to: new Date(f.to).toISOString() } : {}),
    ...(f.principalKind ? { principalKind: f.principalKind } : {}),
    ...(f.purpose.trim() ? { purpose: f.purpose.trim() } : {}),
    ...(f.coordinate.trim() ? { coordinate: f.coordinate.trim() } : {}),
    ...(f.flaggedOnly ? { flaggedOnly: true } : {}),
  };
}

const principalOf = (e: AuditEventRow) => [e.principalKind, e.roles?.length ? `(${e.roles.join(', ')})` : '', e.principalId].filter(Boolean).join(' ');

export function WhoSawPage({ session, initialCustomer, onUnauthenticated }: { session: Session; initialCustomer: string; onUnauthenticated: () => void }) {
  const [filters, setFilters] = useState<Filters>({ customer: initialCustomer, from: '', to: '', principalKind: '', purpose: '', coordinate: '', flaggedOnly: false });
  const [shown, setShown] = useState<Filters | undefined>();
  const [events, setEvents] = useState<AuditEventRow[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Filters>) => setFilters({ ...filters, ...patch });

  const fail = (error: unknown) => {
    if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') return onUnauthenticated();
    setProblem(error instanceof GatewayError ? `${error.code}: ${error.message}` : `The gateway could not be reached: ${(error as Error).message}`);
  };

  const load = async (f: Filters, after: string | null) => {
    if (!UUID.test(f.customer.trim())) {
      setProblem("Enter the customer's id (a UUID, e.g. 1dc8a7d4-8678-4dbc-9e95-adb470500fce).");
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      const data = await graphql<Page>(session, 'CustomerDisclosures', QUERY('CustomerDisclosures'), { first: PAGE_SIZE, after, filter: filterOf(f) });
      const all = after ? [...events, ...data.auditEvents.nodes] : data.auditEvents.nodes;
      setEvents(all);
      setShown(f);
      setNext(data.auditEvents.pageInfo.hasNextPage ? data.auditEvents.pageInfo.endCursor : null);
      setStatus(`${all.length} event${all.length === 1 ? '' : 's'} shown${data.auditEvents.pageInfo.hasNextPage ? ', more to load' : ''}.`);
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (initialCustomer) void load(filters, null);
  }, []);

  const exportCsv = async () => {
    if (!shown) return;
    setBusy(true);
    setProblem(undefined);
    const rows: AuditEventRow[] = [];
    try {
      let after: string | null = null;
      do {
        setStatus(`Exporting: ${rows.length} events read…`);
        const data: Page = await graphql<Page>(session, 'ExportCustomerDisclosures', QUERY('ExportCustomerDisclosures'), { first: 100, after, filter: filterOf(shown) });
        rows.push(...data.auditEvents.nodes);
        after = data.auditEvents.pageInfo.hasNextPage ? data.auditEvents.pageInfo.endCursor : null;
      } while (after && rows.length < EXPORT_LIMIT);
      const header = ['event id', 'at', 'principal kind', 'principal id', 'roles', 'partner id', 'purpose', 'operation type', 'operation name', 'disclosed', 'masked', 'denied', 'outcome', 'flagged', 'legal case', 'privacy request'];
      const csv = toCsv(header, rows.map((e) => [e.id, e.at, e.principalKind, e.principalId, e.roles, e.partnerId, e.purpose, e.operationType, e.operationName, e.disclosed, e.masked, e.denied, e.outcome, e.flagged ? 'yes' : 'no', e.legalCaseReference, e.privacyRequestReference]));
      download(`disclosures-${shown.customer.trim()}.csv`, csv);
      setStatus(`Exported ${rows.length} events${after ? ` (stopped at ${EXPORT_LIMIT}: narrow the time range for the rest)` : ''}.`);
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form
        class="filters"
        aria-label="Find a customer's disclosures"
        onSubmit={(e) => {
          e.preventDefault();
          void load(filters, null);
        }}
      >
        <div class="wide">
          <label for="customer">Customer id</label>
          <input id="customer" required autoComplete="off" spellcheck={false} value={filters.customer} onInput={(e) => set({ customer: e.currentTarget.value })} />
        </div>
        <div>
          <label for="from">From</label>
          <input id="from" type="datetime-local" value={filters.from} onInput={(e) => set({ from: e.currentTarget.value })} />
        </div>
        <div>
          <label for="to">Until</label>
          <input id="to" type="datetime-local" value={filters.to} onInput={(e) => set({ to: e.currentTarget.value })} />
        </div>
        <div>
          <label for="principal-kind">Principal kind</label>
          <select id="principal-kind" value={filters.principalKind} onChange={(e) => set({ principalKind: e.currentTarget.value })}>
            <option value="">Any</option>
            {['staff', 'customer', 'logistics_partner', 'payment_provider', 'platform_operator', 'third_party', 'system'].map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </div>
        <div>
          <label for="purpose-filter">Purpose</label>
          <input id="purpose-filter" value={filters.purpose} placeholder="e.g. after_sales" onInput={(e) => set({ purpose: e.currentTarget.value })} />
        </div>
        <div>
          <label for="coordinate">Field</label>
          <input id="coordinate" value={filters.coordinate} placeholder="e.g. Customer.email" onInput={(e) => set({ coordinate: e.currentTarget.value })} />
        </div>
        <div class="check">
          <input id="flagged-only" type="checkbox" checked={filters.flaggedOnly} onChange={(e) => set({ flaggedOnly: e.currentTarget.checked })} />
          <label for="flagged-only">Flagged legal reads only</label>
        </div>
        <div class="actions">
          <button type="submit" disabled={busy}>Find disclosures</button>
          <button type="button" class="secondary" disabled={busy || !shown || events.length === 0} onClick={() => void exportCsv()}>Export CSV</button>
        </div>
      </form>
      {problem && <p class="problem" role="alert">{problem}</p>}
      <p role="status" class="status">{status}</p>
      {shown && events.length === 0 && !problem && <p>No recorded disclosure of this customer's data matches.</p>}
      {events.length > 0 && (
        <div class="scroll" tabIndex={0} role="region" aria-label="Disclosures">
          <table class="events">
            <caption>Disclosures of customer {shown?.customer}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When (UTC)</th>
                <th scope="col">Principal</th>
                <th scope="col">Purpose</th>
                <th scope="col">Operation</th>
                <th scope="col">Fields</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} class={e.flagged ? 'flagged' : undefined}>
                  <td data-label="When">{e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</td>
                  <td data-label="Principal">{principalOf(e)}{e.partnerId && <div class="sub">partner {e.partnerId}</div>}</td>
                  <td data-label="Purpose">
                    {e.purpose}
                    {e.flagged && <div><span class="badge flag">flagged</span> {e.legalCaseReference ?? e.privacyRequestReference ?? 'no reference'}</div>}
                  </td>
                  <td data-label="Operation">{e.operationType?.toLowerCase()} {e.operationName ?? ''}</td>
                  <td data-label="Fields">
                    {e.disclosed?.length ? <div>disclosed: {e.disclosed.map((c) => <code key={c}>{c} </code>)}</div> : null}
                    {e.masked?.length ? <div>masked: {e.masked.map((c) => <code key={c}>{c} </code>)}</div> : null}
                    {e.denied?.length ? <div>denied: {e.denied.map((c) => <code key={c}>{c} </code>)}</div> : null}
                  </td>
                  <td data-label="Outcome">{e.outcome?.toLowerCase()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && shown && (
        <button type="button" disabled={busy} onClick={() => void load(shown, next)}>Load more</button>
      )}
    </>
  );
}
