import { useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { ME } from './operations';
import { MyOrders } from './pages/MyOrders';
import { ProductDetail } from './pages/ProductDetail';
import { ProductList } from './pages/ProductList';
import { SignIn } from './pages/SignIn';
import { useRoute } from './routing';
import { currentSession, onSessionChange, type Session, setSession } from './session';

function useSession(): Session | null {
  const [session, update] = useState(currentSession);
  useEffect(() => onSessionChange(update), []);
  return session;
}

function Account({ session }: { session: Session }) {
  const { data } = useQuery(ME);
  return (
    <span data-testid="account">
      Signed in as {data?.me?.name ?? `user ${session.userId}`} ·{' '}
      <button type="button" className="link" onClick={() => setSession(null)}>
        Sign out
      </button>
    </span>
  );
}

export function App() {
  const route = useRoute();
  const session = useSession();
  const product = /^\/product\/(\d+)$/.exec(route.path);
  let page: React.ReactNode;
  if (route.path === '/sign-in') page = <SignIn reason={route.params.get('reason')} />;
  else if (route.path === '/orders') page = session ? <MyOrders /> : <SignIn reason={null} />;
  else if (product) page = <ProductDetail id={product[1]} session={session} />;
  else page = <ProductList after={route.params.get('after')} />;
  return (
    <>
      <header className="top">
        <a href="#/" className="brand">
          Supergraph store
        </a>
        <nav>
          <a href="#/orders">My orders</a> {session ? <Account session={session} /> : <a href="#/sign-in">Sign in</a>}
        </nav>
      </header>
      <main>{page}</main>
    </>
  );
}
