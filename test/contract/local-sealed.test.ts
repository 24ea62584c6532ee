import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../local/app.js';
import { loadLocalConfig } from '../../local/config.js';
import { newSealingKey, sealJson, v3ExampleEvent, v4ExampleEvent } from '../../local/harness/sealing.js';
import { ConfigError } from '../../shared/config/env.js';
import { createLogger } from '../../shared/observability/logger.js';

/**
 * The local server opens sealed results with the keys of `FINGERPRINT_SEALED_KEYS`, on `POST /enrich` and on
 * the local queue, over real HTTP, with no call to its sandbox Server API.
 */
describe('local server: sealed client results', () => {
  const [current, next] = [newSealingKey(), newSealingKey()];
  let server: LocalServer;

  beforeAll(async () => {
    const command = loadLocalConfig(['--in-memory', '--sandbox'], {
      PORT: '0',
      LOG_LEVEL: 'SILENT',
      FINGERPRINT_SEALED_KEYS: `${current.toString('base64')}, ${next.toString('base64')}`,
    });
    if (command.kind !== 'run') throw new Error('the local config did not give a run');
    server = await startLocalServer(command.config, createLogger('SILENT'));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const post = (route: string, body: unknown) =>
    fetch(`${server.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('stores a sealed result sent to POST /enrich, and serves it from the cache', async () => {
    const ids = { requestId: `${Date.now()}.LocSe1`, visitorId: 'LocalSealedVisitor001' };
    const response = await post('/enrich', { sealedResult: sealJson(v4ExampleEvent(ids), next) });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      source: 'sealed',
      stored: 1,
      events: [{ ...ids, source: 'sealed' }],
    });
    const read = await fetch(`${server.url}/events/${ids.requestId}`);
    expect(read.headers.get('x-event-source')).toBe('cache');
  });

  it('opens one on the local queue, and dead-letters a spoiled one with its code', async () => {
    const ids = { requestId: `${Date.now()}.LocSe2`, visitorId: 'LocalSealedVisitor002' };
    const response = await post('/_local/queue/enrich', {
      records: [
        { sealedResult: sealJson(v3ExampleEvent(ids), current) },
        { sealedResult: sealJson(v3ExampleEvent(ids), newSealingKey()) },
      ],
    });
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toContain('SealedResultUndecryptable');
    const read = await fetch(`${server.url}/events/${ids.requestId}`);
    expect(read.headers.get('x-event-source')).toBe('cache');
  });

  it('refuses an unusable FINGERPRINT_SEALED_KEYS at start, naming it and the key, never its value', () => {
    const good = current.toString('base64');
    const start = () => loadLocalConfig([], { FINGERPRINT_SEALED_KEYS: `${good},c2hvcnQta2V5` });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/Key 2 of FINGERPRINT_SEALED_KEYS\b/);
    expect(start).not.toThrow(/c2hvcnQta2V5/);
    expect(start).not.toThrow(new RegExp(good.slice(0, 12).replace(/[+/]/g, '\\$&')));
  });
});
