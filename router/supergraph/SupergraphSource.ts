import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Logger } from '../../shared';
import { checkSupergraph } from './checkSupergraph';
import type { PreparedSupergraph } from './prepareSupergraph';

/** One supergraph the router has served or serves. */
export interface SupergraphVersion {
  /** The composed SDL as published. */
  sdl: string;
  prepared: PreparedSupergraph;
  /** A short hash of `sdl`: what caches keyed by schema include, and what `/health/ready` shows. */
  version: string;
  loadedAt: Date;
}

export interface SupergraphSourceOptions {
  /** A file to watch (`SUPERGRAPH_PATH`)… */
  path: string;
  /** …or a URL to poll (`SUPERGRAPH_URL`), which wins when set. */
  url: string | null;
  /** How often the file or URL is looked at, in ms. */
  pollIntervalMs: number;
  /** `<NAME>_URL` overrides by upper-cased subgraph name: a subgraph with one needs no URL in the supergraph. */
  subgraphUrls?: Readonly<Record<string, string>>;
}

type Update = (supergraphSdl: string) => void;

function versionOf(sdl: string): string {
  return createHash('sha256').update(sdl).digest('hex').slice(0, 16);
}

/**
 * Where the router's supergraph comes from, and how a new one replaces it without a restart: the file (or
 * URL) is polled; a changed supergraph is checked (see `checkSupergraph`) and handed
 * to the gateway, which builds the new schema and query planner and swaps them in for new requests while
 * in-flight ones finish on the old. A supergraph that fails either step is refused: the old one keeps
 * serving, the error is logged and shown by `/health/ready`. The gateway's update throws synchronously on
 * an invalid supergraph, so it is caught here; nothing a publisher writes can take the router down.
 */
export class SupergraphSource {
  private currentVersion: SupergraphVersion;
  private readonly byGatewaySdl = new Map<string, SupergraphVersion>();
  private update: Update | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private readonly pollListeners: (() => void)[] = [];
  private lastSeen: string;
  /** Why the last published supergraph was refused, while the one before it keeps serving. */
  lastError: { message: string; at: Date } | null = null;

  private constructor(
    private readonly options: SupergraphSourceOptions,
    private readonly logger: Logger,
    initial: string,
  ) {
    this.currentVersion = this.prepare(initial);
    this.lastSeen = initial;
  }

  /** Reads the first supergraph; at start-up an unreadable or refused one is fatal. */
  static async open(options: SupergraphSourceOptions, logger: Logger): Promise<SupergraphSource> {
    const sdl = options.url ? await fetchText(options.url) : fs.readFileSync(options.path, 'utf8');
    return new SupergraphSource(options, logger, sdl);
  }

  get current(): SupergraphVersion {
    return this.currentVersion;
  }

  /** The version whose gateway copy is `gatewaySdl` (the gateway's schema listeners only see that copy). */
  versionOfGatewaySdl(gatewaySdl: string): SupergraphVersion | undefined {
    return this.byGatewaySdl.get(gatewaySdl);
  }

  /** The gateway's `supergraphSdl` option: the first supergraph now, later ones as they are published. */
  manager() {
    return {
      initialize: async ({ update }: { update: Update }) => {
        this.update = update;
        this.timer = setInterval(() => void this.poll(), this.options.pollIntervalMs);
        this.timer.unref();
        return { supergraphSdl: this.currentVersion.prepared.gatewaySdl, cleanup: async () => this.stop() };
      },
    };
  }

  /** Calls `listener` at every poll, before the supergraph is read (for settings re-read with it). */
  onPoll(listener: () => void): void {
    this.pollListeners.push(listener);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private prepare(sdl: string): SupergraphVersion {
    const prepared = checkSupergraph(sdl, this.options.subgraphUrls);
    const version: SupergraphVersion = { sdl, prepared, version: versionOf(sdl), loadedAt: new Date() };
    this.byGatewaySdl.set(version.prepared.gatewaySdl, version);
    return version;
  }

  /** Looks for a new supergraph and swaps it in, or refuses it. Never throws. */
  async poll(): Promise<void> {
    if (this.polling || !this.update) return;
    this.polling = true;
    try {
      for (const listener of this.pollListeners) listener();
      let sdl: string;
      try {
        sdl = this.options.url ? await fetchText(this.options.url) : fs.readFileSync(this.options.path, 'utf8');
      } catch (error) {
        this.refuse(error, 'could not read the supergraph');
        return;
      }
      if (sdl === this.lastSeen) return;
      this.lastSeen = sdl;
      let next: SupergraphVersion | undefined;
      try {
        next = this.prepare(sdl);
        this.update(next.prepared.gatewaySdl);
      } catch (error) {
        if (next && next.prepared.gatewaySdl !== this.currentVersion.prepared.gatewaySdl)
          this.byGatewaySdl.delete(next.prepared.gatewaySdl);
        this.refuse(error, 'refused a new supergraph; the previous one keeps serving');
        return;
      }
      const previous = this.currentVersion;
      this.currentVersion = next;
      this.lastError = null;
      // Keep the previous version's mapping: listeners of requests still in flight may look it up.
      for (const [gatewaySdl, version] of this.byGatewaySdl) {
        if (version !== next && version !== previous) this.byGatewaySdl.delete(gatewaySdl);
      }
      this.logger.info({ from: previous.version, to: next.version }, 'supergraph reloaded');
    } finally {
      this.polling = false;
    }
  }

  private refuse(error: unknown, message: string): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.lastError = { message: reason.slice(0, 2000), at: new Date() };
    this.logger.error({ err: error, serving: this.currentVersion.version }, message);
  }
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.text();
}
