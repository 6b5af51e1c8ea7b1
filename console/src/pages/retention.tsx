/**
 * Retention and holds: what the next retention run would do (retentionPreview, a dry run that
 * changes nothing), the legal holds in force, and placing or releasing one — a hold is placed
 * for the legal case the officer signed in under (X-Legal-Case). Every read and write here is
 * the gateway's own, audited and flagged with that case.
 */
import { useEffect, useState } from 'preact/hooks';
import { GatewayError, graphql, type Session } from '../api';

interface Counts {
  table: string;
  found: number;
  anonymized: number;
  deleted: number;
  held: number;
}
interface Preview {
  available: boolean;
  unavailableReason: string | null;
  asOf: string | null;
  ordersCompleted: number | null;
  tables: Counts[];
  auditMonthsPrepared: number | null;
  auditMonthsDropped: string[];
  auditMonthsHeld: string[];
  ms: number | null;
}
interface Hold {
  id: string;
  scope: 'CUSTOMER' | 'ORDER';
  reason: string;
  caseReference: string;
  placedBy: string;
  placedAt: string;
  customer: { id: string } | null;
  order: { id: string; orderNumber: string | null } | null;
}

const PREVIEW = `query RetentionPreview { retentionPreview { available unavailableReason asOf ordersCompleted tables { table found anonymized deleted held } auditMonthsPrepared auditMonthsDropped auditMonthsHeld ms } }`;
const HOLD = 'id scope reason caseReference placedBy placedAt customer { id } order { id orderNumber }';
const HOLDS = `query LegalHolds { legalHolds { ${HOLD} } }`;
const PLACE = `mutation PlaceLegalHold($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { ${HOLD} } }`;
const RELEASE = `mutation ReleaseLegalHold($input: ReleaseLegalHoldInput!) { releaseLegalHold(input: $input) { id releasedAt } }`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function RetentionPage({ session, onUnauthenticated }: { session: Session; onUnauthenticated: () => void }) {
  const [preview, setPreview] = useState<Preview | undefined>();
  const [previewing, setPreviewing] = useState(false);
  const [holds, setHolds] = useState<Hold[] | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [status, setStatus] = useState('');
  const [scope, setScope] = useState<'CUSTOMER' | 'ORDER'>('CUSTOMER');
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);

  const fail = (error: unknown) => {
    if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') return onUnauthenticated();
    setProblem(error instanceof GatewayError ? `${error.code}: ${error.message}` : `The gateway could not be reached: ${(error as Error).message}`);
  };
  const loadHolds = () => graphql<{ legalHolds: Hold[] }>(session, 'LegalHolds', HOLDS).then((d) => setHolds(d.legalHolds), fail);
  useEffect(() => void loadHolds(), []);

  const runPreview = async () => {
    setPreviewing(true);
    setProblem(undefined);
    try {
      setPreview((await graphql<{ retentionPreview: Preview }>(session, 'RetentionPreview', PREVIEW)).retentionPreview);
    } catch (error) {
      fail(error);
    } finally {
      setPreviewing(false);
    }
  };

  const place = async () => {
    setProblem(undefined);
    const id = target.trim();
    if (!UUID.test(id)) return setProblem(`Enter the ${scope === 'CUSTOMER' ? 'customer' : 'order'} id (a UUID).`);
    if (!reason.trim()) return setProblem('Say why the data must be kept: the reason is recorded with the hold.');
    setBusy(true);
    try {
      const input = { scope, reason: reason.trim(), ...(scope === 'CUSTOMER' ? { customerId: id } : { orderId: id }) };
      const { placeLegalHold: hold } = await graphql<{ placeLegalHold: Hold }>(session, 'PlaceLegalHold', PLACE, { input });
      setTarget('');
      setReason('');
      // Said once the list shows it, so what the status announces is on the page.
      await loadHolds();
      setStatus(`Hold placed on ${scope === 'CUSTOMER' ? 'customer' : 'order'} ${id} for case ${hold.caseReference}.`);
    } catch (error) {
      setStatus('');
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  const release = async (hold: Hold) => {
    setProblem(undefined);
    setBusy(true);
    try {
      await graphql(session, 'ReleaseLegalHold', RELEASE, { input: { holdId: hold.id } });
      await loadHolds();
      setStatus(`Hold ${hold.id} released.`);
    } catch (error) {
      setStatus('');
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {problem && <p class="problem" role="alert">{problem}</p>}
      <section class="card" aria-labelledby="next-run">
        <h2 id="next-run">The next retention run</h2>
        <p class="sub">A dry run: the job's statements in a transaction that is rolled back, so these are the numbers a real run would have now. Nothing changes; the dry run is recorded in the audit log.</p>
        <button type="button" disabled={previewing} onClick={() => void runPreview()}>
          {previewing ? 'Working it out…' : 'Show what the next run would do'}
        </button>
        {preview && !preview.available && <p role="status">{preview.unavailableReason}</p>}
        {preview?.available && (
          <>
            <p role="status">
              As of {preview.asOf}: {preview.ordersCompleted} orders would be completed; audit log months prepared: {preview.auditMonthsPrepared}, dropped:{' '}
              {preview.auditMonthsDropped.length ? preview.auditMonthsDropped.join(', ') : 'none'}, kept under a hold: {preview.auditMonthsHeld.length ? preview.auditMonthsHeld.join(', ') : 'none'}.
            </p>
            <div class="scroll" role="region" aria-label="Next run by table" tabIndex={0}>
              <table>
                <thead>
                  <tr><th scope="col">Table</th><th scope="col">Due</th><th scope="col">Anonymized</th><th scope="col">Deleted</th><th scope="col">Kept under a hold</th></tr>
                </thead>
                <tbody>
                  {preview.tables.map((t) => (
                    <tr key={t.table}>
                      <th scope="row">{t.table}</th><td>{t.found}</td><td>{t.anonymized}</td><td>{t.deleted}</td><td>{t.held}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>

      <section class="card" aria-labelledby="holds-in-force">
        <h2 id="holds-in-force">Holds in force</h2>
        {!holds && <p role="status">Loading…</p>}
        {holds && holds.length === 0 && <p>No legal hold is in force.</p>}
        {holds && holds.length > 0 && (
          <div class="scroll" role="region" aria-label="Legal holds" tabIndex={0}>
            <table>
              <thead>
                <tr><th scope="col">On</th><th scope="col">Case</th><th scope="col">Reason</th><th scope="col">Placed</th><th scope="col"><span class="sub">Action</span></th></tr>
              </thead>
              <tbody>
                {holds.map((h) => (
                  <tr key={h.id}>
                    <td>{h.scope === 'CUSTOMER' ? `customer ${h.customer?.id ?? '—'}` : `order ${h.order?.orderNumber ?? h.order?.id ?? '—'}`}</td>
                    <td>{h.caseReference}</td>
                    <td>{h.reason}</td>
                    <td>{h.placedAt} by {h.placedBy}</td>
                    <td>
                      <button type="button" class="secondary" disabled={busy} aria-label={`Release the hold on ${h.scope === 'CUSTOMER' ? 'customer' : 'order'} ${h.customer?.id ?? h.order?.orderNumber ?? h.order?.id ?? ''}`} onClick={() => void release(h)}>
                        Release
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <form
        class="card"
        aria-labelledby="place-hold"
        onSubmit={(e) => {
          e.preventDefault();
          void place();
        }}
      >
        <h2 id="place-hold">Place a hold</h2>
        <p class="sub">Freezes retention and erasure of the customer's or the order's data for case <strong>{session.legalCase}</strong> until released.</p>
        <div class="filters">
          <div>
            <label for="hold-scope">Hold on</label>
            <select id="hold-scope" value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value as 'CUSTOMER' | 'ORDER')}>
              <option value="CUSTOMER">a customer</option>
              <option value="ORDER">an order</option>
            </select>
          </div>
          <div>
            <label for="hold-target">{scope === 'CUSTOMER' ? 'Customer id' : 'Order id'}</label>
            <input id="hold-target" value={target} autoComplete="off" spellcheck={false} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
          </div>
          <div class="wide">
            <label for="hold-reason">Reason</label>
            <input id="hold-reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          </div>
          <div class="actions">
            <button type="submit" disabled={busy}>Place the hold</button>
          </div>
        </div>
        <p role="status" class="status">{status}</p>
      </form>
    </>
  );
}
