import { describe, expect, it, vi } from 'vitest';
import { upstreamV4Of, withUpstreamV4 } from '../../shared/domain/upstream.js';
import { buildEvent } from '../support/events.js';

describe('an event’s upstream v4 copy', () => {
  it('is made when first asked for, once, so reads that never ask do not decompress it', () => {
    const copy = { event_id: 'e', identification: { visitor_id: 'v' } };
    const make = vi.fn(() => copy);
    const event = withUpstreamV4(buildEvent(), make);

    expect(make).not.toHaveBeenCalled();
    expect(upstreamV4Of(event)).toBe(copy);
    expect(upstreamV4Of(event)).toBe(copy);
    expect(make).toHaveBeenCalledTimes(1);
  });

  it('is absent when the copy cannot be made (an unknown format), and not made again', () => {
    const make = vi.fn(() => undefined);
    const event = withUpstreamV4(buildEvent(), make);

    expect(upstreamV4Of(event)).toBeUndefined();
    expect(upstreamV4Of(event)).toBeUndefined();
    expect(make).toHaveBeenCalledTimes(1);
  });

  it('does not travel with a copy of the event object', () => {
    const event = withUpstreamV4(buildEvent(), { event_id: 'e' });
    expect(upstreamV4Of(event)).toEqual({ event_id: 'e' });
    expect(upstreamV4Of({ ...event })).toBeUndefined();
  });
});
