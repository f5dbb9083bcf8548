import { SignJWT } from 'jose';
import type { AuthConfig } from './createAuthenticator';

export interface TokenClaims {
  userId: string;
  scopes?: readonly string[];
  /** Lifetime in seconds. Default 3600. */
  ttlSeconds?: number;
  /** Earliest use, in seconds from now (for tests of `nbf`). Default 0. */
  notBeforeSeconds?: number;
}

/**
 * Signs an HS256 token the router accepts with `auth` (development, tests, `npm run token`). With a JWKS
 * configured there is no secret to sign with: tokens come from the identity provider.
 */
export function signDevelopmentToken(auth: AuthConfig, claims: TokenClaims): Promise<string> {
  if (!auth.secret) throw new Error('The router verifies tokens from JWT_JWKS_URL: get a token from your identity provider instead');
  const now = Math.floor(Date.now() / 1000);
  const token = new SignJWT({ scope: (claims.scopes ?? []).join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.ttlSeconds ?? 3600));
  if (claims.notBeforeSeconds) token.setNotBefore(now + claims.notBeforeSeconds);
  return token.sign(new TextEncoder().encode(auth.secret));
}
