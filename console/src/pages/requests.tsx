/**
 * Requests: the queue of data-subject requests still open (received, identity verified, in
 * progress), overdue ones first, then by due date — the soonest first, requests whose identity
 * is not yet verified (no deadline yet) last. Read through the gateway's `privacyRequests`
 * query, whose `overdue` filter is the gateway's own judgement of the deadline (working days,
 * holidays); the page only puts the two lists it asks for in order.
 *
 * The queue is read under purpose data_subject_request without naming a request: the matrix lets
 * the compliance officer read the queue's own fields (kind, status, dates, handler, the customer's
 * id) that way, to pick one, and nothing else. Opening a request reads its customer and its history
 * under the same purpose, naming that request (X-Privacy-Request), so the audit log says which
 * request each read served. A request's customer also links to "Who saw a customer's data".
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { GatewayError, graphql, type Serves, type Session } from '../api';

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

/** The queue: data-subject request work, before any one request is picked. */
const QUEUE_WORK: Serves = { purpose: 'data_subject_request' };

interface OpenedRequest {
  request: QueuedRequest;
  customer: {
    accountName: string | null;
    email: string | null;
    privacyRequests: Array<{ id: string; transitions: Array<{ at: string; fromStatus: string | null; toStatus: string; actorKind: string | null; note: string | null }> | null }> | null;
  } | null;
}

const OPEN = `query OpenPrivacyRequest($customerId: ID!) {
  customer(id: $customerId) { accountName email privacyRequests { id transitions { at fromStatus toStatus actorKind note } } }
}`;

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
  const [opened, setOpened] = useState<OpenedRequest | undefined>();

  const failed = (error: unknown) => {
    if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') return onUnauthenticated();
    setProblem(error instanceof GatewayError ? `${error.code}: ${error.message}` : `The gateway could not be reached: ${(error as Error).message}`);
  };

  useEffect(() => {
    graphql<{ overdue: Connection; pending: Connection }>(session, 'PrivacyRequestQueue', QUEUE, {}, QUEUE_WORK).then(
      ({ overdue, pending }) =>
        setQueue({ rows: queueOrder(overdue.nodes, pending.nodes), overdue: overdue.nodes.length, more: overdue.pageInfo.hasNextPage || pending.pageInfo.hasNextPage }),
      failed,
    );
  }, []);

  /** Reads the request's customer and history, naming the request they serve. */
  const open = (request: QueuedRequest) => {
    if (!request.customer) return setOpened({ request, customer: null });
    setProblem(undefined);
    graphql<{ customer: OpenedRequest['customer'] }>(session, 'OpenPrivacyRequest', OPEN, { customerId: request.customer.id }, { purpose: 'data_subject_request', privacyRequest: request.id }).then(
      ({ customer }) => setOpened({ request, customer }),
      failed,
    );
  };
  // An opened request is shown below the queue: focus moves to it, so the keyboard and the eye follow.
  const openedHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => openedHeading.current?.focus(), [opened]);
  const history = opened?.customer?.privacyRequests?.find((r) => r.id === opened.request.id)?.transitions ?? [];

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
                      <td>
                        {WORDS[r.type] ?? r.type} <span class="sub">{r.id}</span>{' '}
                        <button type="button" class="secondary" aria-label={`Open request ${r.id}`} onClick={() => open(r)}>Open</button>
                      </td>
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
      {opened && (
        <section class="card" aria-labelledby="opened-request">
          <h2 id="opened-request" tabIndex={-1} ref={openedHeading}>Request {opened.request.id}</h2>
          <p class="sub">Read under <code>data_subject_request</code> for this request: the audit log names it.</p>
          <p>
            {WORDS[opened.request.type] ?? opened.request.type}, {WORDS[opened.request.status] ?? opened.request.status}
            {opened.request.dueAt && <>, due {minute(opened.request.dueAt)}</>}.
          </p>
          {opened.customer ? (
            <p>
              Customer: <strong>{opened.customer.accountName ?? '—'}</strong>
              {opened.customer.email && <> &lt;{opened.customer.email}&gt;</>} <span class="sub">{opened.request.customer?.id}</span>
            </p>
          ) : (
            <p>No customer record is readable for this request.</p>
          )}
          {history.length === 0 ? (
            <p class="sub">No status change recorded yet.</p>
          ) : (
            <ol aria-label="Status history">
              {history.map((t) => (
                <li key={t.at + t.toStatus}>
                  {minute(t.at)}: {t.fromStatus ? `${WORDS[t.fromStatus] ?? t.fromStatus} → ` : ''}{WORDS[t.toStatus] ?? t.toStatus}
                  {t.actorKind && <span class="sub"> by {t.actorKind}</span>}{t.note && <> — {t.note}</>}
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
    </>
  );
}
