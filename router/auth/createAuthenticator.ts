import type { IncomingMessage } from 'node:http';
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import type { Caller } from '../../shared';

/** How the router verifies bearer tokens. Exactly one of `secret` (HS256) and `jwksUrl` (RS256/ES256) is set. */
export interface AuthConfig {
  /** HS256 shared secret (development, or a single trusted issuer). */
  secret: string | null;
  /** A JWKS URL for asymmetric keys (production identity providers); keys are cached and refetched on rotation. */
  jwksUrl: string | null;
  /** Accepted `alg` values: HS256 with a secret; RS256 and ES256 (or `JWT_ALGORITHMS`) with a JWKS. Never `none`. */
  algorithms: string[];
  /** Required `iss`. */
  issuer: string;
  /** Required `aud`. */
  audience: string;
  /** Leeway for `exp` and `nbf`, in seconds. Default 5. */
  clockToleranceSeconds: number;
}

/** A token was presented and refused: the request gets 401 UNAUTHENTICATED before anything executes. */
export class AuthenticationFailed extends Error {
  override readonly name = 'AuthenticationFailed';
}

export type Authenticator = (req: Pick<IncomingMessage, 'headers'>) => Promise<Caller>;

const ANONYMOUS: Caller = Object.freeze({ userId: null, scopes: new Set<string>() });

/** Scopes from the `scope` claim (space-separated, OAuth 2.0) or a `scp`/`scopes` array. */
function scopesOf(payload: JWTPayload): Set<string> {
  const claim = payload.scope ?? payload.scp ?? payload.scopes;
  if (typeof claim === 'string') return new Set(claim.split(' ').filter(Boolean));
  if (Array.isArray(claim)) return new Set(claim.filter((scope): scope is string => typeof scope === 'string'));
  return new Set();
}

/** Most verified tokens remembered (about 1 KB each with their caller). */
const VERIFIED_TOKENS_MAX = 10_000;
/**
 * A verified token is trusted again without checking its signature for at most this long (wall clock). It adds
 * at most this much to how long a key removed from the JWKS keeps working, on top of the JWKS cache's own 10 min.
 */
const VERIFIED_TOKEN_TTL_MS = 60_000;

interface VerifiedToken {
  caller: Caller;
  /** Until when (ms since epoch) this entry may answer: the earliest of the token's `exp` (with leeway) and the TTL. */
  until: number;
  /** From when it may answer: `nbf` less the leeway (0 without one). */
  from: number;
}

/**
 * Tokens whose signature and claims were verified, by the exact token text: a client sends the same token
 * with every request for its lifetime, and checking a signature is most of what authentication costs. A hit
 * needs the identical bytes (signature included) and is still bound by `exp`/`nbf`; refused tokens are never
 * remembered. Oldest entries go first when it is full.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedToken>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  get(token: string, now: number): Caller | null {
    const entry = this.entries.get(token);
    if (!entry) return null;
    if (now >= entry.until || now < entry.from) {
      // Expired (or not valid yet): full verification gives the client the right reason.
      this.entries.delete(token);
      return null;
    }
    return entry.caller;
  }

  set(token: string, caller: Caller, payload: JWTPayload, toleranceSeconds: number, now: number): void {
    const until = Math.min(now + this.ttlMs, ((payload.exp ?? 0) + toleranceSeconds) * 1000);
    const from = payload.nbf === undefined ? 0 : (payload.nbf - toleranceSeconds) * 1000;
    if (until <= now) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { caller, until, from });
  }
}

/**
 * Builds the router's authenticator. No `Authorization` header: an anonymous caller. A bearer token is
 * verified with jose: signature, `exp`, `nbf`, `iss`, `aud`, and `alg` restricted to the configured
 * algorithms, which both refuses `alg: none` and closes algorithm confusion (an HS256 token signed with
 * an RSA public key is not accepted where only RS256 is, nor the other way round). `sub` must be a user id.
 */
export function createAuthenticator(
  config: AuthConfig,
  options: { now?: () => number; cacheSize?: number; cacheTtlMs?: number } = {},
): Authenticator {
  const now = options.now ?? Date.now;
  const verified = new VerifiedTokens(options.cacheSize ?? VERIFIED_TOKENS_MAX, options.cacheTtlMs ?? VERIFIED_TOKEN_TTL_MS);
  const key: Uint8Array | JWTVerifyGetKey = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 })
    : new TextEncoder().encode(config.secret ?? '');
  return async (req) => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') return ANONYMOUS;
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header);
    if (!match) throw new AuthenticationFailed('The Authorization header must be "Bearer <JWT>".');
    const token = match[1];
    const known = verified.get(token, now());
    if (known) return known;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms: config.algorithms,
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: config.clockToleranceSeconds,
        currentDate: new Date(now()),
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw new AuthenticationFailed(describe(error));
    }
    if (typeof payload.sub !== 'string' || !/^\d{1,18}$/.test(payload.sub)) {
      throw new AuthenticationFailed('The token does not name a user (sub).');
    }
    const caller: Caller = Object.freeze({ userId: payload.sub, scopes: scopesOf(payload) });
    verified.set(token, caller, payload, config.clockToleranceSeconds, now());
    return caller;
  };
}

/** A reason safe to show a client: what was wrong, never the token or the key. */
function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The token has expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The token is not valid yet.';
    return `The token's ${error.claim} claim is not accepted.`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm this API does not accept.';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is not valid.';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'The token was signed by a key this API does not know.';
  return 'The token is not valid.';
}
