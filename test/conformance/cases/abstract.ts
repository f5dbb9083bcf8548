import { byId, type ConformanceCase, federation, type SubgraphDefinition } from '../harness';

const library = [
  { __typename: 'Book', id: 'b1', title: 'Dune', pages: 412 },
  { __typename: 'Movie', id: 'm1', title: 'Alien' },
  { __typename: 'Song', id: 's1', title: 'Heroes' },
];
const typeOf = (value: { __typename: string }) => value.__typename;

/** A union whose members differ between the subgraphs that declare it. */
const unionSplit: ConformanceCase = {
  name: 'union split across subgraphs',
  covers: ['unions with other members per subgraph'],
  subgraphs: [
    {
      name: 'video',
      typeDefs: `${federation(['@key'])}
        type Query { search: [Result!]! }
        union Result = Book | Movie
        type Book @key(fields: "id") { id: ID! title: String! }
        type Movie @key(fields: "id") { id: ID! title: String! }`,
      resolvers: {
        Query: { search: () => library.filter((item) => item.__typename !== 'Song') },
        Result: { __resolveType: typeOf },
        Book: { __resolveReference: (ref: any) => byId(library, ref.id) },
        Movie: { __resolveReference: (ref: any) => byId(library, ref.id) },
      },
    },
    {
      name: 'audio',
      typeDefs: `${federation(['@key'])}
        type Query { recommended: [Result!]! }
        union Result = Book | Song
        type Book @key(fields: "id") { id: ID! pages: Int! }
        type Song @key(fields: "id") { id: ID! title: String! }`,
      resolvers: {
        Query: { recommended: () => library.filter((item) => item.__typename !== 'Movie') },
        Result: { __resolveType: typeOf },
        Book: { __resolveReference: (ref: any) => byId(library, ref.id) },
        Song: { __resolveReference: (ref: any) => byId(library, ref.id) },
      },
    },
  ],
  operations: [
    {
      name: 'members from the first subgraph, fields from both',
      query: '{ search { __typename ... on Book { title pages } ... on Movie { title } ... on Song { title } } }',
      expected: {
        data: {
          search: [
            { __typename: 'Book', title: 'Dune', pages: 412 },
            { __typename: 'Movie', title: 'Alien' },
          ],
        },
      },
    },
    {
      name: 'members from the second subgraph, fields from both',
      query: '{ recommended { __typename ... on Book { id title pages } ... on Song { title } ... on Movie { title } } }',
      expected: {
        data: {
          recommended: [
            { __typename: 'Book', id: 'b1', title: 'Dune', pages: 412 },
            { __typename: 'Song', title: 'Heroes' },
          ],
        },
      },
    },
  ],
};

const animals = [
  { __typename: 'Dog', id: 'd1', name: 'Rex', barks: true },
  { __typename: 'Cat', id: 'c1', name: 'Tom', lives: 9 },
  { __typename: 'Bird', id: 'k1', name: 'Kiwi', flies: false },
];

/** An interface with other implementations per subgraph, and an implementation's fields in two subgraphs. */
const interfaceSplit: ConformanceCase = {
  name: 'interface split across subgraphs',
  covers: ['interfaces with other implementations per subgraph'],
  subgraphs: [
    {
      name: 'pets',
      typeDefs: `${federation(['@key', '@shareable'])}
        type Query { pets: [Animal!]! }
        interface Animal { id: ID! name: String! }
        type Dog implements Animal @key(fields: "id") { id: ID! name: String! @shareable barks: Boolean! }
        type Cat implements Animal @key(fields: "id") { id: ID! name: String! lives: Int! }`,
      resolvers: {
        Query: { pets: () => animals.filter((animal) => animal.__typename !== 'Bird') },
        Animal: { __resolveType: typeOf },
        Dog: { __resolveReference: (ref: any) => byId(animals, ref.id) },
        Cat: { __resolveReference: (ref: any) => byId(animals, ref.id) },
      },
    },
    {
      name: 'zoo',
      typeDefs: `${federation(['@key', '@shareable'])}
        type Query { zoo: [Animal!]! }
        interface Animal { id: ID! name: String! }
        type Dog implements Animal @key(fields: "id") { id: ID! name: String! @shareable age: Int! }
        type Bird implements Animal @key(fields: "id") { id: ID! name: String! flies: Boolean! }`,
      resolvers: {
        Query: { zoo: () => animals.filter((animal) => animal.__typename !== 'Cat') },
        Animal: { __resolveType: typeOf },
        Dog: { __resolveReference: (ref: any) => byId(animals, ref.id), age: () => 4 },
        Bird: { __resolveReference: (ref: any) => byId(animals, ref.id) },
      },
    },
  ],
  operations: [
    {
      name: 'interface fields only',
      query: '{ pets { __typename id name } zoo { __typename name } }',
      expected: {
        data: {
          pets: [
            { __typename: 'Dog', id: 'd1', name: 'Rex' },
            { __typename: 'Cat', id: 'c1', name: 'Tom' },
          ],
          zoo: [
            { __typename: 'Dog', name: 'Rex' },
            { __typename: 'Bird', name: 'Kiwi' },
          ],
        },
      },
    },
    {
      name: 'implementation fields from the other subgraph',
      query: '{ pets { name ... on Dog { barks age } ... on Cat { lives } ... on Bird { flies } } }',
      expected: {
        data: {
          pets: [
            { name: 'Rex', barks: true, age: 4 },
            { name: 'Tom', lives: 9 },
          ],
        },
      },
    },
  ],
};

const media = [
  { __typename: 'Book', id: 'b1', title: 'Dune', author: 'Herbert' },
  { __typename: 'Movie', id: 'm1', title: 'Alien', director: 'Scott' },
];
const ratings: Record<string, number> = { b1: 5, m1: 4 };
const mediaSubgraph: SubgraphDefinition = {
  name: 'media',
  typeDefs: `${federation(['@key'])}
    type Query { media: [Media!]! }
    interface Media @key(fields: "id") { id: ID! title: String! }
    type Book implements Media @key(fields: "id") { id: ID! title: String! author: String! }
    type Movie implements Media @key(fields: "id") { id: ID! title: String! director: String! }`,
  resolvers: {
    Query: { media: () => media },
    Media: { __resolveReference: (ref: any) => byId(media, ref.id), __resolveType: typeOf },
    Book: { __resolveReference: (ref: any) => byId(media, ref.id) },
    Movie: { __resolveReference: (ref: any) => byId(media, ref.id) },
  },
};

/** `@interfaceObject`: a subgraph adds fields to every implementation of an entity interface it does not know. */
const interfaceObject: ConformanceCase = {
  name: '@interfaceObject',
  covers: ['@interfaceObject', '@key on an interface', '__typename through an interface object'],
  subgraphs: [
    mediaSubgraph,
    {
      name: 'ratings',
      typeDefs: `${federation(['@key', '@interfaceObject'])}
        type Query { topRated: [Media!]! }
        type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int! }`,
      resolvers: {
        Query: { topRated: () => [{ id: 'm1' }, { id: 'b1' }] },
        Media: { __resolveReference: (ref: any) => ({ id: ref.id }), rating: (item: any) => ratings[item.id] },
      },
    },
  ],
  operations: [
    {
      name: 'fields of both from the interface’s owner',
      query: '{ media { __typename title rating } }',
      expected: {
        data: {
          media: [
            { __typename: 'Book', title: 'Dune', rating: 5 },
            { __typename: 'Movie', title: 'Alien', rating: 4 },
          ],
        },
      },
    },
    {
      name: 'types and implementation fields from the interface object’s side',
      query: '{ topRated { __typename id rating ... on Book { author } ... on Movie { director } } }',
      expected: {
        data: {
          topRated: [
            { __typename: 'Movie', id: 'm1', rating: 4, director: 'Scott' },
            { __typename: 'Book', id: 'b1', rating: 5, author: 'Herbert' },
          ],
        },
      },
    },
    {
      name: 'an interface field of the other subgraph',
      query: '{ topRated { title } }',
      expected: { data: { topRated: [{ title: 'Alien' }, { title: 'Dune' }] } },
    },
  ],
};

const reviews = [
  { id: 'r1', text: 'Classic', mediaId: 'b1' },
  { id: 'r2', text: 'Scary', mediaId: 'm1' },
];

/** An interface object a subgraph only references (`resolvable: false`), and one with `@requires`. */
const interfaceObjectReferenced: ConformanceCase = {
  name: '@interfaceObject not resolvable, with @requires',
  covers: ['@interfaceObject resolvable: false', '@requires on an interface object'],
  subgraphs: [
    mediaSubgraph,
    {
      name: 'reviews',
      typeDefs: `${federation(['@key', '@interfaceObject'])}
        type Query { reviews: [Review!]! }
        type Review { id: ID! text: String! media: Media! }
        type Media @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }`,
      resolvers: { Query: { reviews: () => reviews.map((review) => ({ ...review, media: { id: review.mediaId } })) } },
    },
    {
      name: 'search',
      typeDefs: `${federation(['@key', '@interfaceObject', '@external', '@requires'])}
        type Media @key(fields: "id") @interfaceObject { id: ID! title: String! @external slug: String! @requires(fields: "title") }`,
      resolvers: {
        Media: { __resolveReference: (ref: any) => ref, slug: (item: any) => item.title.toLowerCase().replace(/\W+/g, '-') },
      },
    },
  ],
  operations: [
    {
      name: 'the referenced entity’s type and fields',
      query: '{ reviews { text media { __typename title ... on Movie { director } } } }',
      expected: {
        data: {
          reviews: [
            { text: 'Classic', media: { __typename: 'Book', title: 'Dune' } },
            { text: 'Scary', media: { __typename: 'Movie', title: 'Alien', director: 'Scott' } },
          ],
        },
      },
    },
    {
      name: 'a field requiring an interface field',
      query: '{ media { id slug } reviews { media { slug } } }',
      expected: {
        data: {
          media: [
            { id: 'b1', slug: 'dune' },
            { id: 'm1', slug: 'alien' },
          ],
          reviews: [{ media: { slug: 'dune' } }, { media: { slug: 'alien' } }],
        },
      },
    },
  ],
};

export const abstractCases: ConformanceCase[] = [unionSplit, interfaceSplit, interfaceObject, interfaceObjectReferenced];
