import type { Category } from './Category';
import type { Product } from './Product';

/** Relation thunks, so that entity files can refer to each other without an import cycle at load time. */
export const ProductRelation = (): typeof Product => require('./Product').Product;
export const CategoryRelation = (): typeof Category => require('./Category').Category;
