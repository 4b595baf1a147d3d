import { useState, type FormEvent } from 'react';
import { api, ApiError, authGate } from '../api';

/** Shown over the page when the API answers 401; the waiting requests resume after login. */
export function LoginForm() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(username, password);
      authGate.loggedIn();
    } catch (caught) {
      setError(caught instanceof ApiError && caught.status === 401 ? 'Wrong user name or password.' : String((caught as Error).message));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-backdrop">
      <form className="login card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand brand--large" aria-hidden="true">
          <span className="brand__mark" />
          Facecloud
        </div>
        <h1 id="login-title">Sign in</h1>
        <label className="field">
          <span>User name</span>
          <input autoFocus autoComplete="username" value={username} onChange={(event) => setUsername(event.target.value)} required />
        </label>
        <label className="field">
          <span>Password</span>
          <input type="password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.target.value)} required />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
