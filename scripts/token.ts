/**
 * `npm run token -- --user <id> [--scopes a,b] [--ttl seconds]`: prints a development bearer token that the
 * router (with its JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE from this environment) accepts.
 */

import { readRouterConfig, signDevelopmentToken } from '../router';

const USAGE = `usage: npm run token -- --user <id> [--scopes catalog:write,...] [--ttl 3600]

Prints a bearer token for the router, signed with JWT_SECRET (the development secret when unset).
Use it as: curl -H "Authorization: Bearer $(npm run -s token -- --user 1)" ...`;

async function main(args: string[]): Promise<string> {
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2);
    if (flag === '--help' || flag === '-h') return USAGE;
    if (!['--user', '--scopes', '--ttl'].includes(flag)) throw new Error(`unknown argument '${args[i]}'\n${USAGE}`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    options[flag.slice(2)] = value;
  }
  if (!options.user || !/^\d{1,18}$/.test(options.user)) throw new Error(`--user must be a user id such as 1\n${USAGE}`);
  const ttl = Number(options.ttl ?? 3600);
  if (!Number.isInteger(ttl) || ttl < 1) throw new Error('--ttl must be a whole number of seconds');
  const scopes = (options.scopes ?? '').split(/[ ,]/).filter(Boolean);
  return signDevelopmentToken(readRouterConfig(process.env).auth, { userId: options.user, scopes, ttlSeconds: ttl });
}

main(process.argv.slice(2)).then(
  (output) => console.log(output),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
