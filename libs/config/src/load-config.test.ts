import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './load-config';

test('defaults describe the embedded mode', () => {
  const config = loadConfig({});
  assert.equal(config.DATABASE_URL, undefined);
  assert.equal(config.KAFKA_BROKERS, undefined);
  assert.equal(config.PORT, 3000);
  assert.equal(config.MIGRATE_ON_START, true);
});

test('values are coerced and empty strings count as unset', () => {
  const config = loadConfig({ PORT: '8080', DATABASE_URL: '', MIGRATE_ON_START: 'false' });
  assert.equal(config.PORT, 8080);
  assert.equal(config.DATABASE_URL, undefined);
  assert.equal(config.MIGRATE_ON_START, false);
});

test('a bad value stops start-up with a message naming every bad setting', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', ORT_PROVIDER: 'tpu' }),
    (error: unknown) =>
      error instanceof ConfigError && /PORT/.test(error.message) && /ORT_PROVIDER/.test(error.message),
  );
});

test('TRUST_PROXY: off by default, hops or proxy addresses; "true" and non-addresses are refused', () => {
  assert.equal(loadConfig({}).TRUST_PROXY, false);
  assert.equal(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY, false);
  assert.equal(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY, 1);
  assert.deepEqual(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).TRUST_PROXY, ['loopback', '10.0.0.0/8', 'fd00::1']);
  for (const value of ['true', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/8']) {
    assert.throws(() => loadConfig({ TRUST_PROXY: value }), (error: unknown) => error instanceof ConfigError && /TRUST_PROXY/.test(error.message), value);
  }
  assert.throws(() => loadConfig({ TRUST_PROXY: 'true' }), /would trust X-Forwarded-For from anyone/);
});
