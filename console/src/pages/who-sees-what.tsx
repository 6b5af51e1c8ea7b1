/**
 * Who sees what: the disclosure matrix the gateway enforces (the same decisions as
 * docs/disclosure-matrix.md), browsable by principal, purpose, category and field. It is read
 * through /graphql as the signed-in officer (Query.disclosureMatrix, JSON text): the matrix
 * gives it to compliance officers only, and the read is audited under the officer's legal case.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { GatewayError, graphql, inWords, type Session } from '../api';

interface FieldEntry {
  coordinate: string;
  category: string;
  outcome: 'visible' | 'masked' | 'denied' | 'withheld' | 'not_disclosed';
  text: string;
}
interface RowEntry {
  principal: string;
  purpose: string;
  why: string;
  records: string;
  writes: Array<{ name: string; target: string }>;
  serves?: { reference: string; required: boolean; unreferenced?: string[] };
  categories: Record<string, string>;
  fields: FieldEntry[];
}
interface Matrix {
  categories: string[];
  rows: RowEntry[];
}

const OUTCOME_WORDS: Record<FieldEntry['outcome'], string> = {
  visible: 'visible',
  masked: 'masked',
  denied: 'denied',
  withheld: 'withheld',
  not_disclosed: 'not disclosed',
};

const MATRIX = `query DisclosureMatrix { disclosureMatrix }`;

export function WhoSeesWhatPage({ session, onUnauthenticated }: { session: Session; onUnauthenticated: () => void }) {
  const [matrix, setMatrix] = useState<Matrix | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [principal, setPrincipal] = useState('');
  const [purpose, setPurpose] = useState('');
  const [category, setCategory] = useState('');
  const [field, setField] = useState('');

  useEffect(() => {
    graphql<{ disclosureMatrix: string | null }>(session, 'DisclosureMatrix', MATRIX).then(
      ({ disclosureMatrix }) => (disclosureMatrix === null ? setProblem('The gateway answered no disclosure matrix.') : setMatrix(JSON.parse(disclosureMatrix) as Matrix)),
      (error: unknown) => {
        if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') return onUnauthenticated();
        setProblem(`The disclosure matrix could not be loaded. ${inWords(error)}`);
      },
    );
  }, []);

  const principals = useMemo(() => [...new Set(matrix?.rows.map((r) => r.principal))], [matrix]);
  const purposes = useMemo(() => [...new Set(matrix?.rows.filter((r) => !principal || r.principal === principal).map((r) => r.purpose))], [matrix, principal]);
  const rows = (matrix?.rows ?? []).filter((r) => (!principal || r.principal === principal) && (!purpose || r.purpose === purpose));
  const categories = (matrix?.categories ?? []).filter((c) => !category || c === category);
  const needle = field.trim().toLowerCase();
  const fieldsOf = (row: RowEntry) =>
    row.fields.filter((f) => (!category || f.category === category) && (!needle || f.coordinate.toLowerCase().includes(needle)));

  if (problem) return <p class="problem" role="alert">{problem}</p>;
  if (!matrix) return <p role="status">Loading the disclosure matrix…</p>;
  return (
    <>
      <form class="filters" aria-label="Filter the matrix" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="principal">Principal</label>
          <select id="principal" value={principal} onChange={(e) => { setPrincipal(e.currentTarget.value); setPurpose(''); }}>
            <option value="">All</option>
            {principals.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </div>
        <div>
          <label for="purpose">Purpose</label>
          <select id="purpose" value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)}>
            <option value="">All</option>
            {purposes.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </div>
        <div>
          <label for="category">Category</label>
          <select id="category" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
            <option value="">All</option>
            {matrix.categories.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </div>
        <div>
          <label for="field">Field</label>
          <input id="field" type="search" placeholder="e.g. Customer.email" value={field} onInput={(e) => setField(e.currentTarget.value)} />
        </div>
      </form>

      <h2>Categories by principal and purpose</h2>
      <div class="scroll" tabIndex={0} role="region" aria-label="Categories by principal and purpose">
        <table>
          <caption>yes: visible · masked: masked · —: not disclosed</caption>
          <thead>
            <tr>
              <th scope="col">Principal</th>
              <th scope="col">Purpose</th>
              {categories.map((c) => <th scope="col" key={c}><code>{c}</code></th>)}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.principal}|${r.purpose}`}>
                <th scope="row">{r.principal}</th>
                <td>{r.purpose}</td>
                {categories.map((c) => <td key={c} class={`cell-${r.categories[c] === 'yes' ? 'visible' : r.categories[c] === '—' ? 'none' : 'masked'}`}>{r.categories[c]}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {!principal && !category && !needle && (
        <p>Choose a principal, a category or a field above to see what each field shows, row by row.</p>
      )}
      {(principal || category || needle) && rows.map((r) => {
        const fields = fieldsOf(r);
        return (
          <section key={`${r.principal}|${r.purpose}`} aria-labelledby={`row-${r.principal}-${r.purpose}`}>
            <h2 id={`row-${r.principal}-${r.purpose}`}>{r.principal} × {r.purpose}</h2>
            <p><strong>Why:</strong> {r.why}.</p>
            <p><strong>Records:</strong> {r.records}</p>
            <p><strong>Writes:</strong> {r.writes.length === 0 ? 'none; read-only.' : r.writes.map((w) => w.name).join(', ')}</p>
            {r.serves && <p><strong>Audit:</strong> every read is flagged with the {r.serves.reference.replace('_', ' ')} it serves{r.serves.required ? ' (required)' : ''}{r.serves.unreferenced ? `, except to read only ${r.serves.unreferenced.join(', ')}` : ''}.</p>}
            {fields.length === 0 ? (
              <p>No field matches the filters.</p>
            ) : (
              <div class="scroll" tabIndex={0} role="region" aria-label={`Fields for ${r.principal} × ${r.purpose}`}>
                <table class="fields">
                  <thead>
                    <tr><th scope="col">Field</th><th scope="col">Category</th><th scope="col">Outcome</th></tr>
                  </thead>
                  <tbody>
                    {fields.map((f) => (
                      <tr key={f.coordinate}>
                        <th scope="row"><code>{f.coordinate}</code></th>
                        <td><code>{f.category}</code></td>
                        <td><span class={`badge ${f.outcome}`}>{OUTCOME_WORDS[f.outcome]}</span> {f.text.replace(/^(visible|denied|withheld:|masked:|not disclosed:)\s*/, '')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        );
      })}
    </>
  );
}
