import crypto from 'node:crypto';
import { StringMemo } from '../../../shared';

/**
 * Three things Apollo Server 5.5.1 (and, for the first, @apollo/gateway 2.14.4) works out again on every request
 * from text that repeats from one request to the next, each kept here by that text: the SHA-256 of the operation's
 * document (and the gateway's of that hash with the operation's name), the media type negotiated for an Accept
 * header, and whether a Content-Type alone satisfies CSRF prevention. Each replacement returns what the function
 * it wraps returns (a memo of a pure function of strings), and anything unusual goes to that function. In a profile
 * of canned distinct product detail before them, they were 3.3 % of the router's busy CPU (both SHA-256s 1.5 %,
 * negotiation 1.15 %, the Content-Type's MIME parse 0.6 %); with them, 0.1 %.
 */

type CreateHash = (kind: string) => crypto.Hash;

/** The memos of `memoisingCreateHash`: texts hashed in one update, and the parts of several (keyed by their lengths too). */
export interface DigestMemos {
  single: StringMemo<string>;
  parts: StringMemo<string>;
}

/**
 * What `createHash('sha256').update(text)….digest('hex')` returns, from a memo of what was hashed lately: Apollo
 * Server hashes every request's document to find its parsed copy (`computeQueryHash`), and the gateway hashes that
 * hash with the operation's name for its query plan's key. The object returned stands for a Hash's `update`,
 * `digest` and `copy` (what Apollo's callers use; not its stream methods): string updates (up to 4) and
 * `digest('hex')` take the memo; any other use (another algorithm, a Buffer, an encoding, another digest encoding,
 * a copy) replays the updates into a real Hash and continues there. A digest of several updates is that of their
 * bytes in order, as Node's Hash computes it (each string encoded as UTF-8 on its own). Apollo Server's default
 * landing page hashes a random nonce per render (development only): one more key each time, which only fills the
 * memo sooner.
 */
export function memoisingCreateHash(
  original: CreateHash,
  memos: DigestMemos = { single: new StringMemo(1_000, 8_192), parts: new StringMemo(1_000, 8_192) },
): CreateHash {
  return function createHash(kind: string) {
    if (kind !== 'sha256') return original(kind);
    return new MemoSha256(original, memos) as unknown as crypto.Hash;
  };
}

const MAX_PARTS = 4;

class MemoSha256 {
  private readonly texts: string[] = [];
  private finished = false;
  private real: crypto.Hash | null = null;

  constructor(
    private readonly original: CreateHash,
    private readonly memos: DigestMemos,
  ) {}

  update(data: unknown, encoding?: unknown): this {
    if (!this.finished && this.real === null && this.texts.length < MAX_PARTS && typeof data === 'string' && encoding === undefined) {
      this.texts.push(data);
      return this;
    }
    (this.hash().update as (data: unknown, encoding?: unknown) => unknown).call(this.real, data, encoding);
    return this;
  }

  digest(encoding?: unknown): unknown {
    if (!this.finished && this.real === null && this.texts.length > 0 && encoding === 'hex') {
      this.finished = true;
      const texts = this.texts;
      if (texts.length === 1) return this.memos.single.of(texts[0], (text) => this.original('sha256').update(text).digest('hex'));
      // Each part's length before it: two lists of parts with the same concatenation get different keys.
      let key = '';
      for (const text of texts) key += `${text.length}:${text}`;
      return this.memos.parts.of(key, () => {
        const hash = this.original('sha256');
        for (const text of texts) hash.update(text);
        return hash.digest('hex');
      });
    }
    return (this.hash().digest as (encoding?: unknown) => unknown).call(this.real, encoding);
  }

  copy(options?: unknown): unknown {
    return (this.hash().copy as (options?: unknown) => unknown).call(this.real, options);
  }

  /** The real Hash: the updates held so far replayed into it, or finished, as a digested Hash is (it then throws Node's own error). */
  private hash(): crypto.Hash {
    if (this.real === null) {
      this.real = this.original('sha256');
      if (this.finished) this.real.digest();
      else for (const text of this.texts) this.real.update(text);
    }
    return this.real;
  }
}

/** A Negotiator as `mediaType` reads it: the request's headers, and `mediaTypes`, which does the work. */
interface NegotiatorLike {
  request?: { headers?: Record<string, unknown> };
  mediaTypes?: unknown;
}

type MediaType = (this: NegotiatorLike, available?: unknown) => unknown;

/**
 * Negotiator's `mediaType(available)` from a memo by Accept header and offered types: Apollo Server negotiates
 * on every request (whether the client takes the legacy incremental format, and the response's content type),
 * parsing the same header against the same constant list each time. A string result is one of `available`'s own.
 * A call the memo cannot key exactly goes to the original: no offer list, an instance without request headers or
 * with its own `mediaTypes`, a NUL in the header or an offer.
 */
export function memoisingMediaType(
  original: MediaType,
  prototype: NegotiatorLike,
  memo = new StringMemo<unknown>(1_000, 1_024),
): MediaType {
  return function mediaType(this: NegotiatorLike, available?: unknown) {
    const headers = this?.request?.headers;
    if (!Array.isArray(available) || typeof headers !== 'object' || headers === null || this.mediaTypes !== prototype.mediaTypes)
      return original.call(this, available);
    const accept = headers.accept;
    if (accept !== undefined && (typeof accept !== 'string' || accept.includes('\u0000'))) return original.call(this, available);
    let offered = '';
    for (const type of available) {
      if (typeof type !== 'string' || type.includes('\u0000')) return original.call(this, available);
      offered += `\u0000${type}`;
    }
    // A missing header and an empty one negotiate differently; the header holds no NUL, so the first NUL ends it.
    const key = `${accept === undefined ? '-' : `+${accept}`}${offered}`;
    return memo.of(key, () => original.call(this, available));
  };
}

/** Headers as Apollo Server's `preventCsrf` reads them. */
interface HeadersLike {
  get(name: string): string | undefined;
}

type PreventCsrf = (headers: HeadersLike, requiredHeaders: readonly string[]) => void;

/**
 * Apollo Server's `preventCsrf` (it throws for a request a browser could send cross-site without a preflight)
 * with a memo of the Content-Types that satisfy it on their own. It looks at the Content-Type first and returns
 * when that is not a "simple" type, whatever the other headers say; so a Content-Type that passes alone passes
 * with any headers, and for any other request the original decides. Whether one passes alone is asked of the
 * original itself, with that header and no other.
 */
export function memoisingPreventCsrf(original: PreventCsrf, memo = new StringMemo<boolean>(100, 256)): PreventCsrf {
  const passesAlone = (contentType: string): boolean => {
    try {
      original({ get: (name) => (name === 'content-type' ? contentType : undefined) }, []);
      return true;
    } catch {
      return false;
    }
  };
  return function preventCsrf(headers, requiredHeaders) {
    const contentType = headers.get('content-type');
    if (typeof contentType === 'string' && memo.of(contentType, passesAlone)) return;
    return original(headers, requiredHeaders);
  };
}
