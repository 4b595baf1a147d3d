import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppConfig } from '@facecloud/config';
import { LoginThrottle, type LoginAdmission } from './login-throttle';

const throttle = () =>
  new LoginThrottle({ AUTH_LOGIN_MAX_FAILURES: 3, AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: 5 } as AppConfig);
const admitted = (admission: LoginAdmission) => {
  assert.ok(admission.admitted, JSON.stringify(admission));
  return admission.reservation;
};

test('attempts are counted when admitted: the limit holds before any of them is settled', () => {
  const limits = throttle();
  const now = 1_000_000;
  for (let i = 0; i < 3; i++) admitted(limits.admit('alice', '10.0.0.1', now));
  const refused = limits.admit('Alice', '10.0.0.1', now + 60_000);
  assert.deepEqual(refused, { admitted: false, limitedBy: 'user', retryAfterSeconds: 14 * 60 });
  // Another address has its own count for the name; the window ends after 15 minutes.
  admitted(limits.admit('alice', '10.0.0.2', now));
  admitted(limits.admit('alice', '10.0.0.1', now + 15 * 60_000));
});

test('per address: every name counts, unknown ones too; success and cancellation give the attempt back', () => {
  const limits = throttle();
  const now = 2_000_000;
  const first = admitted(limits.admit('bob', '10.0.0.9', now));
  first.succeeded();
  first.succeeded(); // settling twice changes nothing
  admitted(limits.admit('nobody-1', '10.0.0.9', now)).cancelled();
  for (let i = 0; i < 5; i++) admitted(limits.admit(`nobody-${i}`, '10.0.0.9', now));
  const refused = limits.admit('bob', '10.0.0.9', now);
  assert.equal(refused.admitted, false);
  assert.equal(!refused.admitted && refused.limitedBy, 'address');
  admitted(limits.admit('bob', '10.0.0.10', now));
});

test("success clears the name's failures from that address, as a correct password always did", () => {
  const limits = throttle();
  const now = 3_000_000;
  admitted(limits.admit('carol', '10.0.0.3', now));
  admitted(limits.admit('carol', '10.0.0.3', now));
  admitted(limits.admit('carol', '10.0.0.3', now)).succeeded();
  for (let i = 0; i < 2; i++) admitted(limits.admit('carol', '10.0.0.3', now));
  admitted(limits.admit('carol', '10.0.0.3', now));
  assert.equal(limits.admit('carol', '10.0.0.3', now).admitted, false);
});
