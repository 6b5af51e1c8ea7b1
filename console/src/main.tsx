/**
 * The compliance console: a few pages over the gateway's own GraphQL API (api.ts), routed by
 * the URL's fragment so that the gateway serves one page for every path.
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { loadSession, saveSession, type Session } from './api';
import { AuditIntegrityPage } from './pages/audit-integrity';
import { RequestsPage } from './pages/requests';
import { RetentionPage } from './pages/retention';
import { SignInPage } from './pages/sign-in';
import { WhoSawPage } from './pages/who-saw';
import { WhoSeesWhatPage } from './pages/who-sees-what';
import './styles.css';

const PAGES = [
  { route: 'who-sees-what', title: 'Who sees what' },
  { route: 'who-saw', title: "Who saw a customer's data" },
  { route: 'requests', title: 'Requests' },
  { route: 'retention', title: 'Retention and holds' },
  { route: 'audit-integrity', title: 'Audit integrity' },
] as const;
type Route = (typeof PAGES)[number]['route'];

function currentRoute(): { route: Route; params: URLSearchParams } {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const found = PAGES.find((p) => p.route === path);
  return { route: found ? found.route : 'who-sees-what', params: new URLSearchParams(query ?? '') };
}

function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [{ route, params }, setRoute] = useState(currentRoute);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  // Keyboard and screen-reader users land on the new page's heading, not at the top of the old one.
  useEffect(() => heading.current?.focus(), [route, session !== undefined]);

  const signIn = (next: Session | undefined) => {
    saveSession(next);
    setSession(next);
  };
  const page = PAGES.find((p) => p.route === route)!;
  useEffect(() => {
    document.title = `${session ? page.title : 'Sign in'} · need-to-know compliance console`;
  }, [page, session]);

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="bar">
        <span class="brand">need-to-know · compliance console</span>
        {session && (
          <nav aria-label="Pages">
            <ul>
              {PAGES.map((p) => (
                <li key={p.route}>
                  <a href={`#/${p.route}`} aria-current={p.route === route ? 'page' : undefined}>
                    {p.title}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {session && (
          <div class="who">
            <span>
              Case <strong>{session.legalCase}</strong>
            </span>
            <button type="button" onClick={() => signIn(undefined)}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main">
        <h1 tabIndex={-1} ref={heading}>
          {session ? page.title : 'Sign in'}
        </h1>
        {!session && <SignInPage onSignIn={signIn} />}
        {session && route === 'who-sees-what' && <WhoSeesWhatPage session={session} onUnauthenticated={() => signIn(undefined)} />}
        {session && route === 'who-saw' && <WhoSawPage session={session} initialCustomer={params.get('customer') ?? ''} onUnauthenticated={() => signIn(undefined)} />}
        {session && route === 'requests' && <RequestsPage session={session} onUnauthenticated={() => signIn(undefined)} />}
        {session && route === 'retention' && <RetentionPage session={session} onUnauthenticated={() => signIn(undefined)} />}
        {session && route === 'audit-integrity' && <AuditIntegrityPage session={session} onUnauthenticated={() => signIn(undefined)} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
