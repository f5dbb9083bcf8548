/** The bench's own HTTP client (one keep-alive pool): requests outside the measured load. */
const { Agent, request } = require('undici');

const agent = new Agent({ connections: 16, keepAliveTimeout: 2_000 });

async function post(url, body, headers = {}) {
  const started = process.hrtime.bigint();
  const response = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.body.text();
  return { status: response.statusCode, text, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function getOk(url) {
  const response = await request(url, { dispatcher: agent });
  await response.body.dump();
  return response.statusCode === 200;
}

async function getJson(url) {
  const response = await request(url, { dispatcher: agent });
  return response.body.json();
}

async function getText(url) {
  const response = await request(url, { dispatcher: agent });
  return response.body.text();
}

module.exports = { agent, post, getOk, getJson, getText };
