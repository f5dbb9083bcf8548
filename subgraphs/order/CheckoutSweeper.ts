import { type DataSource, LessThan } from 'typeorm';
import { inTransaction, type Logger } from '../../shared';
import { CheckoutIntent } from './entities/CheckoutIntent';
import { moveIntent } from './placeOrder';
import type { ProductApi } from './productApi';

export interface SweeperOptions {
  /**
   * A `pending` checkout older than this is taken as crashed and abandoned (its stock released), in ms
   * (`CHECKOUT_ABANDON_AFTER_MS`, default 60 s: far longer than any live checkout takes).
   */
  abandonAfterMs: number;
  /** A `stored` checkout (order written, reservation not confirmed) older than this is confirmed, in ms. Default 10 s. */
  confirmAfterMs: number;
  /** How often the sweeper runs (`CHECKOUT_SWEEP_INTERVAL_MS`, default 30 s); it also runs at start. */
  intervalMs: number;
  /** Most intents handled per status per run. Default 500. */
  batchSize: number;
}

export interface SweepResult {
  abandoned: number;
  confirmed: number;
  failed: number;
}

/**
 * Finishes checkouts that a crash (of this process, or a lost answer from the product subgraph) left half
 * done, so that stock is never taken without an order:
 * - `pending` past `abandonAfterMs` (or `abandoning`, whose release was interrupted): claimed (`pending → abandoning`, so two replicas never
 *   both act), its reservation released (idempotent; a key never reserved gets a tombstone), then `abandoned`.
 *   A placeOrder still running for it can then no longer store the order (it needs `pending`).
 * - `stored` past `confirmAfterMs`: the order exists, so its reservation is confirmed.
 */
export class CheckoutSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SweepResult> | null = null;

  constructor(
    private readonly deps: { dataSource: DataSource; productApi: ProductApi; logger: Logger },
    private readonly options: SweeperOptions,
  ) {}

  start(): void {
    const run = () => {
      this.sweepOnce().catch((error: unknown) => this.deps.logger.error({ err: error }, 'checkout sweep failed'));
    };
    run();
    this.timer = setInterval(run, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass (a pass already running is joined, not doubled). */
  sweepOnce(now: Date = new Date()): Promise<SweepResult> {
    if (!this.running) {
      this.running = this.sweep(now).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async sweep(now: Date): Promise<SweepResult> {
    const { dataSource, productApi, logger } = this.deps;
    const intents = dataSource.getRepository(CheckoutIntent);
    const result: SweepResult = { abandoned: 0, confirmed: 0, failed: 0 };
    // `abandoning` at any age: its release is idempotent, and a crash or an outage may have interrupted it.
    const stale = await intents.find({
      where: [{ status: 'pending', updatedAt: LessThan(new Date(now.getTime() - this.options.abandonAfterMs)) }, { status: 'abandoning' }],
      order: { id: 'ASC' },
      take: this.options.batchSize,
    });
    for (const intent of stale) {
      try {
        if (intent.status === 'pending' && !(await moveIntent(dataSource.manager, intent.reservationKey, ['pending'], 'abandoning')))
          continue;
        await productApi.release(intent.reservationKey);
        await moveIntent(dataSource.manager, intent.reservationKey, ['abandoning'], 'abandoned');
        result.abandoned += 1;
      } catch (error) {
        result.failed += 1;
        logger.warn({ err: error, reservationKey: intent.reservationKey }, 'could not abandon a stale checkout; next sweep retries');
      }
    }
    const unconfirmed = await intents.find({
      where: { status: 'stored', updatedAt: LessThan(new Date(now.getTime() - this.options.confirmAfterMs)) },
      order: { id: 'ASC' },
      take: this.options.batchSize,
    });
    for (const intent of unconfirmed) {
      try {
        const key = intent.reservationKey;
        await productApi.confirm(key);
        await inTransaction(dataSource, (manager) => moveIntent(manager, key, ['stored'], 'confirmed'));
        result.confirmed += 1;
      } catch (error) {
        result.failed += 1;
        logger.warn({ err: error, reservationKey: intent.reservationKey }, 'could not confirm a stored checkout; next sweep retries');
      }
    }
    if (result.abandoned + result.confirmed + result.failed > 0) logger.info(result, 'checkout sweep repaired half-done checkouts');
    return result;
  }
}
