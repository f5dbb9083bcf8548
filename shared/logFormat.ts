import type { Env } from './env';

/** How a process writes its log lines. */
export type LogFormat = 'json' | 'pretty';

/**
 * `LOG_FORMAT`, read by the config readers: `pretty` prints readable lines for development; any other value,
 * or none, JSON (what anything that parses logs wants).
 */
export function readLogFormat(env: Env): LogFormat {
  return env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json';
}
