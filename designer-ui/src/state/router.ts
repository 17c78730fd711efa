// A small router over the History API for the designer's few screens (react-router would be
// most of a budget for five routes): /designer/ lists apps, /designer/apps/{app}/{tab}/{item}
// opens one in the editor.

import { create } from 'zustand';

export const BASE = '/designer/';

export type Route =
  | { page: 'apps' }
  | { page: 'editor'; app: string; tab?: string; item?: string };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : '';
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'apps' && parts[1]) return { page: 'editor', app: parts[1], tab: parts[2], item: parts[3] };
  return { page: 'apps' };
}

export function routePath(route: Route): string {
  if (route.page === 'apps') return BASE;
  return BASE + ['apps', route.app, route.tab, route.item].filter(Boolean).map((p) => encodeURIComponent(p!)).join('/');
}

interface RouterState {
  route: Route;
  navigate: (route: Route, replace?: boolean) => void;
}

export const useRouter = create<RouterState>((set) => ({
  route: parseRoute(window.location.pathname),
  navigate: (route, replace = false) => {
    const path = routePath(route);
    if (path !== window.location.pathname) {
      if (replace) window.history.replaceState(null, '', path);
      else window.history.pushState(null, '', path);
    }
    set({ route });
  },
}));

window.addEventListener('popstate', () => useRouter.setState({ route: parseRoute(window.location.pathname) }));
