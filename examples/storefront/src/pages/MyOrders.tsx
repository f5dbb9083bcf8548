import { useQuery } from '@apollo/client/react';
import { formatMoney } from '../format';
import { MY_ORDERS, PRODUCT_NAME } from '../operations';
import { ProblemNotice } from '../Problem';

/**
 * A line's product name, asked on its own: when the product service is down only the names are missing,
 * shown as "unavailable", and the orders around them still show.
 */
function ProductName({ id }: { id: string }) {
  const { data, error, loading } = useQuery(PRODUCT_NAME, { variables: { id }, errorPolicy: 'all' });
  if (loading && !data) return <span className="muted">…</span>;
  if (data?.product) return <a href={`#/product/${id}`}>{data.product.name}</a>;
  return (
    <span className="unavailable" data-testid="product-unavailable">
      {error ? 'Product details unavailable right now' : 'Product no longer sold'} (#{id})
    </span>
  );
}

export function MyOrders() {
  const { data, error, loading, refetch } = useQuery(MY_ORDERS, {
    variables: { first: 10 },
    fetchPolicy: 'cache-and-network',
    errorPolicy: 'all',
  });
  if (error && !data?.me) return <ProblemNotice error={error} retry={() => void refetch()} />;
  if (loading && !data) return <p>Loading your orders…</p>;
  const me = data?.me;
  if (!me) return <p className="problem">Please sign in.</p>;
  const orders = me.orders?.edges.map((edge) => edge.node) ?? [];
  return (
    <section>
      <h1>My orders</h1>
      {error ? <ProblemNotice error={error} /> : null}
      {orders.length === 0 ? <p>No orders yet.</p> : null}
      <ol className="orders" data-testid="orders">
        {orders.map((order) => (
          <li key={order.id} className="order" data-testid="order">
            <header>
              <strong>Order {order.id}</strong> · {new Date(order.createdAt).toLocaleDateString('en-US')} · {order.status.toLowerCase()} ·{' '}
              {formatMoney(order.total)}
            </header>
            <ul>
              {order.items.map((line) => (
                <li key={line.id}>
                  {line.quantity} × <ProductName id={line.product.id} /> — {formatMoney(line.lineTotal)}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
      {me.orders?.pageInfo.hasNextPage ? <p className="muted">Showing your 10 latest orders.</p> : null}
    </section>
  );
}
