/**
 * Recordings: how they are keyed and stored, in one place for the bench (which records) and the processes that
 * replay them (`routers/canned.js`, `routers/floor.js`).
 *
 * A subgraph answer depends on the request body **and on who asks**: the root fetch of "my orders" has the same
 * body for every user (the user travels in `x-user-id`), so a key on the body alone would give every user the
 * first user's orders. Both keys therefore hold the identity headers the routers forward to subgraphs.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const readline = require('node:readline');

/** The headers that say who a subgraph request is for (the routers set them from the caller's identity). */
const IDENTITY_HEADERS = ['x-user-id', 'x-user-scopes'];

const headerValue = (headers, name) => {
  const value = headers[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : '';
};

/** A subgraph request: its path (`/<subgraph>/graphql`), its identity headers (Node's lower-cased headers) and body. */
function subgraphRequestKey(path, headers, body) {
  const hash = crypto.createHash('sha1').update(path).update('\n');
  for (const name of IDENTITY_HEADERS) hash.update(headerValue(headers, name)).update('\n');
  return hash.update(body).digest('hex');
}

/** A client request to the floor: the signed-in user (`x-user-id`, '' when anonymous) and the body. */
function clientRequestKey(userId, body) {
  return crypto
    .createHash('sha1')
    .update(userId ?? '')
    .update('\n')
    .update(body)
    .digest('hex');
}

/**
 * Writes `entries` (an iterable of JSON-able objects) to `file`, one JSON line each: recordings of a thousand
 * users' orders are hundreds of MB, more than one JSON string should hold.
 */
function writeJsonLines(file, entries) {
  const fd = fs.openSync(file, 'w');
  try {
    for (const entry of entries) fs.writeSync(fd, `${JSON.stringify(entry)}\n`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Calls `onEntry` with each line of a `writeJsonLines` file, parsed; resolves with the number of lines. */
async function readJsonLines(file, onEntry) {
  let count = 0;
  for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.length === 0) continue;
    onEntry(JSON.parse(line));
    count += 1;
  }
  return count;
}

module.exports = { IDENTITY_HEADERS, subgraphRequestKey, clientRequestKey, writeJsonLines, readJsonLines };
