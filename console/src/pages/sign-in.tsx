import { useState } from 'preact/hooks';
import { devSignIn, type Session } from '../api';

/** A legal case reference as the gateway accepts it (audit/served-request.ts): 1 to 100 printable ASCII characters. */
const CASE_REFERENCE = /^[\x21-\x7e](?:[\x20-\x7e]{0,98}[\x21-\x7e])?$/;

export function SignInPage({ onSignIn }: { onSignIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [legalCase, setLegalCase] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const finish = (withToken: string) => {
    if (!CASE_REFERENCE.test(legalCase)) {
      setProblem('Enter the legal case you are working on (1 to 100 printable characters, e.g. LC-2026-014): every read is recorded against it.');
      return;
    }
    onSignIn({ token: withToken.trim(), legalCase });
  };

  return (
    <form
      class="card narrow"
      onSubmit={(e) => {
        e.preventDefault();
        if (!token.trim()) setProblem('Paste a bearer token issued to you as a compliance officer.');
        else finish(token);
      }}
    >
      <p>
        The console reads the gateway as you, a compliance officer, under the purpose <code>legal_compliance</code>. Every page you open is recorded in the
        audit log, flagged with the legal case below — except the Requests page, which works under <code>data_subject_request</code> and names the
        request you open.
      </p>
      <label for="legal-case">Legal case reference</label>
      <input id="legal-case" name="legal-case" required autoComplete="off" value={legalCase} onInput={(e) => setLegalCase(e.currentTarget.value)} />
      <label for="token">Bearer token</label>
      <textarea id="token" name="token" rows={3} autoComplete="off" spellcheck={false} value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit">Sign in</button>
        <button
          type="button"
          class="secondary"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setProblem(undefined);
            try {
              finish(await devSignIn());
            } catch (error) {
              setProblem((error as Error).message);
            } finally {
              setBusy(false);
            }
          }}
        >
          Development: sign in as the demo compliance officer
        </button>
      </div>
    </form>
  );
}
