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
 * request each read served; so are the actions the gateway lists for it (request-actions.tsx),
 * after each of which the request and the queue are read again. A request's customer also links
 * to "Who saw a customer's data".
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { GatewayError, graphql, inWords, type Serves, type Session } from '../api';
import { minute } from '../format';
import { RequestActions, type ActionableRequest } from './request-actions';

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
  COMPLETED: 'completed',
  REJECTED: 'rejected',
};

/** The queue: data-subject request work, before any one request is picked. */
const QUEUE_WORK: Serves = { purpose: 'data_subject_request' };

interface OpenedRequest extends ActionableRequest {
  dueAt: string | null;
  completedAt: string | null;
  resultSummary: string | null;
  rejectionReason: string | null;
  customer: { id: string; accountName: string | null; email: string | null } | null;
  transitions: Array<{ at: string; fromStatus: string | null; toStatus: string; actorKind: string | null; note: string | null }> | null;
}

const OPEN = `query OpenPrivacyRequest($id: ID!) {
  privacyRequest(id: $id) {
    id type status dueAt completedAt handler resultSummary rejectionReason actions
    customer { id accountName email }
    transitions { at fromStatus toStatus actorKind note }
  }
}`;

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
  /** The opened request as the gateway answered it (null: not within reach), and what the last action said. */
  const [opened, setOpened] = useState<{ id: string; request: OpenedRequest | null; said?: string } | undefined>();

  const failed = (error: unknown) => {
    if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') return onUnauthenticated();
    setProblem(inWords(error));
  };

  const loadQueue = () =>
    graphql<{ overdue: Connection; pending: Connection }>(session, 'PrivacyRequestQueue', QUEUE, {}, QUEUE_WORK).then(({ overdue, pending }) =>
      setQueue({ rows: queueOrder(overdue.nodes, pending.nodes), overdue: overdue.nodes.length, more: overdue.pageInfo.hasNextPage || pending.pageInfo.hasNextPage }),
    );
  useEffect(() => void loadQueue().catch(failed), []);

  /** Reads the request, its customer, history and the actions the gateway lists, naming the request they serve. */
  const read = (id: string) =>
    graphql<{ privacyRequest: OpenedRequest | null }>(session, 'OpenPrivacyRequest', OPEN, { id }, { purpose: 'data_subject_request', privacyRequest: id });
  const open = (request: QueuedRequest) => {
    setProblem(undefined);
    read(request.id).then(({ privacyRequest }) => setOpened({ id: request.id, request: privacyRequest }), failed);
  };
  /** After an action: the request and the queue as they are now; `said` is announced once both are shown. */
  const reopen = async (id: string, said?: string) => {
    const [{ privacyRequest }] = await Promise.all([read(id), loadQueue()]);
    setOpened({ id, request: privacyRequest, said });
  };
  // An opened request is shown below the queue: focus moves to it, so the keyboard and the eye follow — also after an
  // action whose button is gone, but not away from what the action put in front of the officer (a new download link).
  const openedSection = useRef<HTMLElement>(null);
  const openedHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const focused = document.activeElement;
    if (!focused || focused === document.body || !openedSection.current?.contains(focused)) openedHeading.current?.focus();
  }, [opened]);
  const shown = opened?.request;
  const history = shown?.transitions ?? [];

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
        <section class="card" aria-labelledby="opened-request" ref={openedSection}>
          <h2 id="opened-request" tabIndex={-1} ref={openedHeading}>Request {opened.id}</h2>
          <p class="sub">Read and worked under <code>data_subject_request</code> for this request: the audit log names it.</p>
          <p role="status" class="status">{opened.said ?? ''}</p>
          {!shown ? (
            <p>This request is not within your reach: it does not exist, or it is not yours to see.</p>
          ) : (
            <>
              <p>
                {WORDS[shown.type] ?? shown.type}, {WORDS[shown.status] ?? shown.status}
                {shown.dueAt && shown.completedAt === null && <>, due {minute(shown.dueAt)}</>}
                {shown.completedAt && <>, {shown.status === 'REJECTED' ? 'rejected' : 'completed'} {minute(shown.completedAt)}</>}
                {shown.handler && <>; handled by {shown.handler}</>}.
              </p>
              {shown.customer ? (
                <p>
                  Customer: <strong>{shown.customer.accountName ?? '—'}</strong>
                  {shown.customer.email && <> &lt;{shown.customer.email}&gt;</>} <span class="sub">{shown.customer.id}</span>
                </p>
              ) : (
                <p>No customer record is readable for this request.</p>
              )}
              {shown.resultSummary && <p>Outcome: {shown.resultSummary}</p>}
              {shown.rejectionReason && <p>Reason given to the customer: {shown.rejectionReason}</p>}
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
              <RequestActions
                key={shown.id}
                session={session}
                request={shown}
                customerName={shown.customer?.accountName ?? null}
                onChanged={(said) => reopen(shown.id, said)}
                onUnauthenticated={onUnauthenticated}
              />
            </>
          )}
        </section>
      )}
    </>
  );
}
