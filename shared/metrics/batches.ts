/** Listeners for DataLoader batches: loader name and how many keys the batch carried. */
const listeners = new Set<(loader: string, size: number) => void>();

/** Reports one DataLoader batch (called by every batch function, through `tracedBatch`). */
export function recordBatch(loader: string, size: number): void {
  for (const listener of listeners) listener(loader, size);
}

/** Subscribes to batches; returns the unsubscribe. */
export function onBatch(listener: (loader: string, size: number) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
