import type { Logger } from '../../shared';
import type { RouterConfig } from '../RouterConfig';
import type { SupergraphSource } from '../supergraph/SupergraphSource';
import { activeGatewayFastPaths, installGatewayFastPaths } from './fastPaths/installGatewayFastPaths';
import type { PackageVersions } from './fastPaths/versionCheck';
import { NamedLabels } from './overrideLabels/overrideLabels';
import { installOverrideLabelHook } from './overrideLabels/plannerHook';

/**
 * Puts in place the gateway internals the router replaces (the fast paths and the planner hook of progressive
 * `@override`), only on the versions they were tested with; the log says which are active (a process-wide install
 * by an earlier router counts too) and why any are not. Also reads the operator's named override labels (a file
 * the router refuses to start with when it is not valid), again at every poll of `source`, since a running
 * process's environment cannot change.
 */
export function installGatewayPatches(
  config: Pick<RouterConfig, 'gatewayFastPaths' | 'overrideLabels'>,
  versions: PackageVersions,
  logger: Logger,
  source: Pick<SupergraphSource, 'onPoll'>,
): { progressiveOverride: boolean; namedLabels: NamedLabels } {
  if (config.gatewayFastPaths) {
    const report = installGatewayFastPaths(versions);
    if (report.refused)
      logger.warn({ active: report.active, reason: report.refused }, 'gateway fast paths off where untested: the stock code serves there');
    else logger.info({ active: report.active }, 'gateway fast paths');
  } else {
    logger.info({ active: activeGatewayFastPaths() }, 'gateway fast paths not installed (ROUTER_GATEWAY_FAST_PATHS=false)');
  }
  let progressiveOverride = false;
  if (config.overrideLabels.enabled) {
    const hook = installOverrideLabelHook(versions);
    progressiveOverride = hook.refused === null;
    if (hook.refused) logger.warn({ reason: hook.refused }, 'progressive @override off: every override label is planned as off');
    else logger.info({ namedLabelsFile: config.overrideLabels.file }, 'progressive @override on: each request’s labels are planned');
  }
  const namedLabels = new NamedLabels(config.overrideLabels.file);
  reloadLabelsOnPoll(namedLabels, source, logger);
  return { progressiveOverride, namedLabels };
}

function reloadLabelsOnPoll(namedLabels: NamedLabels, source: Pick<SupergraphSource, 'onPoll'>, logger: Logger): void {
  source.onPoll(() => {
    const poll = namedLabels.poll();
    if (poll.kind === 'changed') logger.info({ labels: Object.fromEntries(namedLabels.labels) }, 'override labels reloaded');
    else if (poll.kind === 'recovered')
      logger.info({ labels: Object.fromEntries(namedLabels.labels) }, 'OVERRIDE_LABELS_FILE accepted again, as it was');
    // Once per refused content, not at every poll: it is logged again when the file changes.
    else if (poll.kind === 'refused' && !poll.repeated)
      logger.error({ err: poll.error }, 'refused OVERRIDE_LABELS_FILE; the previous setting stays');
  });
}
