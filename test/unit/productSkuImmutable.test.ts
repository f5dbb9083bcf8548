import fs from 'node:fs';
import { buildASTSchema, isInputObjectType, parse } from 'graphql';
import { projectPath } from '../../shared';

// updateProduct declares the product it changed by id and by SKU for the router's entity cache
// (subgraphs/product/resolvers.ts). It declares only the SKU it returns, which is also the old one because no
// update can change a SKU. If a SKU ever becomes updatable, updateProduct must declare the old SKU too (read before
// the update), or entries cached under `Product.sku=<old>` outlive the change: this test is the reminder.
it('no product update can change a SKU, so updateProduct declaring the current SKU declares the old one', () => {
  const sdl = fs.readFileSync(projectPath('subgraphs', 'product', 'schema.graphql'), 'utf8');
  const schema = buildASTSchema(parse(sdl), { assumeValid: true, assumeValidSDL: true });
  const mutations = schema.getMutationType()?.getFields() ?? {};
  expect(Object.keys(mutations)).toEqual(expect.arrayContaining(['updateProduct']));
  for (const [name, field] of Object.entries(mutations)) {
    if (name === 'createProduct') continue;
    for (const argument of field.args) {
      expect(argument.name).not.toBe('sku');
      const type = schema.getType(String(argument.type).replace(/[[\]!]/g, ''));
      if (isInputObjectType(type)) expect(Object.keys(type.getFields())).not.toContain('sku');
    }
  }
});
