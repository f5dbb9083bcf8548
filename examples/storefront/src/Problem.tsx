import { useEffect, useRef, useState } from 'react';
import { describe, type Problem } from './errors';

/**
 * Shows an error as a person wants it. Told to wait (429 THROTTLED, 503 OVERLOADED), it counts down the
 * router's Retry-After and then calls `retry` by itself: the client backs off as long as it was told, no less.
 */
export function ProblemNotice({ error, retry }: { error: unknown; retry?: () => void }) {
  const problem: Problem = describe(error);
  const waitSeconds = problem.kind === 'wait' ? problem.seconds : 0;
  const retryLater = useRef(retry);
  retryLater.current = retry;
  const [left, setLeft] = useState(waitSeconds);
  useEffect(() => {
    if (!error || waitSeconds === 0) return undefined;
    setLeft(waitSeconds);
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = waitSeconds - Math.floor((Date.now() - started) / 1000);
      setLeft(Math.max(0, remaining));
      if (remaining <= 0) {
        clearInterval(timer);
        retryLater.current?.();
      }
    }, 250);
    return () => clearInterval(timer);
  }, [error, waitSeconds]);
  if (problem.kind === 'wait') {
    return (
      <p className="problem" role="status" data-testid="problem">
        {problem.message} Try again in {left} s{retry ? ': the page will retry by itself.' : '.'}
      </p>
    );
  }
  return (
    <p className="problem" role="alert" data-testid="problem">
      {problem.message}{' '}
      {retry && problem.kind !== 'sign-in' ? (
        <button type="button" onClick={retry}>
          Retry
        </button>
      ) : null}
    </p>
  );
}
