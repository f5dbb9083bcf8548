/** The running SDK's flush-and-stop, set by `startTelemetry`; kept apart so that importing it loads no SDK. */
let stopSdk: (() => Promise<void>) | null = null;

export function setTelemetryShutdown(stop: (() => Promise<void>) | null): void {
  stopSdk = stop;
}

/** Whether this process started the OpenTelemetry SDK (an OTLP endpoint is configured). */
export function telemetryStarted(): boolean {
  return stopSdk !== null;
}

/**
 * Flushes the spans still buffered and stops the SDK; call it last on the way out, after the servers have
 * stopped (their last spans end there). Never throws and never waits more than `timeoutMs` (a collector that
 * is down must not hold the process up). Does nothing when telemetry is off or already shut down.
 */
export async function shutdownTelemetry(timeoutMs = 5_000): Promise<void> {
  const stop = stopSdk;
  stopSdk = null;
  if (!stop) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    stop().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
