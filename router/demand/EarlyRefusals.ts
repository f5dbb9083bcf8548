import type { GraphQLError } from 'graphql';
import { ErrorCode, HttpError, type Logger, type RawOperation } from '../../shared';
import { TokenCounts } from './countTokens';
import type { DemandControlConfig } from './DemandControlConfig';
import { type DemandCounters, refusal } from './demandControlPlugin';
import { ThrottleMemory } from './ThrottleMemory';

/** Largest body read in measure mode: bodies above the limit are logged, and still capped far above it. */
const MEASURED_BODY_CAP_BYTES = 16 * 1024 * 1024;

/**
 * The demand limits checked before Apollo Server parses anything: the body size (`MAX_BODY_BYTES` in
 * measure mode), an operation its client was just refused for want of points (an early 429, see
 * ThrottleMemory), and the token limit (counted here, since the parser's own limit cannot say how many
 * there were). Each refusal or measured excess is counted in the demand counters, like the plugin's.
 */
export class EarlyRefusals {
  private readonly tokenCounts = new TokenCounts();

  constructor(
    private readonly config: DemandControlConfig,
    private readonly bodyLimitBytes: number,
    private readonly counters: DemandCounters,
    private readonly throttled: ThrottleMemory,
    private readonly logger: Logger,
  ) {}

  /** How much of a body to read: the limit when it is enforced. */
  get maxBodyBytes(): number {
    return this.config.bodyMode === 'enforce' ? this.bodyLimitBytes : Math.max(this.bodyLimitBytes, MEASURED_BODY_CAP_BYTES);
  }

  /** Sees the size of every body read: over the limit (measure mode), logged and counted. */
  onBodyBytes(bytes: number): void {
    if (bytes <= this.bodyLimitBytes) return;
    this.counters.measuredOver.PAYLOAD_TOO_LARGE = (this.counters.measuredOver.PAYLOAD_TOO_LARGE ?? 0) + 1;
    this.logger.warn({ bytes, limit: this.bodyLimitBytes }, 'body over the limit in measure mode: let through');
  }

  /** Looks at one operation of `clientKey`'s request before parsing: a refusal, or null to go on. */
  inspect(clientKey: string, operation: RawOperation): GraphQLError | HttpError | null {
    // Only refusals in enforce mode are remembered: otherwise there is nothing to look up (or hash).
    const left =
      this.config.budget.mode === 'enforce' && !this.throttled.empty
        ? this.throttled.secondsLeft(clientKey, ThrottleMemory.operationKey(operation.query, operation.operationName, operation.variables))
        : 0;
    if (left > 0) {
      this.counters.refused.THROTTLED = (this.counters.refused.THROTTLED ?? 0) + 1;
      return new HttpError(429, ErrorCode.THROTTLED, `Retry this operation in ${left} s: its client has not got the points for it yet.`, {
        'retry-after': String(left),
      });
    }
    return this.checkTokens(operation.query);
  }

  private checkTokens(query: string): GraphQLError | null {
    const { maxTokens, revealLimits } = this.config;
    const tokens = this.tokenCounts.of(query);
    if (tokens <= maxTokens.max) return null;
    const code = ErrorCode.MAX_TOKENS_EXCEEDED;
    if (maxTokens.mode === 'measure') {
      this.counters.measuredOver[code] = (this.counters.measuredOver[code] ?? 0) + 1;
      this.logger.warn({ tokens, limit: maxTokens.max }, 'over the token limit in measure mode: let through');
      return null;
    }
    this.counters.refused[code] = (this.counters.refused[code] ?? 0) + 1;
    const details = { measured: tokens, limit: maxTokens.max };
    return refusal(code, `The document has ${tokens} tokens; the limit is ${maxTokens.max}.`, details, revealLimits);
  }
}
