import { composeServices } from '@apollo/composition';
import { GraphQLError, parse, print } from 'graphql';
import { RESERVED_ALIAS_PREFIX, ResponseKeyCollisions } from '../../router/gateway/ResponseKeyCollisions';

const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@external", "@requires", "@shareable"])`;
const composed = composeServices([
  {
    name: 'catalog',
    url: 'http://catalog',
    typeDefs: parse(`${link}
      type Query { products: [Product!]! search: [Result!]! }
      union Result = Product | Shelf
      type Shelf { id: ID! label: String! }
      type Product @key(fields: "id ref { shelf }") { id: ID! ref: Ref! name: String! comments(limit: Int): [String!]! }
      type Ref @shareable { shelf: String! zone: String! }`),
  },
  {
    name: 'reviews',
    url: 'http://reviews',
    typeDefs: parse(`${link}
      type Product @key(fields: "id ref { shelf }") {
        id: ID!
        ref: Ref!
        comments(limit: Int): [String!]! @external
        latest: String! @requires(fields: "comments(limit: 3)")
      }
      type Ref @shareable { shelf: String! zone: String! }`),
  },
]);
if (composed.errors || !composed.supergraphSdl) throw new Error(composed.errors?.map((error) => error.message).join('\n'));
const collisions = new ResponseKeyCollisions(parse(composed.supergraphSdl), composed.schema.toAPISchema().toGraphQLJSSchema());
const rename = (query: string) => collisions.rename(parse(query), query);

describe('selections whose response key the planner also uses', () => {
  it('leaves an operation without a collision alone (same document, same plan)', () => {
    expect(rename('{ products { id first: name ref { shelf } } search { ... on Shelf { id } } }')).toBeNull();
    expect(rename('{ products { latest c: comments(limit: 1) name: name } }')).toBeNull();
    // Named by a @requires with arguments, it is renamed even where the requiring field is not selected: harmless, and simpler.
    expect(rename('{ products { comments(limit: 1) } }')).not.toBeNull();
  });

  it('renames aliases named like a field of the type (nested keys and union members too) and fields a @requires takes other arguments of', () => {
    const renamed = rename(
      '{ products { id: name ref { shelf: zone } comments(limit: 1) latest } search { ... on Product { __typename: name } ...S } } fragment S on Shelf { label: id }',
    );
    expect(renamed && print(renamed.document)).toBe(
      print(
        parse(`{ products { ${RESERVED_ALIAS_PREFIX}id: name ref { ${RESERVED_ALIAS_PREFIX}shelf: zone } ${RESERVED_ALIAS_PREFIX}comments: comments(limit: 1) latest }
          search { ... on Product { ${RESERVED_ALIAS_PREFIX}__typename: name } ...S } } fragment S on Shelf { ${RESERVED_ALIAS_PREFIX}label: id }`),
      ),
    );
    expect(renamed?.queryHash).not.toBe('{ products { id: name } }');
  });

  it('gives the response the client’s keys back, in order, in data and in error paths', () => {
    const restored = ResponseKeyCollisions.restore({
      data: {
        products: [{ [`${RESERVED_ALIAS_PREFIX}id`]: 'Desk', latest: 'x', ref: { [`${RESERVED_ALIAS_PREFIX}shelf`]: 'north' } }, null],
      },
      errors: [
        new GraphQLError('boom', { path: ['products', 1, `${RESERVED_ALIAS_PREFIX}comments`], extensions: { code: 'X' } }),
        new GraphQLError('other', { path: ['products', 0, 'latest'] }),
      ],
    });
    expect(restored.data).toEqual({ products: [{ id: 'Desk', latest: 'x', ref: { shelf: 'north' } }, null] });
    expect(Object.keys((restored.data as any).products[0])).toEqual(['id', 'latest', 'ref']);
    expect(restored.errors?.map((error) => [error.message, error.path, error.extensions])).toEqual([
      ['boom', ['products', 1, 'comments'], { code: 'X' }],
      ['other', ['products', 0, 'latest'], {}],
    ]);
    expect(restored.errors?.[0]).toBeInstanceOf(GraphQLError);
  });

  it('restores keys named like Object.prototype members as ordinary keys (`__proto__` included), inheriting none', () => {
    const restored = ResponseKeyCollisions.restore({
      data: JSON.parse(`{"shelf": {"${RESERVED_ALIAS_PREFIX}id": "1", "__proto__": "north", "constructor": "oak"}, "other": {"id": "2"}}`),
    });
    expect(JSON.stringify(restored.data)).toBe('{"shelf":{"id":"1","__proto__":"north","constructor":"oak"},"other":{"id":"2"}}');
    const other = (restored.data as Record<string, Record<string, unknown>>).other;
    for (const name of ['constructor', 'toString', '__proto__']) expect(other[name]).toBeUndefined();
  });
});
