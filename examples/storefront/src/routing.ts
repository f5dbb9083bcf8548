import { useEffect, useState } from 'react';

/** Where the person is: `#/`, `#/product/7`, `#/orders`, `#/sign-in`, with query parameters after `?`. */
export interface Route {
  path: string;
  params: URLSearchParams;
}

function read(): Route {
  const [path, query = ''] = (window.location.hash.slice(1) || '/').split('?', 2);
  return { path, params: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(path: string, params: Record<string, string> = {}): void {
  const query = new URLSearchParams(params).toString();
  window.location.hash = `#${path}${query ? `?${query}` : ''}`;
}
