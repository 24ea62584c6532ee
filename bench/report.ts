/** The report `npm run bench` prints: the figures of a run as tables, each next to its target. */
import type { Results } from './figures.js';
import { FUNCTIONS } from './settings.js';
import { kib, ms, table, times, verdict } from './support/table.js';
import { BUNDLE_TARGETS, TIMING_TARGETS } from './targets.js';

export function report(results: Results): string {
  const { machine: host, bundles, coldStart, warm, throughput, cost } = results;
  const out: string[] = [];
  out.push(
    `Machine: ${host.cpu}, ${host.cpus} CPUs, ${host.memoryGiB} GiB, ${host.os}, Node ${host.node}; ` +
      `load ${host.loadAverage.join('/')} before, ${host.loadAverageAfter.join('/')} after`,
  );

  out.push(
    '',
    `Bundle size (minified, as deployed; floors without source maps; targets: what init loads ≤ ${BUNDLE_TARGETS.initRatio}× ` +
      `its first call's floor, all chunks ≤ ${BUNDLE_TARGETS.allChunksRatio}× the floor of every client it may load)`,
  );
  out.push(
    table(
      [
        'bundle',
        'init bytes',
        'KiB',
        'gzip KiB',
        'floor',
        'floor KiB',
        'ratio',
        'gzip ratio',
        'all chunks KiB',
        'files',
        'floor (all)',
        'floor KiB',
        'ratio',
        'target',
      ],
      [
        ...FUNCTIONS.map((key) => {
          const figure = bundles.functions[key];
          const floor = bundles.floors[figure.floor];
          const allFloor = bundles.floors[figure.allClientsFloor];
          return [
            key,
            String(figure.bytes),
            kib(figure.bytes),
            kib(figure.gzipBytes),
            figure.floor,
            kib(floor.bytes),
            times(figure.ratio),
            times(figure.gzipRatio),
            kib(figure.totalBytes),
            String(figure.files),
            figure.allClientsFloor,
            kib(allFloor.totalBytes),
            times(figure.totalRatio),
            `init ${verdict(figure.ratio <= figure.target)}, all ${verdict(figure.totalRatio <= figure.totalTarget)}`,
          ];
        }),
        ...Object.entries(bundles.floors).map(([key, floor]) => [
          `floor: ${key}`,
          String(floor.bytes),
          kib(floor.bytes),
          kib(floor.gzipBytes),
          '',
          '',
          '',
          '',
          kib(floor.totalBytes),
          '',
          '',
          '',
          '',
          '',
        ]),
      ],
    ),
  );

  out.push(...coldStartReport(coldStart, results.options.coldRuns));

  const warmTarget = TIMING_TARGETS.warmP50Ratio;
  out.push(
    '',
    `Warm latency, ms (${results.options.warmCalls} calls each; target p50 ≤ ${warmTarget}× the raw DynamoDB call)`,
  );
  out.push(
    table(
      ['route', 'p50', 'p99', 'raw p50', 'raw p99', 'ratio p50', 'answer bytes', 'target'],
      warm.map((route) => [
        route.route,
        ms(route.handler.p50),
        ms(route.handler.p99),
        ms(route.raw.p50),
        ms(route.raw.p99),
        times(route.ratioP50),
        String(route.responseBytes),
        verdict(route.ratioP50 <= warmTarget),
      ]),
    ),
  );

  const batch = throughput.batchOfTen;
  const share = TIMING_TARGETS.sustainedRateShare;
  out.push(
    '',
    `Enrich throughput (sustained: the fleet's upstream rate at FINGERPRINT_MAX_RPS, counted at arrival; issue 16's ` +
      `target: ≥ ${share} × the limit, never above it in any sliding second; the seats' hard bound caps it at ` +
      'limit × 1 s / (1 s + upstream latency), ADR 0008; 429 = UpstreamBudgetExhausted)',
  );
  out.push(
    table(
      ['run', 'figure', 'next to', 'target'],
      [
        [
          `queue batch of 10 distinct requestIds, ${batch.upstreamLatencyMs} ms upstream (warm, p50)`,
          `${ms(batch.warm.p50)} ms`,
          `${batch.upstreamLatencyMs} ms`,
          verdict(batch.warm.p50 <= TIMING_TARGETS.batchOfTenMs),
        ],
        ['  same, slowest warm batch', `${ms(batch.warm.max)} ms`, `${batch.upstreamLatencyMs} ms`, ''],
        [
          '  raw floor: the same DynamoDB calls and upstream wait, SDK alone (p50)',
          `${ms(batch.rawFloor.p50)} ms`,
          '',
          '',
        ],
        ['  same, first batch of a cold consumer', `${ms(batch.first ?? Number.NaN)} ms`, '', ''],
        ...throughput.sustained.flatMap(sustainedRows),
      ],
    ),
  );

  out.push('', 'Upstream calls per enrichment (POST /enrich)');
  out.push(
    table(
      ['enrichment', 'upstream calls', 'expected', 'events', 'stored', 'source'],
      cost.cases.map((entry) => [
        entry.label,
        String(entry.upstreamCalls),
        String(entry.expectedCalls),
        String(entry.events),
        String(entry.stored),
        entry.source,
      ]),
    ),
  );
  const items = cost.items;
  out.push(
    '',
    `Stored items of ${items.count} enriched events: ${items.bytes.min}–${items.bytes.max} bytes, ` +
      `${items.tableWriteUnits.max} table write unit each, ${items.writeUnitsPerEvent.min}–` +
      `${items.writeUnitsPerEvent.max} with the indexes that hold the item (dynalite ` +
      `${items.dynaliteAgrees ? 'agrees' : 'DISAGREES'} on the table's)`,
  );
  out.push(
    table(
      ['Fingerprint example', 'events', 'largest item, bytes', 'write units (table + indexes)', '< 1 KiB'],
      cost.examples.map((example) => [
        example.example,
        String(example.events),
        String(example.maxBytes),
        String(example.writeUnits),
        example.underOneKiB ? 'yes' : 'NO',
      ]),
    ),
  );
  out.push(
    '',
    `Secrets Manager calls in the whole run: ${results.secretsManagerCalls}; dead-lettered records: ${results.deadLetters}`,
  );

  const prices = results.dollars.prices;
  const usd = (value: number) => `$${value.toFixed(3)}`;
  out.push(
    '',
    `Dollars per million calls (${prices.region} on-demand prices of ${prices.asOf}: Lambda arm64 $${prices.lambdaArmGbSecond}/GB-s, ` +
      `$${prices.lambdaRequest * 1e6}/M requests; API Gateway REST $${prices.apiRequest * 1e6}/M; DynamoDB $${prices.dynamoWriteUnit * 1e6}/M write units, ` +
      `$${prices.dynamoReadUnit * 1e6}/M read units; SQS $${prices.sqsRequest * 1e6}/M requests; Secrets Manager $${prices.secretsCall * 1e4}/10k calls)`,
  );
  out.push(
    table(
      [
        'call',
        'ms',
        'MB',
        'inv.',
        'RRU',
        'WRU',
        'SQS',
        'SM calls',
        'compute',
        'requests',
        'DynamoDB',
        'SQS',
        'SM',
        'total',
      ],
      results.dollars.calls.map((call) => [
        call.label,
        ms(call.durationMs),
        String(call.memoryMb),
        String(call.invocations),
        String(call.readUnits),
        String(call.writeUnits),
        String(Number(call.sqsRequests.toFixed(3))),
        call.secretsCalls.toFixed(4),
        usd(call.dollars.compute),
        usd(call.dollars.requests),
        usd(call.dollars.dynamodb),
        usd(call.dollars.sqs),
        usd(call.dollars.secrets),
        usd(call.dollars.total),
      ]),
    ),
  );
  for (const call of results.dollars.calls) out.push(`  ${call.label}: duration ${call.durationBasis}`);
  return out.join('\n');
}

/**
 * One sustained run's rows of the throughput table. The rate is judged by the seats' mean turn: a count in a
 * fixed window moves by up to `FINGERPRINT_MAX_RPS` arrivals with where its edges fall (the seats keep step), so
 * a run at 4.82/s counts 4.67 or 4.83/s in 30 s by chance; the count is shown beside it. It is judged against
 * issue 16's share of the limit, and, where that share is above the hard bound's ceiling, against a share of
 * the ceiling (`TIMING_TARGETS.sustainedCeilingShare`).
 */
export function sustainedRows(run: Results['throughput']['sustained'][number]): string[][] {
  const target = run.maxRps * TIMING_TARGETS.sustainedRateShare;
  const met = run.seatTurnRps >= target && run.seatTurnRps <= run.maxRps;
  const ceilingShare = run.seatTurnRps / run.ceilingRps;
  const valid = !run.ranDry && !run.http.ranDry;
  const rate = (value: number) => `${value.toFixed(2)}/s`;
  const { http } = run;
  return [
    [
      `sustained, ${run.upstreamLatencyMs} ms upstream, ${run.measuredSeconds} s: ${run.consumers} queue consumers + ` +
        `${http.instances} × ${http.callersPerInstance} POST /enrich callers (seats' mean turn)`,
      rate(run.seatTurnRps),
      `${run.maxRps}/s`,
      !valid
        ? 'INVALID (ran dry)'
        : met
          ? `met (≥ ${rate(target)})`
          : `MISSED (≥ ${rate(target)}${target > run.ceilingRps ? ', above the ceiling' : ''})`,
    ],
    [
      `  ceiling: ${run.maxRps} × 1 s / (1 s + ${run.upstreamLatencyMs} ms)`,
      rate(run.ceilingRps),
      '',
      `reached ${(100 * ceilingShare).toFixed(1)} %` +
        (target > run.ceilingRps
          ? `; ≥ ${100 * TIMING_TARGETS.sustainedCeilingShare} % where the target is above it: ${verdict(ceilingShare >= TIMING_TARGETS.sustainedCeilingShare)}`
          : ''),
    ],
    [
      `  arrivals in the ${run.measuredSeconds} s window / ${run.measuredSeconds} s`,
      rate(run.achievedRps),
      '',
      '',
    ],
    [
      '  most upstream requests in any sliding second',
      String(run.maxInAnySecond),
      String(run.maxRps),
      verdict(run.maxInAnySecond <= run.maxRps),
    ],
    [
      '  upstream requests in the window: queue / POST /enrich',
      `${run.requestsInWindow - http.requestsInWindow} / ${http.requestsInWindow}`,
      '',
      '',
    ],
    [
      '  POST /enrich 200 / 429 (requestIds refused then enriched / refused at the end)',
      `${http.ok} / ${http.refused} (${http.okAfterRefusal} / ${http.refusedAtEnd})`,
      '',
      '',
    ],
    [
      '  POST /enrich p50 ms: 200 / 429',
      `${http.okMs ? ms(http.okMs.p50) : '–'} / ${http.refusedMs ? ms(http.refusedMs.p50) : '–'}`,
      '',
      '',
    ],
    ['  queue records redelivered', String(run.redelivered), '', ''],
  ];
}

/** The cold-start tables: one a runtime, each function next to its floor and the target. */
export function coldStartReport(coldStart: Results['coldStart'], coldRuns: number): string[] {
  const out: string[] = [];
  const initTarget = TIMING_TARGETS.initRatio;
  if (coldStart.node24Unavailable !== undefined) {
    out.push('', `Node.js 24 unavailable: ${coldStart.node24Unavailable}`);
  }
  for (const runtime of coldStart.runtimes) {
    out.push(
      '',
      `Cold start on ${runtime.version}, ms (${coldRuns} fresh processes each, medians; ` +
        `target on Node 24: ≤ ${initTarget}× the floor of the first call's clients, for init and init plus the first call)`,
    );
    out.push(
      table(
        [
          'bundle',
          'floor',
          'init p50',
          'p90',
          'floor p50',
          'ratio',
          'init+1st p50',
          'p90',
          'floor p50',
          'ratio',
          'CPU ratio init',
          'init+1st',
          'target',
        ],
        FUNCTIONS.map((key) => {
          const own = runtime.functions[key];
          const floor = runtime.floors[key];
          return [
            key,
            own.floor,
            ms(own.init.p50),
            ms(own.init.p90),
            ms(floor.init.p50),
            times(own.initRatioP50),
            ms(own.initAndFirstCall.p50),
            ms(own.initAndFirstCall.p90),
            ms(floor.initAndFirstCall.p50),
            times(own.initAndFirstCallRatioP50),
            times(own.initCpuRatioP50),
            times(own.initAndFirstCallCpuRatioP50),
            verdict(own.initRatioP50 <= initTarget && own.initAndFirstCallRatioP50 <= initTarget),
          ];
        }),
      ),
    );
  }
  return out;
}
