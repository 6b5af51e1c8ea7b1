/**
 * Audit integrity: the latest seal of the audit log, the last verification's result, and a
 * button that verifies the whole log now (the mutation verifyAuditLog, itself audited).
 */
import { useEffect, useState } from 'preact/hooks';
import { GatewayError, graphql, type Session } from '../api';

interface Verification {
  verifiedAt: string;
  verifiedBy: string;
  intact: boolean;
  events: number;
  seals: number;
  problemCount: number;
  firstProblem: string | null;
  headSealId: string | null;
  headHash: string | null;
  ms: number;
}
interface Integrity {
  latestSeal: { id: string; sealedAt: string; eventCount: number; merkleRoot: string; hash: string } | null;
  lastVerification: Verification | null;
}

const VERIFICATION = 'verifiedAt verifiedBy intact events seals problemCount firstProblem headSealId headHash ms';
const QUERY = `query AuditIntegrity { auditIntegrity { latestSeal { id sealedAt eventCount merkleRoot hash } lastVerification { ${VERIFICATION} } } }`;
const VERIFY = `mutation VerifyAuditLog { verifyAuditLog { ${VERIFICATION} } }`;

export function AuditIntegrityPage({ session, onUnauthenticated }: { session: Session; onUnauthenticated: () => void }) {
  const [integrity, setIntegrity] = useState<Integrity | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');

  const fail = (error: unknown) => {
    if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') return onUnauthenticated();
    setProblem(error instanceof GatewayError ? `${error.code}: ${error.message}` : `The gateway could not be reached: ${(error as Error).message}`);
  };
  const refresh = () => graphql<{ auditIntegrity: Integrity }>(session, 'AuditIntegrity', QUERY).then((d) => setIntegrity(d.auditIntegrity), fail);
  useEffect(() => void refresh(), []);

  const verify = async () => {
    setBusy(true);
    setProblem(undefined);
    setStatus('Verifying every event hash, Merkle root and seal link…');
    try {
      const { verifyAuditLog: result } = await graphql<{ verifyAuditLog: Verification }>(session, 'VerifyAuditLog', VERIFY);
      // The result shown is the one just returned; the newest seal is read again after it.
      setIntegrity((shown) => shown && { ...shown, lastVerification: result });
      setStatus(result.intact ? `Verified: intact (${result.events} events in ${result.seals} seals).` : `Verified: BROKEN — ${result.firstProblem}`);
      await refresh();
    } catch (error) {
      setStatus('');
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  const seal = integrity?.latestSeal;
  const last = integrity?.lastVerification;
  return (
    <>
      {problem && <p class="problem" role="alert">{problem}</p>}
      {!integrity && !problem && <p role="status">Loading…</p>}
      {integrity && (
        <div class="cards">
          <section class="card" aria-labelledby="latest-seal">
            <h2 id="latest-seal">Latest seal</h2>
            {seal ? (
              <dl>
                <dt>Seal</dt><dd>{seal.id}</dd>
                <dt>Sealed at</dt><dd>{seal.sealedAt}</dd>
                <dt>Events in it</dt><dd>{seal.eventCount}</dd>
                <dt>Merkle root</dt><dd><code class="hash">{seal.merkleRoot}</code></dd>
                <dt>Seal hash</dt><dd><code class="hash">{seal.hash}</code></dd>
              </dl>
            ) : (
              <p>The audit log is empty.</p>
            )}
            <p class="sub">Keep the seal number and hash outside the database: <code>audit verify --anchor SEAL:HASH</code> proves the log up to it was not rewritten.</p>
          </section>
          <section class="card" aria-labelledby="last-verification">
            <h2 id="last-verification">Last verification</h2>
            {last ? (
              <>
                <p class={last.intact ? 'verdict ok' : 'verdict broken'}>{last.intact ? 'Intact' : 'BROKEN'}</p>
                <dl>
                  <dt>Verified at</dt><dd>{last.verifiedAt}</dd>
                  <dt>By</dt><dd>{last.verifiedBy}</dd>
                  <dt>Read</dt><dd>{last.events} events in {last.seals} seals, {(last.ms / 1000).toFixed(2)} s</dd>
                  {!last.intact && <><dt>Problems</dt><dd>{last.problemCount}: {last.firstProblem}</dd></>}
                  {last.headSealId && <><dt>Head</dt><dd>seal {last.headSealId} <code class="hash">{last.headHash}</code></dd></>}
                </dl>
              </>
            ) : (
              <p>The log has not been verified from the console yet.</p>
            )}
            <button type="button" disabled={busy} onClick={() => void verify()}>Verify the audit log now</button>
            <p role="status" class="status">{status}</p>
          </section>
        </div>
      )}
    </>
  );
}
