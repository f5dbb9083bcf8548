import { useApolloClient, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { describe, type Problem } from '../errors';
import { formatMoney } from '../format';
import { PLACE_ORDER, PRODUCT_DETAIL } from '../operations';
import { ProblemNotice } from '../Problem';
import type { Session } from '../session';

const MAX_ATTEMPTS = 5;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Checkout =
  | { state: 'idle' }
  | { state: 'placing'; note: string }
  | { state: 'placed'; orderId: string; total: string }
  | { state: 'failed'; problem: Problem };

export function ProductDetail({ id, session }: { id: string; session: Session | null }) {
  const client = useApolloClient();
  const { data, error, loading, refetch } = useQuery(PRODUCT_DETAIL, { variables: { id } });
  const [quantity, setQuantity] = useState(1);
  const [checkout, setCheckout] = useState<Checkout>({ state: 'idle' });

  /**
   * One press of Buy is one checkout: its idempotency key is made here, once, and every retry sends the same
   * key with the same items, so a retry after a dropped connection gets the order the first attempt placed
   * instead of placing a second one. Only failures that may not have reached the router are retried.
   */
  async function buy(): Promise<void> {
    const idempotencyKey = crypto.randomUUID();
    const input = { idempotencyKey, items: [{ productId: id, quantity }] };
    setCheckout({ state: 'placing', note: 'Placing your order…' });
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await client.mutate({ mutation: PLACE_ORDER, variables: { input } });
        const order = result.data!.placeOrder;
        setCheckout({ state: 'placed', orderId: order.id, total: formatMoney(order.total) });
        void refetch();
        return;
      } catch (failure) {
        const problem = describe(failure);
        if (attempt < MAX_ATTEMPTS && (problem.kind === 'network' || problem.kind === 'wait')) {
          const waitMs = problem.kind === 'wait' ? problem.seconds * 1000 : 250 * 2 ** (attempt - 1);
          setCheckout({ state: 'placing', note: 'The connection dropped: trying again (your order is placed only once)…' });
          await delay(waitMs);
          continue;
        }
        setCheckout({ state: 'failed', problem });
        return;
      }
    }
  }

  if (error && !data) return <ProblemNotice error={error} retry={() => void refetch()} />;
  if (loading && !data) return <p>Loading…</p>;
  const product = data?.product;
  if (!product)
    return (
      <p className="problem">
        There is no such product. <a href="#/">Back to the products</a>
      </p>
    );
  return (
    <article className="detail" data-testid="product-detail">
      <p>
        <a href="#/">← Products</a>
      </p>
      <h1>{product.name}</h1>
      <p className="price" data-testid="price">
        {formatMoney(product.price)}
      </p>
      <p className="stock" data-testid="stock">
        {product.stock > 0 ? `${product.stock} in stock` : 'Out of stock'}
      </p>
      <p>{product.description}</p>
      <p className="muted">
        {product.category.name} · SKU {product.sku}
      </p>
      {session ? (
        <form
          className="buy"
          onSubmit={(event) => {
            event.preventDefault();
            void buy();
          }}
        >
          <label>
            Quantity{' '}
            <input
              type="number"
              min={1}
              max={Math.max(1, product.stock)}
              value={quantity}
              onChange={(event) => setQuantity(Math.max(1, Number(event.target.value) || 1))}
            />
          </label>{' '}
          <button type="submit" disabled={checkout.state === 'placing' || product.stock === 0}>
            Buy
          </button>
        </form>
      ) : (
        <p>
          <a href="#/sign-in">Sign in</a> to buy.
        </p>
      )}
      {checkout.state === 'placing' ? <p data-testid="checkout-status">{checkout.note}</p> : null}
      {checkout.state === 'placed' ? (
        <p className="ok" data-testid="checkout-status">
          Order {checkout.orderId} placed ({checkout.total}). <a href="#/orders">See my orders</a>
        </p>
      ) : null}
      {checkout.state === 'failed' ? (
        <p className="problem" data-testid="checkout-status">
          {checkout.problem.message}
        </p>
      ) : null}
    </article>
  );
}
