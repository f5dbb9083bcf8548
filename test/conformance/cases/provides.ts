import { byId, type ConformanceCase, federation, type SubgraphDefinition } from '../harness';

const accounts = [
  { id: 'u1', name: 'Ada', address: { city: 'London', country: 'UK' } },
  { id: 'u2', name: 'Grace', address: { city: 'New York', country: 'US' } },
];
const reviews = [
  { id: 'r1', body: 'Sturdy', authorId: 'u1' },
  { id: 'r2', body: 'Wobbly', authorId: 'u2' },
];

/** `@provides` of a nested selection: what it provides is answered by the providing subgraph alone. */
const providesNested: ConformanceCase = {
  name: '@provides nested',
  covers: ['@provides nested', '@external'],
  subgraphs: [
    {
      name: 'accounts',
      typeDefs: `${federation(['@key', '@shareable'])}
        type User @key(fields: "id") { id: ID! name: String! @shareable address: Address! @shareable }
        type Address @shareable { city: String! country: String! }`,
      resolvers: { User: { __resolveReference: (ref: any) => byId(accounts, ref.id) } },
    },
    {
      name: 'reviews',
      typeDefs: `${federation(['@key', '@shareable', '@external', '@provides'])}
        type Query { reviews: [Review!]! }
        type Review { id: ID! body: String! author: User! @provides(fields: "name address { city }") }
        type User @key(fields: "id") { id: ID! name: String! @external address: Address! @external }
        type Address { city: String! @external }`,
      resolvers: {
        Query: {
          reviews: () =>
            reviews.map((review) => {
              const author = byId(accounts, review.authorId);
              return { ...review, author: { id: author?.id, name: author?.name, address: { city: author?.address.city } } };
            }),
        },
      },
    },
  ],
  operations: [
    {
      name: 'only provided fields',
      query: '{ reviews { body author { name address { city } } } }',
      expected: {
        data: {
          reviews: [
            { body: 'Sturdy', author: { name: 'Ada', address: { city: 'London' } } },
            { body: 'Wobbly', author: { name: 'Grace', address: { city: 'New York' } } },
          ],
        },
      },
    },
    {
      name: 'a field that is not provided',
      query: '{ reviews { author { name address { country } } } }',
      expected: {
        data: {
          reviews: [{ author: { name: 'Ada', address: { country: 'UK' } } }, { author: { name: 'Grace', address: { country: 'US' } } }],
        },
      },
    },
  ],
};

const media = [
  { __typename: 'Book', id: 'b1', title: 'Dune', pages: 412 },
  { __typename: 'Movie', id: 'm1', title: 'Alien', minutes: 117 },
];
const mediaSubgraph: SubgraphDefinition = {
  name: 'media',
  typeDefs: `${federation(['@key', '@shareable'])}
    type Book @key(fields: "id") { id: ID! title: String! @shareable pages: Int! }
    type Movie @key(fields: "id") { id: ID! title: String! @shareable minutes: Int! }`,
  resolvers: {
    Book: { __resolveReference: (ref: any) => byId(media, ref.id) },
    Movie: { __resolveReference: (ref: any) => byId(media, ref.id) },
  },
};
const featured = () => media.map(({ __typename, id, title }) => ({ __typename, id, title }));

/** `@provides` on a field of an interface type, with a fragment per implementation. */
const providesOnInterface: ConformanceCase = {
  name: '@provides on an interface',
  covers: ['@provides on interfaces'],
  subgraphs: [
    mediaSubgraph,
    {
      name: 'shelf',
      typeDefs: `${federation(['@key', '@external', '@provides'])}
        type Query { featured: [Media!]! @provides(fields: "... on Book { title } ... on Movie { title }") }
        interface Media { id: ID! }
        type Book implements Media @key(fields: "id") { id: ID! title: String! @external }
        type Movie implements Media @key(fields: "id") { id: ID! title: String! @external }`,
      resolvers: { Query: { featured }, Media: { __resolveType: (value: any) => value.__typename } },
    },
  ],
  operations: [
    {
      name: 'provided fields per implementation',
      query: '{ featured { id ... on Book { title } ... on Movie { title } } }',
      expected: {
        data: {
          featured: [
            { id: 'b1', title: 'Dune' },
            { id: 'm1', title: 'Alien' },
          ],
        },
      },
    },
    {
      name: 'a provided and an owned field',
      query: '{ featured { __typename ... on Book { title pages } ... on Movie { minutes } } }',
      expected: {
        data: {
          featured: [
            { __typename: 'Book', title: 'Dune', pages: 412 },
            { __typename: 'Movie', minutes: 117 },
          ],
        },
      },
    },
  ],
};

/** `@provides` on a field of a union type. */
const providesOnUnion: ConformanceCase = {
  name: '@provides on a union',
  covers: ['@provides on unions'],
  subgraphs: [
    mediaSubgraph,
    {
      name: 'shelf',
      typeDefs: `${federation(['@key', '@external', '@provides'])}
        type Query { featured: [Media!]! @provides(fields: "... on Book { title } ... on Movie { title }") }
        union Media = Book | Movie
        type Book @key(fields: "id") { id: ID! title: String! @external }
        type Movie @key(fields: "id") { id: ID! title: String! @external }`,
      resolvers: { Query: { featured }, Media: { __resolveType: (value: any) => value.__typename } },
    },
  ],
  operations: [
    {
      name: 'provided fields per member',
      query: '{ featured { ... on Book { id title } ... on Movie { title } } }',
      expected: { data: { featured: [{ id: 'b1', title: 'Dune' }, { title: 'Alien' }] } },
    },
    {
      name: 'a provided and an owned field',
      query: '{ featured { __typename ... on Book { pages } ... on Movie { title minutes } } }',
      expected: {
        data: {
          featured: [
            { __typename: 'Book', pages: 412 },
            { __typename: 'Movie', title: 'Alien', minutes: 117 },
          ],
        },
      },
    },
  ],
};

const authors = [
  { id: 'a1', name: 'Ursula' },
  { id: 'a2', name: 'Iain' },
];
const books = [
  { id: 'b1', title: 'The Dispossessed', authorId: 'a1' },
  { id: 'b2', title: 'Excession', authorId: 'a2' },
];

/** Federation 2's `extend type` with an `@external` key field, as subgraphs migrated from Fed 1 write it. */
const extendTypeExternal: ConformanceCase = {
  name: 'extend type with @external key',
  covers: ['@external key field', 'extend type (Fed 2)'],
  subgraphs: [
    {
      name: 'people',
      typeDefs: `${federation(['@key'])}
        type Query { authors: [Author!]! }
        type Author @key(fields: "id") { id: ID! name: String! }`,
      resolvers: { Query: { authors: () => authors }, Author: { __resolveReference: (ref: any) => byId(authors, ref.id) } },
    },
    {
      name: 'library',
      typeDefs: `${federation(['@key', '@external'])}
        type Query { books: [Book!]! }
        type Book { id: ID! title: String! author: Author! }
        extend type Author @key(fields: "id") { id: ID! @external books: [Book!]! }`,
      resolvers: {
        Query: { books: () => books.map((book) => ({ ...book, author: { id: book.authorId } })) },
        Author: {
          __resolveReference: (ref: any) => ({ id: ref.id }),
          books: (author: any) =>
            books.filter((book) => book.authorId === author.id).map((book) => ({ ...book, author: { id: book.authorId } })),
        },
      },
    },
  ],
  operations: [
    {
      name: 'both ways',
      query: '{ authors { name books { title author { name } } } }',
      expected: {
        data: {
          authors: [
            { name: 'Ursula', books: [{ title: 'The Dispossessed', author: { name: 'Ursula' } }] },
            { name: 'Iain', books: [{ title: 'Excession', author: { name: 'Iain' } }] },
          ],
        },
      },
    },
    {
      name: 'from the extending subgraph',
      query: '{ books { title author { id name } } }',
      expected: {
        data: {
          books: [
            { title: 'The Dispossessed', author: { id: 'a1', name: 'Ursula' } },
            { title: 'Excession', author: { id: 'a2', name: 'Iain' } },
          ],
        },
      },
    },
  ],
};

export const providesCases: ConformanceCase[] = [providesNested, providesOnInterface, providesOnUnion, extendTypeExternal];
