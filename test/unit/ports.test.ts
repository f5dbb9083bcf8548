import { spawn } from 'node:child_process';
import net from 'node:net';
import { freePorts } from '../../scripts/lib/net';
import { listensOn, portConflicts } from '../../scripts/lib/ports';

function listening(port: number): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(port, () => resolve(server));
  });
}

const close = (server: net.Server) => new Promise((resolve) => server.close(resolve));

describe('portConflicts (npm start checks its ports before it starts anything)', () => {
  it('finds nothing wrong with free ports, and leaves them free', async () => {
    const [a, b] = await freePorts(2);
    const claims = [
      { owner: 'the account subgraph', variable: 'ACCOUNT_PORT', port: a },
      { owner: 'the router', variable: 'ROUTER_PORT', port: b },
    ];
    expect(await portConflicts(claims)).toEqual([]);
    await close(await listening(a));
  });

  it('names the variable of a port another listener holds, on any address', async () => {
    const [onAll, onLoopback, free] = await freePorts(3);
    const holders = [
      await listening(onAll),
      await new Promise<net.Server>((resolve) => {
        const server = net.createServer();
        server.listen(onLoopback, '127.0.0.1', () => resolve(server));
      }),
    ];
    try {
      const problems = await portConflicts([
        { owner: 'the product subgraph', variable: 'PRODUCT_PORT', port: onAll },
        { owner: 'the order subgraph', variable: 'ORDER_PORT', port: free },
        { owner: "the router's admin server", variable: 'ROUTER_ADMIN_PORT', port: onLoopback },
      ]);
      expect(problems).toEqual([
        `port ${onAll} (PRODUCT_PORT, the product subgraph) is already in use: stop the process that holds it (an earlier npm start?) or set PRODUCT_PORT to a free port`,
        `port ${onLoopback} (ROUTER_ADMIN_PORT, the router's admin server) is already in use: stop the process that holds it (an earlier npm start?) or set ROUTER_ADMIN_PORT to a free port`,
      ]);
    } finally {
      await Promise.all(holders.map(close));
    }
  });

  it('refuses two processes on one port', async () => {
    const [port] = await freePorts(1);
    expect(
      await portConflicts([
        { owner: 'the account subgraph', variable: 'ACCOUNT_PORT', port },
        { owner: 'the router', variable: 'ROUTER_PORT', port },
      ]),
    ).toEqual([`ACCOUNT_PORT and ROUTER_PORT are both ${port}: give the router a port of its own`]);
  });
});

describe('listensOn (whose answer a health check got)', () => {
  it('tells a port this process listens on from one another process holds (on Linux; elsewhere it cannot tell)', async () => {
    const mine = await listening(0);
    const minePort = (mine.address() as net.AddressInfo).port;
    // Another process listening, as an earlier stack's subgraph would be.
    const other = spawn(
      process.execPath,
      ['-e', "require('net').createServer().listen(0, function () { console.log(this.address().port); })"],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const otherPort = await new Promise<number>((resolve) => other.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim()))));
      const linux = process.platform === 'linux';
      expect(listensOn(process.pid, minePort)).toBe(linux ? true : undefined);
      expect(listensOn(process.pid, otherPort)).toBe(linux ? false : undefined);
      expect(listensOn(other.pid as number, otherPort)).toBe(linux ? true : undefined);
    } finally {
      other.kill();
      await close(mine);
    }
  });
});
