'use strict';
/**
 * Hive Gateway's configuration for the bench (`hive-gateway supergraph <file> -c routers/hive.config.cjs`):
 * its defaults, plus the same two changes as the stock gateway's: the router credential and the caller's
 * identity headers on every subgraph request.
 */
const secret = process.env.BENCH_SUBGRAPH_SECRET;

exports.gatewayConfig = {
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      return {
        'x-router-credential': secret,
        'x-user-id': request.headers.get('x-user-id'),
        'x-user-scopes': request.headers.get('x-user-scopes'),
      };
    },
  },
};
