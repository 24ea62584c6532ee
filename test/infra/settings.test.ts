import { describe, expect, it } from 'vitest';
import { ENRICH_HTTP_ENV } from '../../functions/enrich/http-env.js';
import { ENRICH_QUEUE_ENV } from '../../functions/enrich/queue-env.js';
import { QUERY_ENV } from '../../functions/query/env.js';
import { WEBHOOK_ENV } from '../../functions/webhook/env.js';
import { CONFIG_KEYS, InfraConfigError, loadConfig } from '../../infra/config.js';
import { ConfigError, envSchema, loadEnv, type SettingName } from '../../shared/config/env.js';
import { readEnvFast, SETTING_RULES } from '../../shared/config/env-rules.js';

/**
 * A setting the deployment chooses and the functions read must accept the same values in both places: a value
 * refused at run time is refused at deploy time (so a deployment cannot hand a function a setting it dies on
 * at cold start), and a value refused at deploy time is refused at run time (so a local run cannot depend on
 * what no deployment can have). Every shared setting is tried with every probe.
 */

/** The variables each function's schema requires, so that only the setting under test decides. */
const FUNCTIONS = [
  {
    spec: ENRICH_HTTP_ENV,
    schema: envSchema(ENRICH_HTTP_ENV),
    required: { TABLE_NAME: 't', FINGERPRINT_SECRET_ID: 's' },
  },
  {
    spec: ENRICH_QUEUE_ENV,
    schema: envSchema(ENRICH_QUEUE_ENV),
    required: {
      TABLE_NAME: 't',
      FINGERPRINT_SECRET_ID: 's',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
    },
  },
  { spec: QUERY_ENV, schema: envSchema(QUERY_ENV), required: { TABLE_NAME: 't' } },
  {
    spec: WEBHOOK_ENV,
    schema: envSchema(WEBHOOK_ENV),
    required: { TABLE_NAME: 't', FINGERPRINT_WEBHOOK_SECRET_ID: 'w' },
  },
];

/** Text an operator may type, in a variable or after `-c key=`: boundaries of every bound, and near misses. */
const TEXT_PROBES = [
  ...['-1', '0', '1', '2', '3', '5', '20', '30', '90', '299', '300', '599', '600', '1000', '1001'],
  ...['3600', '3650', '3651', '86400', '86401', '2.5', '1e3', '0x10', ' 7 ', 'abc', ''],
  ...['true', 'false', 'TRUE', 'False', 'yes', 'no', 'on', 'off', 'enabled'],
  ...['debug', 'INFO', 'warn', 'LOUD', 'us', 'eu', 'ap', 'asia', 'v3', 'v4', 'v5'],
  ...[
    'https://fp.example.com',
    'https://fp.example.com/proxy',
    'http://fp.example.com',
    'ftp://fp.example.com',
  ],
  ...['http://127.0.0.1:4010', 'http://localhost:4010', 'http://[::1]:4010', 'http://127.0.0.1.example.com'],
  ...[
    'https://a.example.com',
    'https://a.example.com/',
    'https://a.example.com/app',
    'https://A.example.com',
  ],
  ...['http://localhost:5173', 'https://a.example.com:8443', 'https://a.example.com:443', '*', 'null'],
  ...['https://a.example.com,https://b.example.com', ' https://a.example.com , ', 'https://a.example.com,*'],
];

/**
 * What `cdk.json` may hold instead of text, and the JSON text `-c` takes for a list: forms of the context only,
 * which reach a function as the text the stack writes for them.
 */
const CONTEXT_PROBES: unknown[] = [
  ...[true, false, 0, 1, 2, 5, 90, 600, 3600, 2.5],
  ...[['https://a.example.com', 'http://localhost:5173'], ['*'], '["https://a.example.com"]', '[not json'],
];

type Outcome = { accepted: true; value: unknown } | { accepted: false };

function atDeploy(name: SettingName, value: unknown): Outcome {
  try {
    return { accepted: true, value: loadConfig((key) => (key === name ? value : undefined))[name] };
  } catch (error) {
    if (!(error instanceof InfraConfigError)) throw error;
    expect(error.message).toContain(`${name}`);
    return { accepted: false };
  }
}

/**
 * The setting read by every function that has it; they must all agree. Each function's fast read at cold
 * start (`readEnvFast`, no Zod) either defers or reads the very environment its Zod schema reads.
 */
function atRunTime(name: SettingName, text: string): Outcome {
  const variable = variableOf(name);
  const outcomes = FUNCTIONS.filter(({ schema }) => variable in schema.shape).map(
    ({ spec, schema, required }) => {
      const fast = readEnvFast(spec, { ...required, [variable]: text });
      try {
        const env = loadEnv(schema, { ...required, [variable]: text }) as Record<string, unknown>;
        if (fast !== undefined) expect({ text, fast }).toStrictEqual({ text, fast: env });
        return { accepted: true, value: env[variable] } as Outcome;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        expect(error.message).toContain(variable);
        // The fast read never accepts what Zod refuses.
        expect({ text, fast }).toEqual({ text, fast: undefined });
        return { accepted: false } as Outcome;
      }
    },
  );
  expect(outcomes.length).toBeGreaterThan(0);
  for (const outcome of outcomes) expect(outcome).toEqual(outcomes[0]);
  return outcomes[0] as Outcome;
}

/** The text the stack writes into a function's environment for a deployed value. */
const environmentText = (value: unknown) => (Array.isArray(value) ? value.join(',') : String(value));

const NAMES = Object.keys(SETTING_RULES) as SettingName[];

/**
 * The variable a shared setting is read from: the one every function that has the setting declares with its very
 * rule (`SETTING_RULES[name]`), so the name is written once, in the function's variables.
 */
function variableOf(name: SettingName): string {
  const variables = new Set(
    FUNCTIONS.flatMap(({ spec }) =>
      Object.entries(spec)
        .filter(([, rule]) => rule === SETTING_RULES[name])
        .map(([variable]) => variable),
    ),
  );
  expect([...variables], `the variable of ${name}`).toHaveLength(1);
  return [...variables][0] as string;
}

describe('settings the deployment and the functions share', () => {
  it('are context keys of the deployment and variables of at least one function', () => {
    for (const name of NAMES) {
      expect(CONFIG_KEYS).toContain(name);
      const variable = variableOf(name);
      expect(
        FUNCTIONS.some(({ schema }) => variable in schema.shape),
        variable,
      ).toBe(true);
    }
  });

  it.each(NAMES)('%s: every text is accepted (as the same value) or refused in both places', (name) => {
    let accepted = 0;
    let refused = 0;
    for (const probe of TEXT_PROBES) {
      const deploy = atDeploy(name, probe);
      expect({ probe, outcome: atRunTime(name, probe) }).toEqual({ probe, outcome: deploy });
      if (deploy.accepted) accepted += 1;
      else refused += 1;
    }
    // The probes reach both sides of the setting's bounds.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it.each(NAMES)(
    '%s: a cdk.json value the deployment takes reaches the function as the same value',
    (name) => {
      for (const probe of [...CONTEXT_PROBES, ...TEXT_PROBES]) {
        const deploy = atDeploy(name, probe);
        if (!deploy.accepted || deploy.value === undefined) continue;
        expect({ probe, outcome: atRunTime(name, environmentText(deploy.value)) }).toEqual({
          probe,
          outcome: deploy,
        });
      }
    },
  );

  it.each(NAMES)('%s: the same default in both places', (name) => {
    const deploy = atDeploy(name, undefined);
    expect(deploy.accepted).toBe(true);
    const runTime = atRunTime(name, '');
    expect(runTime).toEqual(deploy);
  });
});
