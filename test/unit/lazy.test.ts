import { describe, expect, it } from 'vitest';
import { lazyDeadLetterQueue } from '../../functions/enrich/dead-letter.js';
import { buildSqsEvent } from '../../local/harness/sqs-events.js';
import { lazily, loadDeferred } from '../../shared/runtime/lazy.js';

describe('lazily', () => {
  it('loads nothing until the first call, then once for every caller, also concurrent ones', async () => {
    let loads = 0;
    const load = lazily(async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { client: loads };
    });
    expect(loads).toBe(0);
    const answers = await Promise.all(Array.from({ length: 20 }, () => load()));
    expect(loads).toBe(1);
    expect(new Set(answers).size).toBe(1);
    expect(await load()).toBe(answers[0]);
    expect(loads).toBe(1);
  });

  it('tries again after a failed load instead of keeping the failure for the instance’s life', async () => {
    let attempts = 0;
    const load = lazily(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('chunk not readable');
      return 'loaded';
    });
    // Every caller of the failed attempt sees its error…
    const failed = await Promise.allSettled([load(), load()]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    // …and the next call loads again.
    expect(await load()).toBe('loaded');
    expect(await load()).toBe('loaded');
    expect(attempts).toBe(2);
  });

  it('leaves no unhandled rejection when a failed load is started and never awaited', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      let failed!: () => void;
      const failure = new Promise<void>((resolve) => {
        failed = resolve;
      });
      let attempts = 0;
      const load = lazily(async () => {
        attempts += 1;
        await new Promise((resolve) => setImmediate(resolve));
        // Only the first attempt fails, as the loaders of this module instance are all run by loadDeferred below.
        if (attempts > 1) return 'loaded';
        failed();
        throw new Error('chunk not readable');
      });
      // A caller starts the load ahead of time, then gives up on its call before awaiting it.
      load();
      await failure;
      // Node reports an unhandled rejection once the microtasks after it have run.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});

describe('loadDeferred', () => {
  it('runs every loader now, once, and later calls reuse what it loaded', async () => {
    let loads = 0;
    const load = lazily(async () => {
      loads += 1;
      return { loaded: loads };
    });
    await loadDeferred();
    expect(loads).toBe(1);
    expect(await load()).toEqual({ loaded: 1 });
    await loadDeferred();
    expect(loads).toBe(1);
  });
});

describe('lazyDeadLetterQueue', () => {
  it('builds the queue on its first record only, and sends every record through it', async () => {
    const sent: string[] = [];
    let built = 0;
    const queue = lazyDeadLetterQueue(
      lazily(async () => {
        built += 1;
        return {
          send: async (record) => {
            sent.push(record.messageId);
          },
        };
      }),
    );
    expect(built).toBe(0);
    const { Records } = buildSqsEvent(['{"requestId": "bad"}', '{}']);
    await Promise.all(
      Records.map((record) => queue.send(record, { code: 'ValidationFailed', message: 'x' })),
    );
    expect(built).toBe(1);
    expect(sent.sort()).toEqual(Records.map((record) => record.messageId).sort());
  });
});
