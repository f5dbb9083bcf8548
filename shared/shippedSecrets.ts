import { ConfigError, type Env } from './env';

/**
 * Secret values this repository publishes for deployment: docker-compose.yml's `${VAR:-default}` fallbacks
 * (so that a fresh clone starts on a laptop with no set-up) and the values the documentation and the
 * Kubernetes dev overlay show. Anyone can read them, so a production process refuses every one of them,
 * whatever its length. test/deploy/shippedSecrets.test.ts fails when docker-compose.yml, the docs or the
 * manifests ship a secret value that is not listed here.
 *
 * The processes' own development defaults (`dev-only-…`) are refused by their config readers already.
 */
export const SHIPPED_SECRET_VALUES: readonly string[] = [
  // docker-compose.yml: MYSQL_ROOT_PASSWORD, MYSQL_PASSWORD (also the password in every DATABASE_URL there,
  // and in the Kubernetes dev overlay's)
  'supergraph-root',
  'supergraph',
  // docker-compose.yml: INTERNAL_API_TOKEN, JWT_SECRET, ACCOUNT_/PRODUCT_/ORDER_SUBGRAPH_SECRET
  'dev-only-internal-api-token-change-me',
  'compose-jwt-secret-for-development-only-change-me',
  'compose-account-subgraph-secret-change-me',
  'compose-product-subgraph-secret-change-me',
  'compose-order-subgraph-secret-change-me',
  // The README's configuration table: DATABASE_URL `mysql://user:pass@host:port`
  'pass',
];

/** Variables whose whole value is a secret: `JWT_SECRET`, `SUBGRAPH_SECRET`, `INTERNAL_API_TOKEN`, `…_PASSWORD`. */
const SECRET_VARIABLE = /(^|_)(SECRET|TOKEN|PASSWORD)$/;
/** Variables that hold a URL, whose password (`mysql://user:password@host`, `redis://:password@host`) is a secret. */
const URL_VARIABLE = /(^|_)URL$/;

const shipped = new Set(SHIPPED_SECRET_VALUES);

/** The password of a URL, decoded; undefined when the value is not a URL or has none. */
function passwordOf(raw: string): string | undefined {
  try {
    const password = new URL(raw).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throws a ConfigError naming the first variable of `env` that holds a value of SHIPPED_SECRET_VALUES (a
 * secret variable's value, or the password in a URL variable). The value itself is never in the message.
 * Config readers call it in production only: on a laptop the shipped defaults are what makes
 * `docker-compose up` work in one command.
 */
export function refuseShippedSecrets(env: Env): void {
  for (const [variable, raw] of Object.entries(env)) {
    const value = raw?.trim();
    if (!value) continue;
    if (SECRET_VARIABLE.test(variable) && shipped.has(value)) {
      throw new ConfigError(
        `${variable} is set to a value published in this repository (a docker-compose.yml default or a documented example), ` +
          'which anyone can read: production needs a secret of your own (e.g. `openssl rand -hex 32`)',
      );
    }
    if (URL_VARIABLE.test(variable)) {
      const password = passwordOf(value);
      if (password !== undefined && shipped.has(password)) {
        throw new ConfigError(
          `The password in ${variable} is a value published in this repository (a docker-compose.yml default or a documented example), ` +
            'which anyone can read: production needs a password of your own (with docker-compose, set MYSQL_PASSWORD)',
        );
      }
    }
  }
}
