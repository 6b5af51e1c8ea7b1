/**
 * What the officer may do to an opened request: exactly the actions the gateway lists for it
 * (`PrivacyRequest.actions`: the writes the officer's policy grants that the request's type and
 * status allow now), never a guess of the console's own — an action the gateway does not list is
 * not shown, and one the console cannot carry out (a rectification's corrections, a customer's
 * code) is not shown either. Taking over a request the officer already handles is listed too
 * (assigning is allowed to anyone's request in progress) but means nothing: it is not offered.
 *
 * Each write is sent under data_subject_request naming the request (X-Privacy-Request), so its
 * audit event says which request it served, with an Idempotency-Key: a write whose answer never
 * came (the network, a 5xx) is sent again with the same key, so the gateway does it once; any
 * other answer ends the attempt. The download link is the exception: its answer holds the link's
 * secret, which the gateway never keeps, so it refuses a key; sent again, it makes another link. The irreversible ones — an erasure, a rejection — ask first. While
 * a write and the re-read of the request after it are on their way, every action is disabled.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { GatewayError, graphql, inWords, newIdempotencyKey, signedInSubject, type Session } from '../api';
import { minute } from '../format';

export interface ActionableRequest {
  id: string;
  type: string;
  status: string;
  handler: string | null;
  actions: string[] | null;
}

/** The writes, by operation name (the audit event's too). */
const WRITES = {
  AssignPrivacyRequest: `mutation AssignPrivacyRequest($input: PrivacyRequestIdInput!) { assignPrivacyRequest(input: $input) { id status } }`,
  CompletePrivacyRequest: `mutation CompletePrivacyRequest($input: PrivacyRequestIdInput!) { completePrivacyRequest(input: $input) { id status } }`,
  RejectPrivacyRequest: `mutation RejectPrivacyRequest($input: RejectPrivacyRequestInput!) { rejectPrivacyRequest(input: $input) { id status } }`,
  CreatePrivacyExportLink: `mutation CreatePrivacyExportLink($input: PrivacyRequestIdInput!) { createPrivacyExportLink(input: $input) { url expiresAt } }`,
} as const;

/** Writes whose answer holds a secret the gateway never keeps: sent without a key (it would be refused). */
const UNKEYED: ReadonlySet<keyof typeof WRITES> = new Set(['CreatePrivacyExportLink']);

/** The gateway's longest rejection reason (RejectPrivacyRequestInput.reason). */
const REASON_MAX = 1000;

/** Refusals after which the request is shown again as it is now: it changed, or is gone. */
const STALE = (error: unknown) => error instanceof GatewayError && (error.details.reason === 'REQUEST_STATE' || error.code === 'NOT_FOUND');
/** Answers after which the write may not have been done or not: its retry keeps the key. */
const UNANSWERED = (error: unknown) => !(error instanceof GatewayError) || ['SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR', 'BAD_RESPONSE'].includes(error.code);

type Stage = { kind: 'erase' } | { kind: 'reason' } | { kind: 'reject'; reason: string };

export function RequestActions({
  session,
  request,
  customerName,
  onChanged,
  onUnauthenticated,
}: {
  session: Session;
  request: ActionableRequest;
  customerName: string | null;
  /** Reads the request (and the queue) again, then says `said` (if any) once the page shows it. */
  onChanged: (said?: string) => Promise<void>;
  onUnauthenticated: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [stage, setStage] = useState<Stage | undefined>();
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [link, setLink] = useState<{ url: string; expiresAt: string } | undefined>();
  /** The write last sent and its key, kept while its answer is unknown. */
  const attempt = useRef<{ signature: string; key: string } | undefined>();
  /** Set at once, before the page draws the buttons disabled: a second click in between sends nothing. */
  const inFlight = useRef(false);
  const confirmHeading = useRef<HTMLHeadingElement>(null);
  const reasonField = useRef<HTMLTextAreaElement>(null);
  const linkField = useRef<HTMLInputElement>(null);

  // A confirmation, the reason form and a new link take the focus, so the keyboard is where the eye is.
  // The whole step is scrolled into view, its buttons too, not only the part that has the focus.
  useEffect(() => {
    const step = stage?.kind === 'reason' ? reasonField.current : stage ? confirmHeading.current : null;
    step?.focus({ preventScroll: true });
    step?.closest('.confirm')?.scrollIntoView({ block: 'nearest' });
  }, [stage?.kind]);
  useEffect(() => linkField.current?.select(), [link]);

  const send = async <T,>(operationName: keyof typeof WRITES, variables: Record<string, unknown>, said: (data: T) => string) => {
    if (inFlight.current) return;
    inFlight.current = true;
    const signature = JSON.stringify([operationName, variables]);
    const key = UNKEYED.has(operationName) ? undefined : attempt.current?.signature === signature ? attempt.current.key : newIdempotencyKey();
    attempt.current = key === undefined ? undefined : { signature, key };
    setBusy(true);
    setProblem(undefined);
    try {
      let data: T;
      try {
        data = await graphql<T>(session, operationName, WRITES[operationName], variables, { purpose: 'data_subject_request', privacyRequest: request.id }, key);
      } catch (error) {
        if (!UNANSWERED(error)) attempt.current = undefined;
        if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') return onUnauthenticated();
        setProblem(inWords(error));
        if (STALE(error)) {
          setStage(undefined);
          await onChanged().catch(() => undefined);
        }
        return;
      }
      attempt.current = undefined;
      setStage(undefined);
      setReason('');
      // Done: a failure now is only of the read that shows it.
      await onChanged(said(data)).catch((error: unknown) => setProblem(`Done, but the request could not be read again: ${inWords(error)}`));
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  const input = { requestId: request.id };
  const assign = () => send('AssignPrivacyRequest', { input }, () => `You took request ${request.id}: it is in progress, with you as its handler.`);
  const complete = () => send('CompletePrivacyRequest', { input }, () => `Request ${request.id} is carried out and completed.`);
  const reject = (why: string) => send('RejectPrivacyRequest', { input: { ...input, reason: why } }, () => `Request ${request.id} is rejected; the customer will read the reason.`);
  const createLink = () =>
    send<{ createPrivacyExportLink: { url: string; expiresAt: string } }>('CreatePrivacyExportLink', { input }, ({ createPrivacyExportLink: made }) => {
      setLink(made);
      return `A download link was made; it works once, until ${minute(made.expiresAt)}.`;
    });

  const asked = () => {
    const why = reason.trim();
    if (!why) {
      setProblem('Write the reason the customer will read: a rejection needs one.');
      reasonField.current?.focus();
      return;
    }
    setProblem(undefined);
    setStage({ kind: 'reject', reason: why });
  };
  const cancel = () => {
    setStage(undefined);
    setProblem(undefined);
  };
  const onEscape = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !busy) cancel();
  };

  const mine = request.handler !== null && request.handler === signedInSubject(session);
  const actions = (request.actions ?? []).filter((a) => !(a === 'ASSIGN' && mine && request.status === 'IN_PROGRESS'));
  const erasure = request.type === 'ERASURE';
  const whose = customerName ? `${customerName}'s` : "the customer's";

  return (
    <div class="request-actions">
      <h3 id={`actions-${request.id}`}>What you can do</h3>
      {problem && <p class="problem" role="alert">{problem}</p>}
      {actions.length === 0 ? (
        <p class="sub">The gateway lists nothing you may do to this request now.</p>
      ) : (
        !stage && (
          <div class="actions" role="group" aria-labelledby={`actions-${request.id}`}>
            {actions.includes('ASSIGN') && (
              <button type="button" disabled={busy} onClick={() => void assign()}>
                {request.status === 'IN_PROGRESS' ? `Take it over${request.handler ? ` (handled by ${request.handler})` : ''}` : 'Take this request'}
              </button>
            )}
            {actions.includes('COMPLETE') &&
              (erasure ? (
                <button type="button" disabled={busy} onClick={() => setStage({ kind: 'erase' })}>Erase the customer's data…</button>
              ) : (
                <button type="button" disabled={busy} onClick={() => void complete()}>Carry out and complete</button>
              ))}
            {actions.includes('CREATE_EXPORT_LINK') && (
              <button type="button" disabled={busy} onClick={() => void createLink()}>Make a download link for the customer</button>
            )}
            {actions.includes('REJECT') && (
              <button type="button" class="secondary" disabled={busy} onClick={() => setStage({ kind: 'reason' })}>Reject…</button>
            )}
          </div>
        )
      )}

      {stage?.kind === 'reason' && (
        <form
          class="confirm"
          aria-labelledby={`reject-${request.id}`}
          onKeyDown={onEscape}
          onSubmit={(e) => {
            e.preventDefault();
            asked();
          }}
        >
          <h4 id={`reject-${request.id}`}>Reject request {request.id}</h4>
          <label for="reject-reason">Reason the customer will read</label>
          <textarea
            id="reject-reason"
            ref={reasonField}
            rows={3}
            maxLength={REASON_MAX}
            required
            aria-describedby="reject-reason-help"
            value={reason}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
          />
          <p id="reject-reason-help" class="sub">Required, at most {REASON_MAX} characters. It is recorded with the request and sent to the customer as written.</p>
          <div class="actions">
            <button type="submit" disabled={busy}>Continue</button>
            <button type="button" class="secondary" disabled={busy} onClick={cancel}>Cancel</button>
          </div>
        </form>
      )}

      {(stage?.kind === 'erase' || stage?.kind === 'reject') && (
        <div class="confirm" role="group" aria-labelledby={`confirm-${request.id}`} onKeyDown={onEscape}>
          <h4 id={`confirm-${request.id}`} tabIndex={-1} ref={confirmHeading}>
            {stage.kind === 'erase' ? `Erase ${whose} personal data?` : `Reject request ${request.id}?`}
          </h4>
          {stage.kind === 'erase' ? (
            <p>
              The erasure runs at once, all or nothing: everything retention or a legal hold does not require is erased, and what must be kept is restricted to
              legal_compliance. <strong>It cannot be undone.</strong>
            </p>
          ) : (
            <>
              <p>The customer will read:</p>
              <blockquote>{stage.reason}</blockquote>
              <p><strong>A rejected request cannot be reopened.</strong></p>
            </>
          )}
          <div class="actions">
            <button type="button" class="danger" disabled={busy} onClick={() => void (stage.kind === 'erase' ? complete() : reject(stage.reason))}>
              {busy ? 'Working…' : stage.kind === 'erase' ? 'Erase now' : 'Reject now'}
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={stage.kind === 'reject' ? () => setStage({ kind: 'reason' }) : cancel}>
              {stage.kind === 'reject' ? 'Back' : 'Cancel'}
            </button>
          </div>
        </div>
      )}

      {link && (
        <div class="confirm" role="group" aria-labelledby={`link-${request.id}`}>
          <h4 id={`link-${request.id}`}>Download link</h4>
          <label for="export-link">Link to send the customer</label>
          <input id="export-link" ref={linkField} readOnly value={link.url} spellcheck={false} aria-describedby="export-link-help" />
          <p id="export-link-help" class="sub">
            It downloads the export once, until <strong>{minute(link.expiresAt)}</strong>. This is the only time it is shown — the gateway keeps only a hash of
            it — so copy it now; a lost link is replaced by making a new one.
          </p>
          <div class="actions">
            <button type="button" class="secondary" onClick={() => setLink(undefined)}>Done: hide the link</button>
          </div>
        </div>
      )}
    </div>
  );
}
