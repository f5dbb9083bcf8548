import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../shared';
import type { RouterConfig } from '../RouterConfig';
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
  /**
   * A last-known-good copy (`SUPERGRAPH_CACHE_PATH`): written, atomically, on each supergraph loaded from the
   * source; read at start when the source cannot be read or serves a supergraph the router refuses. Null: none.
   */
  cachePath?: string | null;
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
  /**
   * Set while the router serves the last-known-good copy it started from, because the source could not be read
   * (or served a refused supergraph) at start; cleared by the first supergraph read from the source.
   */
  fromCopy: { path: string; reason: string; since: Date } | null = null;

  private constructor(
    private readonly options: SupergraphSourceOptions,
    private readonly logger: Logger,
    initial: string,
  ) {
    this.currentVersion = this.prepare(initial);
    this.lastSeen = initial;
  }

  /**
   * Reads the first supergraph. At start-up an unreadable or refused one is fatal, unless there is a
   * last-known-good copy (`cachePath`): the router then starts from it, says so (`fromCopy`, the log, readiness),
   * and goes on polling the source.
   */
  /** `open` with the router's settings (`SUPERGRAPH_PATH`, `SUPERGRAPH_URL`, `SUPERGRAPH_CACHE_PATH`, the poll interval, `<NAME>_URL`). */
  static openFor(
    config: Pick<RouterConfig, 'supergraphPath' | 'supergraphUrl' | 'supergraphCachePath' | 'supergraphPollIntervalMs' | 'subgraphUrls'>,
    logger: Logger,
  ): Promise<SupergraphSource> {
    const { supergraphPath: path, supergraphUrl: url, supergraphCachePath: cachePath, supergraphPollIntervalMs: pollIntervalMs } = config;
    return SupergraphSource.open({ path, url, cachePath, pollIntervalMs, subgraphUrls: config.subgraphUrls }, logger);
  }

  static async open(options: SupergraphSourceOptions, logger: Logger): Promise<SupergraphSource> {
    let source: SupergraphSource;
    try {
      source = new SupergraphSource(options, logger, await readSource(options));
    } catch (error) {
      if (!options.cachePath || !fs.existsSync(options.cachePath)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      try {
        source = new SupergraphSource(options, logger, fs.readFileSync(options.cachePath, 'utf8'));
      } catch (copyError) {
        throw new Error(
          `${reason} (and the last-known-good copy ${options.cachePath} was refused too: ${copyError instanceof Error ? copyError.message : copyError})`,
        );
      }
      source.fromCopy = { path: options.cachePath, reason: reason.slice(0, 2000), since: new Date() };
      source.lastError = { message: reason.slice(0, 2000), at: new Date() };
      logger.warn(
        { err: error, copy: options.cachePath, serving: source.current.version },
        'the supergraph source failed at start: serving the last-known-good copy until the source is back',
      );
      return source;
    }
    source.saveCopy(source.current.sdl);
    return source;
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
        sdl = await readSource(this.options);
      } catch (error) {
        this.refuse(error, 'could not read the supergraph');
        return;
      }
      if (sdl === this.lastSeen) {
        // The source is back with the very supergraph the copy held: it is now served from the source.
        if (this.fromCopy && sdl === this.currentVersion.sdl) this.backFromCopy();
        return;
      }
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
      if (this.fromCopy) this.backFromCopy();
      this.saveCopy(sdl);
      // Keep the previous version's mapping: listeners of requests still in flight may look it up.
      for (const [gatewaySdl, version] of this.byGatewaySdl) {
        if (version !== next && version !== previous) this.byGatewaySdl.delete(gatewaySdl);
      }
      this.logger.info({ from: previous.version, to: next.version }, 'supergraph reloaded');
    } finally {
      this.polling = false;
    }
  }

  private backFromCopy(): void {
    this.logger.info({ copy: this.fromCopy?.path, serving: this.currentVersion.version }, 'the supergraph source is back');
    this.fromCopy = null;
    this.lastError = null;
  }

  /**
   * Writes the last-known-good copy: to a temporary file beside it, then renamed over it, so a router that
   * stops (or another that reads it) midway never finds half a supergraph. A failure is logged, never fatal.
   */
  private saveCopy(sdl: string): void {
    const file = this.options.cachePath;
    if (!file) return;
    // Unique per write: routers in containers (each pid 1) may share the folder.
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(temporary, sdl);
      fs.renameSync(temporary, file);
    } catch (error) {
      fs.rmSync(temporary, { force: true });
      this.logger.warn({ err: error, copy: file }, 'could not write the last-known-good copy of the supergraph');
    }
  }

  private refuse(error: unknown, message: string): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.lastError = { message: reason.slice(0, 2000), at: new Date() };
    this.logger.error({ err: error, serving: this.currentVersion.version }, message);
  }
}

async function readSource(options: SupergraphSourceOptions): Promise<string> {
  return options.url ? fetchText(options.url) : fs.readFileSync(options.path, 'utf8');
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.text();
}
