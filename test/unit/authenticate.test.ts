import { SignJWT } from 'jose';
import { type AuthConfig, AuthenticationFailed, createAuthenticator, signDevelopmentToken } from '../../router';

const AUTH: AuthConfig = {
  secret: 'a-test-secret-that-is-long-enough-for-hs256',
  jwksUrl: null,
  algorithms: ['HS256'],
  issuer: 'https://issuer.test',
  audience: 'supergraph',
  clockToleranceSeconds: 5,
};

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/**
 * A clock the test moves by hand, starting at the real time (tokens are signed with it) and standing still
 * otherwise: a clock that followed real time would add however long the machine took between two calls.
 */
function clock() {
  const start = Date.now();
  let offsetMs = 0;
  return { now: () => start + offsetMs, advance: (ms: number) => (offsetMs += ms) };
}

describe('the authenticator’s memory of verified tokens', () => {
  it('answers a token it verified before with the same caller, and a changed signature is verified again (and refused)', async () => {
    const authenticate = createAuthenticator(AUTH);
    const token = await signDevelopmentToken(AUTH, { userId: '42', scopes: ['orders:read'] });
    const first = await authenticate(bearer(token));
    expect(first).toEqual({ userId: '42', scopes: new Set(['orders:read']) });
    expect(await authenticate(bearer(token))).toBe(first);
    // Same header and claims, one signature character changed (not the last: its low bits are padding).
    const at = token.length - 10;
    const tampered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
    await expect(authenticate(bearer(tampered))).rejects.toThrow('The token signature is not valid.');
  });

  it('stops answering a remembered token at its expiry (with the leeway), with the expiry error', async () => {
    const time = clock();
    const authenticate = createAuthenticator(AUTH, { now: time.now, cacheTtlMs: 3_600_000 });
    const token = await signDevelopmentToken(AUTH, { userId: '7', ttlSeconds: 30 });
    expect((await authenticate(bearer(token))).userId).toBe('7');
    time.advance(30_000);
    // Within the 5 s leeway: still accepted.
    expect((await authenticate(bearer(token))).userId).toBe('7');
    time.advance(6_000);
    await expect(authenticate(bearer(token))).rejects.toThrow(new AuthenticationFailed('The token has expired.'));
  });

  it('verifies a remembered token again after the TTL, so a key that stops verifying stops working', async () => {
    const time = clock();
    const authenticate = createAuthenticator(AUTH, { now: time.now, cacheTtlMs: 1_000 });
    const token = await signDevelopmentToken(AUTH, { userId: '9' });
    const first = await authenticate(bearer(token));
    time.advance(999);
    expect(await authenticate(bearer(token))).toBe(first);
    time.advance(2);
    // Verified again: an equal caller from a new verification, not the remembered object.
    const again = await authenticate(bearer(token));
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it('does not answer a token before its nbf, and never remembers a refused token', async () => {
    const time = clock();
    const authenticate = createAuthenticator(AUTH, { now: time.now });
    const early = await signDevelopmentToken(AUTH, { userId: '5', notBeforeSeconds: 60 });
    await expect(authenticate(bearer(early))).rejects.toThrow('The token is not valid yet.');
    await expect(authenticate(bearer(early))).rejects.toThrow('The token is not valid yet.');
    time.advance(60_000);
    expect((await authenticate(bearer(early))).userId).toBe('5');
    const wrongAudience = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('5')
      .setIssuer(AUTH.issuer)
      .setAudience('someone-else')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(AUTH.secret ?? ''));
    await expect(authenticate(bearer(wrongAudience))).rejects.toThrow("The token's aud claim is not accepted.");
    await expect(authenticate(bearer(wrongAudience))).rejects.toThrow("The token's aud claim is not accepted.");
  });

  it('keeps at most cacheSize tokens, forgetting the oldest first', async () => {
    const authenticate = createAuthenticator(AUTH, { cacheSize: 2 });
    const tokens = await Promise.all(['1', '2', '3'].map((userId) => signDevelopmentToken(AUTH, { userId })));
    const callers = [];
    for (const token of tokens) callers.push(await authenticate(bearer(token)));
    // The first was evicted: a new verification gives an equal caller, not the same object.
    const again = await authenticate(bearer(tokens[0]));
    expect(again).toEqual(callers[0]);
    expect(again).not.toBe(callers[0]);
    expect(await authenticate(bearer(tokens[2]))).toBe(callers[2]);
  });
});
