/**
 * A minimal history router for the UI's three pages (react-router is not a dependency and
 * pathname matching is all that is needed). Paths are relative to Vite's base, /admin/.
 */
import { createContext, useContext, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

const base = import.meta.env.BASE_URL.replace(/\/$/, '');

export type Route =
  | { page: 'people' }
  | { page: 'person'; personId: string }
  | { page: 'upload' }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string): Route {
  const path = (pathname.startsWith(base) ? pathname.slice(base.length) : pathname).replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/people') return { page: 'people' };
  if (path === '/upload') return { page: 'upload' };
  const person = /^\/people\/([0-9a-fA-F-]{36})$/.exec(path);
  if (person) return { page: 'person', personId: person[1] };
  return { page: 'not-found', path };
}

export const href = (path: string) => `${base}${path}`;

interface RouterState {
  route: Route;
  search: URLSearchParams;
  navigate(path: string, options?: { replace?: boolean }): void;
}

const RouterContext = createContext<RouterState | null>(null);

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(() => ({ pathname: window.location.pathname, search: window.location.search }));
  useEffect(() => {
    const onPop = () => setLocation({ pathname: window.location.pathname, search: window.location.search });
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = (path: string, options?: { replace?: boolean }) => {
    const url = href(path);
    if (options?.replace) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
    setLocation({ pathname: window.location.pathname, search: window.location.search });
    if (!options?.replace) window.scrollTo(0, 0);
  };
  const state: RouterState = { route: parseRoute(location.pathname), search: new URLSearchParams(location.search), navigate };
  return <RouterContext.Provider value={state}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterState {
  const state = useContext(RouterContext);
  if (!state) throw new Error('useRouter outside RouterProvider');
  return state;
}

/** An <a> that navigates inside the app; modified clicks (new tab, ...) behave as links do. */
export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { navigate } = useRouter();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={href(to)} onClick={onClick}>
      {children}
    </a>
  );
}
