import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, InfraConfigError, isDevStage, loadConfig } from '../../infra/config.js';
import { CDK_JSON_CONTEXT } from './support.js';

const fromContext = (context: Record<string, unknown>) => loadConfig((key) => context[key]);

const DEFAULTS = {
  stage: 'dev',
  fingerprintRegion: 'us',
  fingerprintApiVersion: 'v4',
  fingerprintMaxRps: 5,
  fingerprintHistoryDays: 30,
  eventTtlDays: 90,
  accessLogPathsEnabled: true,
  logRetentionDays: 30,
  logLevel: 'INFO',
  secretCacheSeconds: 300,
  allowedPrincipals: [],
  corsAllowOrigins: [],
  apiThrottleRateLimit: 50,
  apiThrottleBurstLimit: 100,
  readThroughEnabled: true,
  storeUpstreamEvents: true,
  upstreamErasureEnabled: false,
  webhookBasicAuthEnabled: false,
  webhookThrottleRateLimit: 50,
  webhookThrottleBurstLimit: 100,
  webhookAllowedSourceCidrs: [],
  webhookMaxEventAgeSeconds: 3600,
};

describe('deployment config', () => {
  it('applies the documented defaults when nothing is set', () => {
    expect(fromContext({})).toEqual(DEFAULTS);
  });

  it('lists every setting in cdk.json, with the same defaults', () => {
    for (const key of CONFIG_KEYS) expect(CDK_JSON_CONTEXT).toHaveProperty(key);
    expect(fromContext(CDK_JSON_CONTEXT)).toEqual(DEFAULTS);
  });

  it('reads -c overrides, which arrive as text', () => {
    const config = fromContext({
      stage: 'prod',
      fingerprintRegion: 'eu',
      fingerprintApiVersion: 'v3',
      fingerprintMaxRps: '20',
      fingerprintHistoryDays: '90',
      logRetentionDays: '365',
      logLevel: 'debug',
      allowedPrincipals: '111122223333, arn:aws:iam::444455556666:role/orders',
      corsAllowOrigins: '["https://a.example.com","https://b.example.com"]',
      alarmEmail: 'ops@example.com',
    });
    expect(config).toMatchObject({
      stage: 'prod',
      fingerprintRegion: 'eu',
      fingerprintApiVersion: 'v3',
      fingerprintMaxRps: 20,
      fingerprintHistoryDays: 90,
      logRetentionDays: 365,
      logLevel: 'DEBUG',
      allowedPrincipals: ['111122223333', 'arn:aws:iam::444455556666:role/orders'],
      corsAllowOrigins: ['https://a.example.com', 'https://b.example.com'],
      alarmEmail: 'ops@example.com',
    });
  });

  it('reads the access log path switch from a cdk.json boolean and -c text', () => {
    expect(fromContext({ accessLogPathsEnabled: false }).accessLogPathsEnabled).toBe(false);
    expect(fromContext({ accessLogPathsEnabled: 'false' }).accessLogPathsEnabled).toBe(false);
    expect(() => fromContext({ accessLogPathsEnabled: 'no' })).toThrow(/accessLogPathsEnabled/);
  });

  it('keeps a cdk.json list as given, so an item may hold a comma (an IAM role name may)', () => {
    const principals = ['arn:aws:iam::444455556666:role/orders,eu', '111122223333'];
    expect(fromContext({ allowedPrincipals: principals }).allowedPrincipals).toEqual(principals);
    expect(fromContext({ allowedPrincipals: JSON.stringify(principals) }).allowedPrincipals).toEqual(
      principals,
    );
    expect(() => fromContext({ allowedPrincipals: [111122223333] })).toThrow(/allowedPrincipals\.0:/);
  });

  it('treats an empty value as not set', () => {
    expect(
      fromContext({
        alarmEmail: '',
        fingerprintSecretArn: '',
        webhookSecretArn: '',
        sealedKeysSecretArn: '',
        allowedPrincipals: '',
        webhookAllowedSourceCidrs: '',
      }),
    ).toEqual(DEFAULTS);
  });

  it('reads the webhook, read-through and erasure switches from cdk.json booleans and -c text', () => {
    const fromText = fromContext({
      readThroughEnabled: 'false',
      storeUpstreamEvents: 'false',
      upstreamErasureEnabled: 'true',
      webhookBasicAuthEnabled: 'true',
      webhookThrottleRateLimit: '200',
      webhookThrottleBurstLimit: '400',
      webhookSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fp-webhook-AbC123',
    });
    expect(fromText).toMatchObject({
      readThroughEnabled: false,
      storeUpstreamEvents: false,
      upstreamErasureEnabled: true,
      webhookBasicAuthEnabled: true,
      webhookThrottleRateLimit: 200,
      webhookThrottleBurstLimit: 400,
      webhookSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fp-webhook-AbC123',
    });
    expect(fromContext({ readThroughEnabled: false, upstreamErasureEnabled: true })).toMatchObject({
      readThroughEnabled: false,
      upstreamErasureEnabled: true,
    });
  });

  it.each([
    ['fingerprintRegion', 'asia'],
    ['fingerprintApiVersion', 'v5'],
    ['fingerprintMaxRps', '0'],
    ['fingerprintMaxRps', '1'],
    ['fingerprintMaxRps', '2.5'],
    ['logRetentionDays', '31'],
    ['logRetentionDays', '9999'],
    ['eventTtlDays', '0'],
    ['fingerprintHistoryDays', '0'],
    ['fingerprintHistoryDays', '3651'],
    ['fingerprintHistoryDays', '7.5'],
    ['stage', 'Prod!'],
    ['allowedPrincipals', 'everyone'],
    ['alarmEmail', 'not-an-address'],
    ['fingerprintSecretArn', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fingerprint'],
    ['corsAllowOrigins', '*'],
    // Browsers send an origin without a path or trailing slash: such an entry would never match.
    ['corsAllowOrigins', 'https://app.example.com/'],
    // The key travels with every call: plain http only to this machine.
    ['fingerprintBaseUrl', 'http://fingerprint-proxy.example.com'],
    ['wafWebAclArn', 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1'],
    ['readThroughEnabled', 'yes'],
    ['storeUpstreamEvents', 'no'],
    ['upstreamErasureEnabled', 1],
    ['webhookSecretArn', 'fp-webhook'],
    ['sealedKeysSecretArn', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sealed-keys'],
    ['webhookThrottleRateLimit', '0'],
    ['webhookAllowedSourceCidrs', '203.0.113.7'],
    ['webhookAllowedSourceCidrs', '203.0.113.0/33'],
    ['webhookAllowedSourceCidrs', ['203.0.113.0/24', 'fingerprint.com']],
    ['webhookAllowedSourceCidrs', '2001:db8::/129'],
    ['webhookMaxEventAgeSeconds', '300'],
    ['webhookMaxEventAgeSeconds', '86401'],
  ])('rejects %s=%j, naming the key', (key, value) => {
    expect(() => fromContext({ [key]: value })).toThrow(InfraConfigError);
    expect(() => fromContext({ [key]: value })).toThrow(new RegExp(`${key}(\\.\\d+)?:`));
  });

  it('reads the webhook source ranges (IPv4 and IPv6) and event age from cdk.json lists and -c text', () => {
    const ranges = ['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32'];
    expect(fromContext({ webhookAllowedSourceCidrs: ranges, webhookMaxEventAgeSeconds: 900 })).toMatchObject({
      webhookAllowedSourceCidrs: ranges,
      webhookMaxEventAgeSeconds: 900,
    });
    expect(fromContext({ webhookAllowedSourceCidrs: ranges.join(', ') }).webhookAllowedSourceCidrs).toEqual(
      ranges,
    );
  });

  it('says what a webhook source range should look like', () => {
    expect(() => fromContext({ webhookAllowedSourceCidrs: 'hooks.fingerprint.com' })).toThrow(
      /webhookAllowedSourceCidrs\.0: expected an IPv4 or IPv6 CIDR range such as 203\.0\.113\.0\/24/,
    );
  });

  it('rejects a throttling burst below the steady rate', () => {
    expect(() => fromContext({ apiThrottleRateLimit: 100, apiThrottleBurstLimit: 10 })).toThrow(
      /apiThrottleBurstLimit/,
    );
    expect(() => fromContext({ webhookThrottleRateLimit: 100, webhookThrottleBurstLimit: 10 })).toThrow(
      /webhookThrottleBurstLimit/,
    );
  });

  it('treats dev and dev-<name> as disposable stages, and nothing else', () => {
    expect(['dev', 'dev-alice', 'prod', 'staging', 'devops'].map(isDevStage)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
