import { gql, type TypedDocumentNode } from '@apollo/client';

/** Money as the graph sends it: an exact decimal string and a currency, never a float. */
export interface Money {
  amount: string;
  currency: string;
}

export interface ProductCard {
  id: string;
  name: string;
  price: Money;
  stock: number;
}

export const PRODUCT_LIST: TypedDocumentNode<
  {
    products: {
      edges: { cursor: string; node: ProductCard }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  },
  { first: number; after?: string | null }
> = gql`
  query ProductList($first: Int!, $after: String) {
    products(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          name
          price {
            amount
            currency
          }
          stock
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

export const PRODUCT_DETAIL: TypedDocumentNode<
  { product: (ProductCard & { sku: string; description: string; category: { name: string } }) | null },
  { id: string }
> = gql`
  query ProductDetail($id: ID!) {
    product(id: $id) {
      id
      sku
      name
      description
      price {
        amount
        currency
      }
      stock
      category {
        name
      }
    }
  }
`;

/** Only the product's name: asked per order line, so that the product service being down costs only the names. */
export const PRODUCT_NAME: TypedDocumentNode<{ product: { id: string; name: string } | null }, { id: string }> = gql`
  query ProductName($id: ID!) {
    product(id: $id) {
      id
      name
    }
  }
`;

export interface OrderLine {
  id: string;
  quantity: number;
  lineTotal: Money;
  product: { id: string };
}

export interface OrderSummary {
  id: string;
  status: string;
  createdAt: string;
  total: Money;
  items: OrderLine[];
}

/**
 * The signed-in user's orders. Lines name their product by id only (the order service knows it), so this
 * query needs no product service: with it down, the orders still show.
 */
export const MY_ORDERS: TypedDocumentNode<
  { me: { id: string; name: string; orders: { edges: { node: OrderSummary }[]; pageInfo: { hasNextPage: boolean } } | null } | null },
  { first: number }
> = gql`
  query MyOrders($first: Int!) {
    me {
      id
      name
      orders(first: $first) {
        edges {
          node {
            id
            status
            createdAt
            total {
              amount
              currency
            }
            items {
              id
              quantity
              lineTotal {
                amount
                currency
              }
              product {
                id
              }
            }
          }
        }
        pageInfo {
          hasNextPage
        }
      }
    }
  }
`;

export const ME: TypedDocumentNode<{ me: { id: string; name: string } | null }, Record<string, never>> = gql`
  query Me {
    me {
      id
      name
    }
  }
`;

export const PLACE_ORDER: TypedDocumentNode<
  { placeOrder: { id: string; total: Money; items: { quantity: number }[] } },
  { input: { idempotencyKey: string; items: { productId: string; quantity: number }[] } }
> = gql`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      total {
        amount
        currency
      }
      items {
        quantity
      }
    }
  }
`;
