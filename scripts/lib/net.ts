import net from 'node:net';

/** Free TCP ports, found by letting the OS pick and closing again (for processes started by scripts and tests). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve) => {
          const server = net.createServer();
          server.listen(0, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * A TCP relay to a database server whose connections can be cut: `cut()` destroys every connection and refuses
 * new ones (the database "goes away"), `restore()` lets them through again. For fault tests and the soak.
 */
export async function startCuttableRelay(host: string, port: number) {
  const sockets = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The ports of a local supergraph: the router's public and admin ports, and each subgraph's. */
export interface SupergraphPorts {
  router: number;
  admin: number;
  account: number;
  product: number;
  order: number;
}

/**
 * Free ports for the four processes, and the variables that give each its port and point the router (and the
 * order subgraph's product API client) at the others on 127.0.0.1.
 */
export async function localSupergraphEnv(): Promise<{ ports: SupergraphPorts; env: Record<string, string> }> {
  const [router, admin, account, product, order] = await freePorts(5);
  return {
    ports: { router, admin, account, product, order },
    env: {
      ROUTER_PORT: String(router),
      ROUTER_ADMIN_PORT: String(admin),
      ACCOUNT_PORT: String(account),
      PRODUCT_PORT: String(product),
      ORDER_PORT: String(order),
      ACCOUNT_URL: `http://127.0.0.1:${account}/graphql`,
      PRODUCT_URL: `http://127.0.0.1:${product}/graphql`,
      ORDER_URL: `http://127.0.0.1:${order}/graphql`,
      PRODUCT_INTERNAL_URL: `http://127.0.0.1:${product}`,
    },
  };
}
