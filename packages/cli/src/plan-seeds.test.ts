import type { Connector, Task } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { planSeeds, type SeedPlanInput } from './plan-seeds.js';

type SinceTask = Task & { readonly since?: string };

/** A connector whose seeds say which `since` they ask from. */
function connector(incremental: boolean, lookBackMs?: number): Connector<SinceTask, { id: string }> {
  return {
    name: 'fake',
    description: 'a fake connector',
    params: [],
    credential: { envVar: 'FAKE_TOKEN', reference: 'env:FAKE_TOKEN' },
    defaultRate: 'off',
    seeds: () => [{ type: 'fake.list' }],
    ...(incremental
      ? {
          incremental: {
            cursorField: 'created',
            seedsSince: (_params, since) => [{ type: 'fake.list', since: since.toISOString() }],
            ...(lookBackMs === undefined ? {} : { lookBackMs }),
          },
        }
      : {}),
    createHandler: () => async (task) => ({ task, data: [], nextTasks: [] }),
    limiterKey: () => 'fake',
    recordKey: (record) => record.id,
  };
}

const input = (overrides: Partial<SeedPlanInput> = {}): SeedPlanInput => ({
  disposition: 'merge',
  resumed: false,
  resumedSince: undefined,
  watermark: undefined,
  since: undefined,
  lookBackMs: undefined,
  ...overrides,
});

describe('planSeeds', () => {
  it('is a full refresh, and says so, for a connector without a cursor field', () => {
    const plan = planSeeds(connector(false), {}, input({ watermark: '2026-11-01T00:00:00.000Z' }));

    expect(plan).toMatchObject({ since: undefined, seeds: [{ type: 'fake.list' }] });
    expect(plan.reason).toBe('full refresh: fake has no cursor field');
  });

  it('asks from the watermark less the look-back, never from now', () => {
    const plan = planSeeds(connector(true, 60_000), {}, input({ watermark: '2026-11-01T12:00:00.000Z' }));

    expect(plan.since).toBe('2026-11-01T11:59:00.000Z');
    expect(plan.seeds).toEqual([{ type: 'fake.list', since: '2026-11-01T11:59:00.000Z' }]);
  });

  it('takes --look-back over the connector’s, and --since over the watermark', () => {
    const watermark = '2026-11-01T12:00:00.000Z';

    expect(planSeeds(connector(true, 60_000), {}, input({ watermark, lookBackMs: 3_600_000 })).since).toBe(
      '2026-11-01T11:00:00.000Z',
    );
    expect(
      planSeeds(connector(true, 60_000), {}, input({ watermark, since: new Date('2026-10-01T00:00:00Z') }))
        .since,
    ).toBe('2026-10-01T00:00:00.000Z');
  });

  it('asks a resumed run from what it first asked, whatever the watermark or --since say now', () => {
    const plan = planSeeds(
      connector(true),
      {},
      input({
        resumed: true,
        resumedSince: '2026-10-05T00:00:00.000Z',
        watermark: '2026-11-01T00:00:00.000Z',
        since: new Date('2026-01-01T00:00:00Z'),
      }),
    );

    expect(plan.since).toBe('2026-10-05T00:00:00.000Z');
  });

  it('is a full refresh for replace and append, and for a job with no finished run yet', () => {
    const watermark = '2026-11-01T00:00:00.000Z';

    expect(
      planSeeds(connector(true), {}, input({ disposition: 'replace', watermark })).since,
    ).toBeUndefined();
    expect(planSeeds(connector(true), {}, input({ disposition: 'append', watermark })).since).toBeUndefined();
    expect(planSeeds(connector(true), {}, input()).reason).toMatch(/full refresh: no finished run yet/);
  });
});
