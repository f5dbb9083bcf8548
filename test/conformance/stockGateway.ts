import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

/** A stock gateway serving one supergraph, or the error it refused the supergraph with. */
export type StockGateway = { url: string; refused?: undefined } | { url?: undefined; refused: string };

interface Reply {
  id?: number;
  ready?: boolean;
  url?: string;
  refused?: string;
  error?: string;
  [key: string]: unknown;
}

/**
 * The reference: stock `@apollo/gateway` + `@apollo/server` in a child process (`stockGatewayProcess.js`),
 * which never loads the router and so never gets its patches. One process serves the gateways of a whole
 * test file, each on a port of its own.
 */
export class StockGateways {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => {
      if (reply.id === undefined) return;
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  static async launch(): Promise<StockGateways> {
    // execArgv empty: the jest worker's own flags are not the reference's business.
    const child = fork(path.join(__dirname, 'stockGatewayProcess.js'), [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'test' },
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', (message: Reply) => (message.ready ? resolve() : reject(new Error('unexpected first message'))));
      child.once('exit', (code) => reject(new Error(`the stock gateway process exited with ${code}`)));
    });
    return new StockGateways(child);
  }

  private call(message: Record<string, unknown>): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (reply) => (reply.error ? reject(new Error(reply.error)) : resolve(reply)));
      this.child.send({ ...message, id });
    });
  }

  /** Starts a stock gateway on `supergraphSdl`; a supergraph it refuses comes back as `refused`. */
  async start(supergraphSdl: string): Promise<StockGateway & { stop(): Promise<void> }> {
    const reply = await this.call({ type: 'start', supergraphSdl });
    const stop = async () => {
      if (reply.url) await this.call({ type: 'stop', server: reply.id });
    };
    if (reply.refused !== undefined) return { refused: reply.refused, stop };
    return { url: String(reply.url), stop };
  }

  /** The source text of the gateway internals the router's fast paths replace, as the stock process has them. */
  async fingerprint(): Promise<{ computeResponse: string; operationFromDocument: string; sendRequest: string }> {
    const reply = await this.call({ type: 'fingerprint' });
    return {
      computeResponse: String(reply.computeResponse),
      operationFromDocument: String(reply.operationFromDocument),
      sendRequest: String(reply.sendRequest),
    };
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}
