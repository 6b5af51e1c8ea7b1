/**
 * Requests: the queue of data-subject requests still open (received, identity verified, in
 * progress), overdue ones first, then by due date — the soonest first, requests whose identity
 * is not yet verified (no deadline yet) last. Read through the gateway's `privacyRequests`
 * query, whose `overdue` filter is the gateway's own judgement of the deadline (working days,
 * holidays); the page only puts the two lists it asks for in order.
 *
 * A request's customer links to "Who saw a customer's data". Carrying requests out stays with the
 * officer's data_subject_request work, where each act names the request it serves.
 */
import { useEffect, useState } from 'preact/hooks';
import { GatewayError, graphql, type Session } from '../api';

interface QueuedRequest {
  id: string;
  type: string;
  status: string;
  receivedAt: string;
  verifiedAt: string | null;
  dueAt: string | null;
  overdue: boolean | null;
  handler: string | null;
  openedVia: string | null;
  customer: { id: string } | null;
}
interface Connection {
  nodes: QueuedRequest[];
  pageInfo: { hasNextPage: boolean };
}

/** As many of each list as one answer carries; the page says when there are more. */
const PAGE = 100;
const FIELDS = 'id type status receivedAt verifiedAt dueAt overdue handler openedVia customer { id }';
const QUEUE = `query PrivacyRequestQueue {
  overdue: privacyRequests(first: ${PAGE}, filter: { overdue: true }) { nodes { ${FIELDS} } pageInfo { hasNextPage } }
  pending: privacyRequests(first: ${PAGE}, filter: { overdue: false, statuses: [RECEIVED, IDENTITY_VERIFIED, IN_PROGRESS] }) { nodes { ${FIELDS} } pageInfo { hasNextPage } }
}`;

const WORDS: Readonly<Record<string, string>> = {
  ACCESS: 'Access',
  ERASURE: 'Erasure',
  OBJECTION: 'Objection',
  RECTIFICATION: 'Rectification',
  WITHDRAW_CONSENT: 'Consent withdrawal',
  RECEIVED: 'received, identity not verified',
  IDENTITY_VERIFIED: 'identity verified',
  IN_PROGRESS: 'in progress',
};

/** A timestamp to the minute, in UTC: `2026-12-08 19:28 UTC`. */
const minute = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** Soonest due first; a request without a due date (identity not yet verified) after every dated one, oldest received first. */
function byDueDate(a: QueuedRequest, b: QueuedRequest): number {
  if (a.dueAt !== b.dueAt) {
    if (a.dueAt === null) return 1;
    if (b.dueAt === null) return -1;
    return Date.parse(a.dueAt) - Date.parse(b.dueAt);
  }
  return Date.parse(a.receivedAt) - Date.parse(b.receivedAt);
}

/** The queue in the order an officer works it: every overdue request, then the rest, each by due date. */
function queueOrder(overdue: readonly QueuedRequest[], pending: readonly QueuedRequest[]): QueuedRequest[] {
  return [...[...overdue].sort(byDueDate), ...[...pending].sort(byDueDate)];
}

export function RequestsPage({ session, onUnauthenticated }: { session: Session; onUnauthenticated: () => void }) {
  const [queue, setQueue] = useState<{ rows: QueuedRequest[]; overdue: number; more: boolean } | undefined>();
  const [problem, setProblem] = useState<string | undefined>();

  useEffect(() => {
    graphql<{ overdue: Connection; pending: Connection }>(session, 'PrivacyRequestQueue', QUEUE).then(
      ({ overdue, pending }) =>
        setQueue({ rows: queueOrder(overdue.nodes, pending.nodes), overdue: overdue.nodes.length, more: overdue.pageInfo.hasNextPage || pending.pageInfo.hasNextPage }),
      (error: unknown) => {
        if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') return onUnauthenticated();
        setProblem(error instanceof GatewayError ? `${error.code}: ${error.message}` : `The gateway could not be reached: ${(error as Error).message}`);
      },
    );
  }, []);

  return (
    <>
      {problem && <p class="problem" role="alert">{problem}</p>}
      {!queue && !problem && <p role="status">Loading…</p>}
      {queue && (
        <section class="card" aria-labelledby="open-requests">
          <h2 id="open-requests">Open requests</h2>
          <p role="status" class="status">
            {queue.rows.length === 0 ? 'No data-subject request is open.' : `${queue.rows.length} open, ${queue.overdue} overdue.`}
            {queue.more && ` Only the first ${PAGE} of each list are shown.`}
          </p>
          {queue.rows.length > 0 && (
            <div class="scroll" role="region" aria-label="Request queue" tabIndex={0}>
              <table>
                <thead>
                  <tr><th scope="col">Due</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Customer</th><th scope="col">Received</th><th scope="col">Handler</th></tr>
                </thead>
                <tbody>
                  {queue.rows.map((r) => (
                    <tr key={r.id} class={r.overdue ? 'overdue' : undefined}>
                      <td>
                        {r.overdue && <><span class="badge overdue">overdue</span>{' '}</>}
                        {r.dueAt ? minute(r.dueAt) : <span class="sub">when verified</span>}
                      </td>
                      <td>{WORDS[r.type] ?? r.type} <span class="sub">{r.id}</span></td>
                      <td>{WORDS[r.status] ?? r.status}</td>
                      <td>{r.customer ? <a href={`#/who-saw?customer=${r.customer.id}`}>{r.customer.id}</a> : '—'}</td>
                      <td>{minute(r.receivedAt)}{r.openedVia === 'CUSTOMER_SERVICE' && <span class="sub"> via customer service</span>}</td>
                      <td>{r.handler ?? <span class="sub">unassigned</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </>
  );
}
