/**
 * The flags the router's `node` runs with, wherever it is started: the Dockerfile's `CMD`, docker-compose's
 * routers, the Kubernetes Deployment, `npm start` and the bench (tests check that each says the same). V8
 * reads them when the process starts, so the entry point cannot set them itself (`v8.setFlagsFromString`
 * after start-up leaves the young generation's size as it was).
 *
 * `--max-semi-space-size=32`: a young generation of 2 × 32 MB instead of Node 20's 2 × 16 MB. Every request
 * allocates its subgraph answers, their merge and the response; with tens of requests in flight, a smaller
 * young generation fills while they are all still alive, so the scavenger copies them and promotes them to the
 * old generation, which then needs mark-compacts. Explored on canned distinct "my orders" on a busy machine,
 * reusing one recording pass (issue 18; bench/README.md, "Garbage collection", to be re-measured before quoting):
 * CPU per request as a ratio to the stock gateway's, median of 12 interleaved rounds, 0.60× with Node's 16 MB,
 * 0.54× with 32 MB, for about 45 MB more peak RSS (350 MB). 64 MB reached 0.51× but peaked at 420 MB, too close
 * to the 512 Mi limit of deploy/kubernetes.
 */
export const ROUTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
