import { useEffect, useState } from 'react';
import { api, authGate } from './api';
import { LoginForm } from './components/LoginForm';
import { EmptyState } from './components/States';
import { ToastProvider } from './components/Toasts';
import { InvalidationProvider } from './invalidation';
import { PeoplePage } from './pages/PeoplePage';
import { PersonPage } from './pages/PersonPage';
import { UploadPage } from './pages/UploadPage';
import { Link, RouterProvider, useRouter } from './router';

export function App() {
  return (
    <RouterProvider>
      <ToastProvider>
        <InvalidationProvider>
          <Shell />
        </InvalidationProvider>
      </ToastProvider>
    </RouterProvider>
  );
}

function Shell() {
  const { route } = useRouter();
  const [needsLogin, setNeedsLogin] = useState(authGate.needsLogin);
  const [user, setUser] = useState<string | null>(null);
  // Bumped after a login: pages remount, so <img>s that got 401 before load again (the upload
  // page keeps its state; its requests resume by themselves).
  const [session, setSession] = useState(0);

  useEffect(
    () =>
      authGate.subscribe((needed) => {
        setNeedsLogin(needed);
        if (!needed) setSession((value) => value + 1);
      }),
    [],
  );
  useEffect(() => {
    // Without authentication configured there is no /auth/me (404): no user menu then.
    api.me().then(
      (me) => setUser(me.user.id),
      () => setUser(null),
    );
  }, [session]);

  useEffect(() => {
    const titles = { people: 'People', person: 'Person', upload: 'Upload', 'not-found': 'Not found' } as const;
    document.title = `${titles[route.page]} · Facecloud`;
  }, [route.page]);

  const logout = async () => {
    await api.logout().catch(() => undefined);
    setUser(null);
    window.location.reload();
  };

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand__mark" aria-hidden="true" />
          Facecloud
        </Link>
        <nav aria-label="Main">
          <Link to="/" className={`nav-link${route.page === 'people' || route.page === 'person' ? ' is-active' : ''}`} aria-current={route.page === 'people' ? 'page' : undefined}>
            People
          </Link>
          <Link to="/upload" className={`nav-link${route.page === 'upload' ? ' is-active' : ''}`} aria-current={route.page === 'upload' ? 'page' : undefined}>
            Upload
          </Link>
        </nav>
        <span className="spacer" />
        {user && (
          <span className="user">
            <span className="muted">{user}</span>
            <button type="button" className="button button--ghost button--small" onClick={logout}>
              Sign out
            </button>
          </span>
        )}
      </header>
      <main id="main" key={route.page === 'upload' ? 'upload' : session}>
        {route.page === 'people' && <PeoplePage />}
        {route.page === 'person' && <PersonPage personId={route.personId} />}
        {route.page === 'upload' && <UploadPage />}
        {route.page === 'not-found' && (
          <EmptyState title="Page not found">
            <Link to="/">Go to people</Link>
          </EmptyState>
        )}
      </main>
      {needsLogin && <LoginForm />}
    </>
  );
}
