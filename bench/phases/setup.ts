/**
 * What every benchmark run starts from: the stack's settings, the functions and their floors built as deployed,
 * dynalite with the event table, the loopback Fingerprint emulator and the fake Secrets Manager and SQS, and the
 * histories the read routes serve with the requestId the enrich functions find cached. `npm run bench` and
 * `npm run bench:cold` both start here.
 */
import path from 'node:path';
import type { FunctionKey } from '../../infra/bundling.js';
import { startDynalite } from '../../local/harness/dynalite.js';
import { startTlsProxy, TLS_CERT_FILE } from '../../local/harness/tls-proxy.js';
import { type Bundles, buildAll } from '../bundles.js';
import { bundleFile, log, RESULTS_DIR, WEBHOOK_SIGNING_SECRET } from '../settings.js';
import {
  type Deployment,
  deployment,
  functionEnvironment,
  LOCAL_SECRET_IDS,
  type LocalResources,
} from '../support/environment.js';
import { startFakeAws } from '../support/fake-aws.js';
import { measureCost } from './cost.js';
import { seedReadData, startBenchUpstream } from './upstream.js';

export interface BenchSetup {
  deployed: Deployment;
  bundles: Bundles;
  dynamo: Awaited<ReturnType<typeof startDynalite>>;
  tableName: string;
  upstream: Awaited<ReturnType<typeof startBenchUpstream>>;
  aws: Awaited<ReturnType<typeof startFakeAws>>;
  /** The histories the read routes serve. */
  data: ReturnType<typeof seedReadData>;
  /** A function's variables as the stack sets them, its resources replaced by their local stand-ins. */
  env(key: FunctionKey, overrides?: Record<string, string>): Record<string, string>;
  /**
   * The same, with every endpoint reached over TLS (`local/harness/tls-proxy.ts`) and its certificate trusted,
   * as a deployed function reaches AWS and Fingerprint: the cold starts run with it, since an `http:` endpoint
   * costs the first call work (undici, on Node 24) that an `https:` one does not.
   */
  tlsEnv(key: FunctionKey): Record<string, string>;
  /** A function's `index.mjs`. */
  fileOf(key: FunctionKey): string;
  close(): Promise<void>;
}

export async function startBench(): Promise<BenchSetup> {
  log('synthesizing the stack for the functions’ settings');
  const deployed = deployment();
  log('building the functions and their floors into bench/results/build');
  const bundles = await buildAll(path.join(RESULTS_DIR, 'build'));

  const dynamo = await startDynalite();
  const tableName = await dynamo.createTable();
  // Every request's arrival, as Fingerprint would count it; in the throughput runs each also waits the run's latency.
  const upstream = await startBenchUpstream();
  const aws = await startFakeAws({
    [LOCAL_SECRET_IDS.FINGERPRINT_SECRET_ID as string]: upstream.emulator.apiKey,
    [LOCAL_SECRET_IDS.FINGERPRINT_WEBHOOK_SECRET_ID as string]: WEBHOOK_SIGNING_SECRET,
  });
  const local: LocalResources = {
    dynamodb: dynamo.endpoint,
    aws: aws.endpoint,
    fingerprint: upstream.emulator.baseUrl,
    tableName,
  };
  const proxies = await Promise.all([local.dynamodb, local.aws, local.fingerprint].map(startTlsProxy));
  const [dynamodbTls, awsTls, fingerprintTls] = proxies.map((proxy) => proxy.url) as [string, string, string];
  const tlsLocal: LocalResources = {
    ...local,
    dynamodb: dynamodbTls,
    aws: awsTls,
    fingerprint: fingerprintTls,
  };
  return {
    deployed,
    bundles,
    dynamo,
    tableName,
    upstream,
    aws,
    data: seedReadData(upstream.emulator),
    env: (key, overrides) => functionEnvironment(deployed.functions[key], local, overrides),
    tlsEnv: (key) => ({
      ...functionEnvironment(deployed.functions[key], tlsLocal),
      NODE_EXTRA_CA_CERTS: TLS_CERT_FILE,
    }),
    fileOf: (key) => bundleFile(bundles.functions[key]),
    close: async () => {
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await aws.close();
      await upstream.emulator.close();
      await dynamo.close();
    },
  };
}

/**
 * Enriches the seeded requestId through the enrich HTTP bundle, counting upstream calls and stored items on the
 * way (the cost phase): afterwards the enrich functions' first call, a cached read, finds it.
 */
export function measureCostAndCache(setup: BenchSetup) {
  log('cost per enriched event: upstream calls, write units');
  return measureCost(setup.data, {
    enrichHttp: setup.fileOf('enrichHttp'),
    tableName: setup.tableName,
    env: setup.env('enrichHttp'),
  });
}
