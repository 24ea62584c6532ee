import { startFakeFingerprint } from '../../local/fingerprint-emulator/index.js';
import { createFingerprintClient } from '../../shared/fingerprint/client.js';
import { StaticKeyProvider } from '../../shared/fingerprint/secret.js';
import { buildEvent } from '../support/events.js';
import { FakeFingerprintClient } from '../support/fakes.js';
import { describeFingerprintClientPort } from './fingerprint-client-port.js';

for (const apiVersion of ['v4', 'v3'] as const) {
  describeFingerprintClientPort(
    `the HTTP client (${apiVersion}) on the loopback Server API`,
    async (options) => {
      const upstream = await startFakeFingerprint();
      upstream.seed(options.events);
      const client = createFingerprintClient({
        apiVersion,
        baseUrl: upstream.baseUrl,
        keys: new StaticKeyProvider(upstream.apiKey),
        maxRps: Number.POSITIVE_INFINITY,
        historyDays: options.historyDays,
      });
      return { client, close: () => upstream.close() };
    },
  );
}

describeFingerprintClientPort('the fake of the use-case tests', async ({ events, historyDays }) => ({
  client: new FakeFingerprintClient(
    events.map((event) => buildEvent(event)),
    { historyDays },
  ),
}));
