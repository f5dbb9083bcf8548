import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { BadUserInput, connectionFrom, declareChanged, declareChangedInPlace, money, pageSize, parseId, readWith } from '../../shared';
import { adjustStock, type CreateProductInput, createProduct, type UpdateProductInput, updateProduct } from './catalog';
import { Category as CategoryEntity } from './entities/Category';
import { Product } from './entities/Product';
import type { ProductContext } from './server';

/** Largest page of products; a larger `first` is refused. */
export const MAX_PRODUCTS_PAGE = 100;
const PAGE = { first: 20, maximum: MAX_PRODUCTS_PAGE };

interface ProductsArgs {
  first?: number | null;
  after?: string | null;
  filter?: { categoryId?: string | null; search?: string | null } | null;
}

export const resolvers: GraphQLResolverMap<ProductContext> = {
  Query: {
    product: (_parent, args: { id: string }, context) => {
      const id = parseId(args.id);
      return id === null ? null : context.loaders.productById.load(id);
    },
    products: async (_parent, args: ProductsArgs, context) => {
      const page = pageSize('product', args, PAGE);
      const { categoryId, search } = args.filter ?? {};
      const term = search?.trim().toLowerCase();
      if (term !== undefined && (term.length === 0 || term.length > 100)) {
        throw new BadUserInput('filter.search must be 1 to 100 characters.', { field: 'search' });
      }
      // A read-only listing: a replica may answer it (the caller's own writes stay visible, see readWith).
      const rows = await readWith(context.dataSource, 'replica', (manager) => {
        const query = manager
          .getRepository(Product)
          .createQueryBuilder('product')
          .orderBy('product.id', 'ASC')
          .limit(page.first + 1);
        if (page.afterId !== null) query.andWhere('product.id > :afterId', { afterId: page.afterId });
        if (categoryId !== undefined && categoryId !== null) {
          // An id that cannot exist matches nothing, like any other unknown category.
          query.andWhere('product.categoryId = :categoryId', { categoryId: parseId(categoryId) ?? 0 });
        }
        // INSTR on text lower-cased when written: the same case-insensitive substring match on MySQL and SQLite.
        if (term !== undefined) query.andWhere('INSTR(product.searchText, :term) > 0', { term });
        return query.getMany();
      });
      return connectionFrom('product', rows, page);
    },
    categories: (_parent, _args, context) =>
      readWith(context.dataSource, 'replica', (manager) => manager.getRepository(CategoryEntity).find({ order: { name: 'ASC' } })),
  },
  // Each write declares the product it changed, by both its keys, for the router's entity cache: in place when no
  // list can gain or lose it (lists filter on category, name and SKU, and order by id), else with every list.
  Mutation: {
    createProduct: async (_parent, args: { input: CreateProductInput }, context) =>
      declaredProduct(await createProduct(context.dataSource, args.input), false),
    updateProduct: async (_parent, args: { id: string; input: UpdateProductInput }, context) =>
      declaredProduct(
        await updateProduct(context.dataSource, args.id, args.input),
        args.input.name == null && args.input.categoryId == null,
      ),
    adjustStock: async (_parent, args: { productId: string; delta: number }, context) =>
      declaredProduct(await adjustStock(context.dataSource, args.productId, args.delta), true),
  },
  Product: {
    __resolveReference: (reference: { id?: string; sku?: string }, context: ProductContext) => {
      if (reference.id !== undefined) {
        const id = parseId(reference.id);
        return id === null ? null : context.loaders.productById.load(id);
      }
      return reference.sku === undefined ? null : context.loaders.productBySku.load(reference.sku);
    },
    id: (product: Product) => String(product.id),
    price: (product: Product) => money(product.priceCents, product.currency),
    inStock: (product: Product) => product.stock > 0,
    category: (product: Product, _args, context) => context.loaders.categoryById.load(product.categoryId),
  },
  Category: {
    __resolveReference: (reference: { id: string }, context: ProductContext) => {
      const id = parseId(reference.id);
      return id === null ? null : context.loaders.categoryById.load(id);
    },
    id: (category: CategoryEntity) => String(category.id),
    products: async (category: CategoryEntity, args: { first?: number; after?: string }, context) => {
      const page = pageSize('product', args, PAGE);
      return connectionFrom('product', await context.loaders.productsByCategory.load({ parentId: category.id, page }), page);
    },
  },
};

/**
 * Declares `product` changed, and returns it: by its id and its SKU (the entity cache keys entities by either); or,
 * when the change cannot move it into or out of any list, in place by its id alone (an in-place change also drops
 * every entry holding a product without the key it names, so one key, the one reads select, keeps the most).
 */
function declaredProduct<T extends { id: number | string; sku: string }>(product: T, inPlace: boolean): T {
  if (inPlace) declareChangedInPlace('Product', { id: String(product.id) });
  else declareChanged('Product', { id: String(product.id) }, { sku: product.sku });
  return product;
}
