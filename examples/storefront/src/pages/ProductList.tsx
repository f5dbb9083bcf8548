import { useQuery } from '@apollo/client/react';
import { formatMoney } from '../format';
import { PRODUCT_LIST } from '../operations';
import { ProblemNotice } from '../Problem';

export const PAGE_SIZE = 20;

/** The catalog, 20 products a page, paged forward by cursor (`#/?after=<endCursor>`). */
export function ProductList({ after }: { after: string | null }) {
  const { data, error, loading, refetch } = useQuery(PRODUCT_LIST, { variables: { first: PAGE_SIZE, after } });
  if (error && !data) return <ProblemNotice error={error} retry={() => void refetch()} />;
  if (loading && !data) return <p>Loading products…</p>;
  const products = data?.products;
  if (!products) return null;
  return (
    <section>
      <h1>Products</h1>
      <ul className="grid" data-testid="product-grid">
        {products.edges.map(({ node }) => (
          <li key={node.id} className="card" data-testid="product-card">
            <a href={`#/product/${node.id}`}>
              <span className="name">{node.name}</span>
              <span className="price">{formatMoney(node.price)}</span>
              <span className={node.stock > 0 ? 'stock' : 'stock out'}>{node.stock > 0 ? `${node.stock} in stock` : 'Out of stock'}</span>
            </a>
          </li>
        ))}
      </ul>
      <nav className="pager">
        {after ? <a href="#/">← First page</a> : null}
        {products.pageInfo.hasNextPage && products.pageInfo.endCursor ? (
          <a href={`#/?after=${encodeURIComponent(products.pageInfo.endCursor)}`}>Next page →</a>
        ) : null}
      </nav>
    </section>
  );
}
