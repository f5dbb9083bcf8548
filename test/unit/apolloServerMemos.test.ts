import crypto from 'node:crypto';
import path from 'node:path';
import { HeaderMap } from '@apollo/server';
import { memoisingCreateHash, memoisingMediaType, memoisingPreventCsrf } from '../../router/gateway/fastPaths/apolloServer';
import { packageDir } from '../../router/gateway/fastPaths/versionCheck';
import { StringMemo } from '../../shared';

/** Apollo Server's own copies of what the memos wrap, loaded from its folder as it loads them. */
const serverDir = packageDir('@apollo/server', __dirname);
const Negotiator = require(require.resolve('negotiator', { paths: [serverDir] })) as new (request: {
  headers: Record<string, unknown>;
}) => { mediaType(available?: unknown): unknown };
const { preventCsrf } = require(path.join(serverDir, 'dist', 'cjs', 'preventCsrf.js')) as {
  preventCsrf: (headers: HeaderMap, required: readonly string[]) => void;
};
const { createHash: serverCreateHash } = require(require.resolve('@apollo/utils.createhash', { paths: [serverDir] })) as {
  createHash: (kind: string) => crypto.Hash;
};

/** What a call returned or threw, comparable with toEqual. */
function outcome(call: () => unknown): { value: unknown } | { threw: string; code?: unknown } {
  try {
    return { value: call() };
  } catch (error) {
    return { threw: (error as Error).message, code: (error as { code?: unknown }).code };
  }
}

describe('the memo of SHA-256 hex digests (Apollo Server hashes every document)', () => {
  const texts = [
    '',
    '{ me { id } }',
    'query ProductDetail($id: ID!) { product(id: $id) { id name } }',
    'é ü 漢字 🚀',
    // Lone surrogates: UTF-8 encoding replaces each, which the digest must reflect exactly as Node's does.
    '\ud800 alone, \udc00 alone',
    'x'.repeat(9_000),
  ];

  it('digests every text as crypto does, the first time and from the memo', () => {
    const memo = new StringMemo<string>(1_000, 8_192);
    const createHash = memoisingCreateHash(serverCreateHash, { single: memo, parts: new StringMemo(1_000, 8_192) });
    for (let round = 0; round < 2; round++) {
      for (const text of texts) {
        expect(createHash('sha256').update(text).digest('hex')).toBe(crypto.createHash('sha256').update(text).digest('hex'));
      }
    }
    // The text longer than 8,192 characters is hashed every time, never kept.
    expect(memo.size).toBe(texts.length - 1);
  });

  it('digests several updates as crypto does, each list of parts apart (the gateway hashes a hash and a name)', () => {
    const parts = new StringMemo<string>(1_000, 8_192);
    const createHash = memoisingCreateHash(serverCreateHash, { single: new StringMemo(1_000, 8_192), parts });
    const lists = [
      ['a'.repeat(64), 'ProductDetail'],
      ['ab', 'c'],
      ['a', 'bc'],
      // Apart, each lone surrogate is replaced in UTF-8; together they are one character: other bytes, another digest.
      ['\ud800', '\udc00'],
      ['\ud800\udc00', ''],
      ['1', '2', '3', '4'],
      ['1', '2', '3', '4', '5'],
    ];
    const digest = (create: (kind: string) => crypto.Hash, list: string[]) => {
      const hash = create('sha256');
      for (const part of list) hash.update(part);
      return hash.digest('hex');
    };
    for (let round = 0; round < 2; round++) {
      for (const list of lists)
        expect({ list, digest: digest(createHash, list) }).toEqual({ list, digest: digest(crypto.createHash, list) });
    }
    expect(digest(createHash, ['\ud800', '\udc00'])).not.toBe(digest(createHash, ['\ud800\udc00']));
    // Five updates are more than are kept: hashed every time.
    expect(parts.size).toBe(lists.length - 1);
  });

  it('gives any other use to a real Hash: other algorithms, several updates, Buffers, encodings, other digests', () => {
    const createHash = memoisingCreateHash(serverCreateHash);
    const real = (kind: string) => crypto.createHash(kind);
    const uses: [string, (create: (kind: string) => crypto.Hash) => unknown][] = [
      ['sha512', (create) => create('sha512').update('abc').digest('hex')],
      ['two updates, a base64 digest', (create) => create('sha256').update('query').update('Name').digest('base64')],
      ['a string, then a Buffer', (create) => create('sha256').update('query').update(Buffer.from('Name')).digest('hex')],
      ['a Buffer', (create) => create('sha256').update(Buffer.from('abc')).digest('hex')],
      ['an input encoding', (create) => create('sha256').update('616263', 'hex').digest('hex')],
      ['a Buffer digest', (create) => (create('sha256').update('abc').digest() as Buffer).toString('base64')],
      ['a base64 digest', (create) => create('sha256').update('abc').digest('base64')],
      ['a copy', (create) => (create('sha256').update('abc').copy() as crypto.Hash).update('def').digest('hex')],
      ['no update', (create) => create('sha256').digest('hex')],
    ];
    for (const [name, use] of uses) expect({ name, result: use(createHash) }).toEqual({ name, result: use(real) });
  });

  it('fails as a finished Hash does when used after its digest', () => {
    const createHash = memoisingCreateHash(serverCreateHash);
    for (const useAgain of [(hash: crypto.Hash) => hash.update('more'), (hash: crypto.Hash) => hash.digest('hex')]) {
      const ours = createHash('sha256').update('abc');
      ours.digest('hex');
      const real = crypto.createHash('sha256').update('abc');
      real.digest('hex');
      const expected = outcome(() => useAgain(real));
      expect(expected).toMatchObject({ code: 'ERR_CRYPTO_HASH_FINALIZED' });
      expect(outcome(() => useAgain(ours))).toEqual(expected);
    }
  });
});

describe('the memo of negotiated media types (Apollo Server negotiates on every request)', () => {
  const accepts: (string | undefined)[] = [
    undefined,
    '',
    '*/*',
    'application/json',
    'application/graphql-response+json, application/json;q=0.9',
    'application/json;q=0.9, application/graphql-response+json',
    'multipart/mixed;deferSpec=20220824, application/json',
    'multipart/mixed;incrementalSpec=v0.2, application/json;q=0.5',
    'text/html',
    'application/*;q=0.2, */*;q=0.1',
    'application/json;q=0',
    'not a media type',
  ];
  const offers: (string[] | undefined)[] = [
    ['application/json', 'application/graphql-response+json', 'application/json; callbackSpec=1.0'],
    ['multipart/mixed;incrementalSpec=v0.2', 'multipart/mixed;deferSpec=20220824'],
    [],
    undefined,
  ];

  it('answers every Accept header and offer as Negotiator does, the first time and from the memo', () => {
    const original = Negotiator.prototype.mediaType;
    const memo = new StringMemo<unknown>(1_000, 1_024);
    const mediaType = memoisingMediaType(original as never, Negotiator.prototype as never, memo);
    let compared = 0;
    for (let round = 0; round < 2; round++) {
      for (const accept of accepts) {
        for (const offer of offers) {
          const negotiator = new Negotiator({ headers: accept === undefined ? {} : { accept } });
          const expected = original.call(negotiator, offer ? [...offer] : offer);
          expect({ accept, offer, type: mediaType.call(negotiator as never, offer ? [...offer] : offer) }).toEqual({
            accept,
            offer,
            type: expected,
          });
          compared += 1;
        }
      }
    }
    expect(compared).toBe(2 * accepts.length * offers.length);
    // Offers of strings are kept (no header and an empty one apart); the call with no offer list is not.
    expect(memo.size).toBe(accepts.length * (offers.length - 1));
  });
});

describe('the memo of negotiated media types, on calls it cannot key', () => {
  it('leaves them to Negotiator: no request headers, an instance with its own mediaTypes, NUL in the header', () => {
    const original = Negotiator.prototype.mediaType;
    const memo = new StringMemo<unknown>(1_000, 1_024);
    const mediaType = memoisingMediaType(original as never, Negotiator.prototype as never, memo);
    const offer = ['application/json', 'application/graphql-response+json'];
    // A memo entry for this offer with no Accept header, which a keyless call must not be answered from.
    mediaType.call(new Negotiator({ headers: {} }) as never, [...offer]);
    const odd = [
      Object.create(Negotiator.prototype),
      Object.assign(new Negotiator({ headers: {} }), { mediaTypes: () => ['application/graphql-response+json'] }),
      new Negotiator({ headers: { accept: 'application/json\u0000x' } }),
    ];
    for (const negotiator of odd) {
      expect(outcome(() => mediaType.call(negotiator as never, [...offer]))).toEqual(outcome(() => original.call(negotiator, [...offer])));
    }
    expect(outcome(() => mediaType.call(odd[0] as never, [...offer]))).toMatchObject({ threw: expect.any(String) });
    expect(mediaType.call(odd[1] as never, [...offer])).toBe('application/graphql-response+json');
    // None of them was kept: only the first call's entry is there.
    expect(memo.size).toBe(1);
  });
});

describe('the memo of Content-Types that pass CSRF prevention alone', () => {
  const required = ['x-apollo-operation-name', 'apollo-require-preflight'];
  const contentTypes: (string | undefined)[] = [
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'text/plain',
    'text/plain; charset=utf-8',
    'TEXT/PLAIN',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'not a type',
    '',
  ];
  const extras: [string, string][][] = [[], [['apollo-require-preflight', 'true']], [['x-apollo-operation-name', '']]];

  it('refuses and lets through exactly what Apollo Server does, with its message', () => {
    const csrf = memoisingPreventCsrf(preventCsrf as never);
    let refused = 0;
    for (let round = 0; round < 2; round++) {
      for (const contentType of contentTypes) {
        for (const extra of extras) {
          const headers = new HeaderMap([
            ...(contentType === undefined ? [] : [['content-type', contentType] as [string, string]]),
            ...extra,
          ]);
          const expected = outcome(() => preventCsrf(headers, required));
          if ('threw' in expected) refused += 1;
          expect({ contentType, extra, result: outcome(() => csrf(headers, required)) }).toEqual({ contentType, extra, result: expected });
        }
      }
    }
    // Simple types (and none) without a preflight header are refused: the table holds both outcomes.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(2 * contentTypes.length * extras.length);
  });
});

describe('StringMemo', () => {
  it('holds at most its entries, starts again when full, and never keeps a long key', () => {
    const memo = new StringMemo<number>(3, 5);
    let computed = 0;
    const length = (key: string) => {
      computed += 1;
      return key.length;
    };
    for (const key of ['a', 'bb', 'ccc', 'a', 'bb']) memo.of(key, length);
    expect(computed).toBe(3);
    expect(memo.of('dddd', length)).toBe(4);
    expect(memo.size).toBe(1);
    expect(memo.of('eeeeee', length)).toBe(6);
    expect(memo.of('eeeeee', length)).toBe(6);
    expect(computed).toBe(6);
    expect(memo.size).toBe(1);
  });
});
