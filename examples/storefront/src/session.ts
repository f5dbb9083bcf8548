/**
 * The signed-in customer, kept in this tab only (sessionStorage): a development token from the storefront's
 * server, which signs it only in development. A real deployment gets tokens from its identity provider.
 */
export interface Session {
  userId: string;
  token: string;
}

const KEY = 'storefront.session';
type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

export function currentSession(): Session | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return stored && typeof stored.token === 'string' && typeof stored.userId === 'string' ? stored : null;
  } catch {
    return null;
  }
}

export function setSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(session);
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Asks the storefront's development server for a token of `userId` (refused outside development). */
export async function signInAsDevelopmentUser(userId: string): Promise<Session> {
  const response = await fetch('/dev/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!response.ok || !body.token) throw new Error(body.error ?? `Sign-in failed (${response.status}).`);
  const session = { userId, token: body.token };
  setSession(session);
  return session;
}
