/** Connection settings from the environment and Temporal config-file profiles (@temporalio/envconfig). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { temporalConfig } from '../../src/temporal/config';
import { EncryptionCodec } from '../../src/temporal/encryption';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kkachi-envconfig-'));
  writeFileSync(
    join(dir, 'temporal.toml'),
    ['[profile.default]', 'address = "10.0.0.5:7233"', '', '[profile.cloud]', 'address = "kkachi.a1b2c.tmprl.cloud:7233"', 'namespace = "kkachi.a1b2c"', 'api_key = "cloud-key"'].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('defaults to a local dev server with no TLS and no encryption', () => {
  const config = temporalConfig({ TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') });
  expect(config).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'kkachi', activityConcurrency: 4 });
  expect(config.connection.address).toBe('127.0.0.1:7233');
  expect(config.connection.apiKey).toBeUndefined();
  expect(config.workflowBundlePath).toBeUndefined();
});

it('takes a workflow bundle built ahead from KKACHI_WORKFLOW_BUNDLE (empty means unset)', () => {
  const missing = join(dir, 'missing.toml');
  expect(temporalConfig({ TEMPORAL_CONFIG_FILE: missing, KKACHI_WORKFLOW_BUNDLE: '/srv/kkachi/workflow-bundle.js' }).workflowBundlePath).toBe('/srv/kkachi/workflow-bundle.js');
  expect(temporalConfig({ TEMPORAL_CONFIG_FILE: missing, KKACHI_WORKFLOW_BUNDLE: '' }).workflowBundlePath).toBeUndefined();
});

it('reads a profile from the config file (Temporal Cloud: API key and TLS), and the environment overrides it', () => {
  const cloud = temporalConfig({ TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'), TEMPORAL_PROFILE: 'cloud' });
  expect(cloud).toMatchObject({ address: 'kkachi.a1b2c.tmprl.cloud:7233', namespace: 'kkachi.a1b2c' });
  expect(cloud.connection).toMatchObject({ address: 'kkachi.a1b2c.tmprl.cloud:7233', apiKey: 'cloud-key' });
  expect(cloud.connection.tls).toBeTruthy();
  const overridden = temporalConfig({ TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'), TEMPORAL_ADDRESS: '127.0.0.1:9999', TEMPORAL_NAMESPACE: 'ns2' });
  expect(overridden).toMatchObject({ address: '127.0.0.1:9999', namespace: 'ns2' });
  expect(temporalConfig({ TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml') }).address).toBe('10.0.0.5:7233');
});

it('turns payload encryption on with KKACHI_ENCRYPTION_KEY, for the worker and clients alike', async () => {
  const config = temporalConfig({ TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml'), KKACHI_ENCRYPTION_KEY: randomBytes(32).toString('base64'), KKACHI_ENCRYPTION_KEY_ID: 'k9' });
  const [codec] = config.dataConverter.payloadCodecs ?? [];
  expect(codec).toBeInstanceOf(EncryptionCodec);
  const [sealed] = await (codec as EncryptionCodec).encode([{ metadata: {}, data: Buffer.from('x') }]);
  expect(Buffer.from(sealed?.metadata?.['encryption-key-id'] ?? []).toString()).toBe('k9');
});

it('names the setting that is wrong', () => {
  expect(() => temporalConfig({ TEMPORAL_ADDRESS: 'no-port' })).toThrow(/Invalid Temporal configuration: TEMPORAL_ADDRESS: expected host:port/);
  expect(() => temporalConfig({ TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'), TEMPORAL_PROFILE: 'nope' })).toThrow(/profile nope/);
  expect(() => temporalConfig({ KKACHI_ENCRYPTION_KEY: 'short' })).toThrow(/Invalid encryption configuration: KKACHI_ENCRYPTION_KEY/);
});
