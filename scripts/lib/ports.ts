import fs from 'node:fs';
import net from 'node:net';

/** A port a process of the local stack will listen on, and the variable that sets it. */
export interface PortClaim {
  /** Who listens there, for the message (`the product subgraph`). */
  owner: string;
  variable: string;
  port: number;
}

/** Why `port` cannot be listened on, as a listener without a host (all interfaces, as our servers listen) finds out; null when it can. */
function listenError(port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/**
 * The ports of `claims` that cannot be used, one message each saying which variable sets the port and how to
 * fix it: two claims on the same port, a port another process listens on, a port this user may not open.
 * Port 0 (any free port) never conflicts.
 */
export async function portConflicts(claims: readonly PortClaim[]): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Map<number, PortClaim>();
  for (const claim of claims) {
    if (claim.port === 0) continue;
    const earlier = seen.get(claim.port);
    if (earlier) {
      problems.push(`${earlier.variable} and ${claim.variable} are both ${claim.port}: give ${claim.owner} a port of its own`);
      continue;
    }
    seen.set(claim.port, claim);
    const error = await listenError(claim.port);
    if (!error) continue;
    const what = `port ${claim.port} (${claim.variable}, ${claim.owner})`;
    if (error.code === 'EADDRINUSE') {
      problems.push(
        `${what} is already in use: stop the process that holds it (an earlier npm start?) or set ${claim.variable} to a free port`,
      );
    } else if (error.code === 'EACCES') {
      problems.push(`${what} needs privileges this user does not have: set ${claim.variable} to a port above 1023`);
    } else {
      problems.push(`${what} cannot be opened (${error.code ?? error.message}): set ${claim.variable} to another port`);
    }
  }
  return problems;
}

/** The inodes of the sockets process `pid` has open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/**
 * Whether process `pid` itself listens on TCP `port` (so an answer on that port comes from it), read from
 * Linux's /proc; undefined where there is no /proc to read (the caller then knows only that the process runs).
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  if (!fs.existsSync('/proc/self/net/tcp')) return undefined;
  let inodes: Set<string>;
  try {
    inodes = socketInodes(pid);
  } catch {
    return false; // gone
  }
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    // `sl local_address rem_address st … inode`: local_address is ADDRESS:PORT in hex, st 0A is LISTEN.
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue;
      if (Number.parseInt(fields[1].split(':')[1], 16) === port && inodes.has(fields[9])) return true;
    }
  }
  return false;
}
