import type { Env } from './env';
import { readLogFormat } from './logFormat';
import { createLogger, type Logger } from './logger';
import { shutdownTelemetry } from './telemetry';

export interface RunningProcess {
  logger: Logger;
  /** Stops accepting work, finishes what is in flight and closes pools. */
  stop: () => Promise<void>;
}

/**
 * Runs a process's `main` with its environment (which `main` hands to its config reader): a start-up failure
 * is logged (a ConfigError's or SupergraphRefused's message says how to fix it) and exits 1; SIGTERM or SIGINT
 * call `stop` once and exit 0, or 1 if stopping failed.
 */
export function runMain(name: string, env: Env, main: (env: Env) => Promise<RunningProcess>): void {
  main(env).then(
    ({ logger, stop }) => {
      let stopping = false;
      const shutdown = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        stop()
          .then(
            () => {
              logger.info('stopped');
              return 0;
            },
            (error: unknown) => {
              logger.error({ err: error }, 'shutdown failed');
              return 1;
            },
          )
          // The spans of the last requests are still buffered: flush them (bounded) before leaving.
          .then(async (code) => {
            await shutdownTelemetry();
            process.exit(code);
          });
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
    },
    (error: unknown) => {
      // No config was read (that may be what failed): the line takes LOG_FORMAT from the environment itself.
      const logger = createLogger(name, 'info', readLogFormat(env));
      if (error instanceof Error && error.name === 'ConfigError') logger.fatal(`configuration error: ${error.message}`);
      // The router's refusal of its supergraph says what is wrong in one line: a stack would only bury it.
      else if (error instanceof Error && error.name === 'SupergraphRefused') logger.fatal(`supergraph refused: ${error.message}`);
      else logger.fatal({ err: error }, 'start-up failed');
      process.exit(1);
    },
  );
}
