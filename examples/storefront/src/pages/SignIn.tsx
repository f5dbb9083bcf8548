import { useState } from 'react';
import { navigate } from '../routing';
import { signInAsDevelopmentUser } from '../session';

/** Development sign-in: pick a seeded user; the storefront's server signs a short-lived token for it. */
export function SignIn({ reason }: { reason: string | null }) {
  const [userId, setUserId] = useState('1');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <section className="sign-in" data-testid="sign-in">
      <h1>Sign in</h1>
      {reason === 'expired' ? (
        <p className="problem" data-testid="sign-in-reason">
          Your session has expired or is not valid: please sign in again.
        </p>
      ) : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setProblem(null);
          signInAsDevelopmentUser(userId).then(
            () => navigate('/orders'),
            (error: unknown) => setProblem(error instanceof Error ? error.message : String(error)),
          );
        }}
      >
        <label>
          Development user id <input name="userId" value={userId} onChange={(event) => setUserId(event.target.value.trim())} />
        </label>{' '}
        <button type="submit">Sign in</button>
      </form>
      <p className="muted">Development only: the store's server signs a token with the router's development secret.</p>
      {problem ? <p className="problem">{problem}</p> : null}
    </section>
  );
}
