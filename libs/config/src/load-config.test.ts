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
