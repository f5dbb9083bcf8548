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
 *
 * `--heap-growing-percent=100`: after each full collection the old generation may grow to 2 × what survived,
 * instead of the factor V8 computes from its collection and allocation speeds (larger for a process that allocates
 * fast, as a router at full speed does). Issue 18 asks for peak RSS at most the stock gateway's + 20 %; without it
 * ours peaked at 359–371 MB against stock's 240–245 on canned distinct (quiet machine, full run). With 100, the
 * committed full run: 246–259 MB against 239–253, CPU per request 0.32–0.52× stock's over the four operations; with
 * 50: 220–227 MB but 0.45–0.56× (bench/README.md, "Garbage collection").
 */
export const ROUTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32', '--heap-growing-percent=100'];
