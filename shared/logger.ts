import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * A structured JSON logger for one process. Fields that could hold credentials are redacted wherever
 * they appear, so a careless `log.info({ headers })` cannot leak a token.
 */
export function createLogger(name: string, level = 'info'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'password',
        '*.password',
        'authorization',
        '*.authorization',
        'headers.authorization',
        'headers["x-internal-token"]',
        'token',
        '*.token',
      ],
      censor: '[redacted]',
    },
  });
}
