// Secrets in configs (docs/secrets.md): export never writes one in clear, `check` warns on secret-looking keys it does not read
// (engine/config/secrets.ts: where ts-engine reads secrets, from the components' option specs).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownSecretPaths } from '../../../engine/config/secrets.js';
import { toReferenceConfig } from '../../../engine/export/reference.js';
import { isSecretKey, unknownSecretKeys } from '../../../engine/options/secrets.js';
import { cli, structure, SENSOR_SPEC, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir('ts-engine-secrets-');

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n';

/** Every secret of the eight places, each a distinctive string that must not appear in any exported file. */
const SECRETS = {
  pem: PEM,
  passphrase: 'pp-7f3a-passphrase',
  urlPassword: 'url-pw-93kd',
  apiKey: 'ak-1c9e-apikey',
  secret: 'sec-5b2d-secret',
  saslPassword: 'sasl-pw-88aa',
  capitalPassword: 'cap-P-0d41',
  token: 'tok-66ff-token',
  nestedSasl: 'nested-sasl-pw-2',
};

function eightPlacesConfig(): Record<string, unknown> {
  return {
    input: {
      input_type: 'kafka',
      data_structure: 'ds.json',
      options: {
        brokers: ['kafka:9093'],
        topic: 'sensors',
        consumer_group: 'g',
        batchDuration: 10,
        ssl: { key: SECRETS.pem, passphrase: SECRETS.passphrase, rejectUnauthorized: true },
        sasl: { mechanism: 'plain', username: 'reader', password: SECRETS.nestedSasl },
        api_key: SECRETS.apiKey,
        sasl_password: SECRETS.saslPassword,
      },
    },
    outputs: [
      {
        method: 'influx',
        options: { influx: { url: `http://admin:${SECRETS.urlPassword}@influx:8086`, token: SECRETS.token, bucket: 'b', org: 'o', measurement: 'm' } },
      },
      {
        method: 'influx',
        main: true,
        options: { influx: { host: 'influx', port: 8086, username: 'root', Password: SECRETS.capitalPassword, database: 'd', measurement: 'm' } },
      },
      { method: 'stdout' },
    ],
    processing: {
      transformation: ['sensor_id', 'token: one(timestamp)'],
      aggregations: { operation_type: 'reduceByKey', rule: ['key: sensor_id', 'sum(token)'] },
    },
    databases: {},
    analysis: {
      alert: { method: 'kafka', option: { brokers: ['kafka:9093'], topic: 'alerts', secret: SECRETS.secret } },
      accuracy: 1,
      rule: [{ module: 'SimpleAnalysis', name: 'S', options: { deviation: { token: 5 }, batch_number: 1 } }],
    },
  };
}

describe('the eight places of a secret (issue 10, point 4)', () => {
  it('`ts-engine export --target reference` writes none of them in clear in any file, and says which placeholders it wrote', () => {
    const dir = tmp();
    writeFiles(dir, { 'config.json': eightPlacesConfig(), 'ds.json': structure(SENSOR_SPEC) });
    const out = path.join(dir, 'export');
    const r = cli(['export', 'config.json', out, '--target', 'reference', '--allow-lossy'], { cwd: dir });
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.status).toBe(0);
    const files = fs.readdirSync(out, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const text = fs.readFileSync(path.join(f.parentPath, f.name), 'utf8');
      for (const [what, value] of Object.entries(SECRETS)) expect(text.includes(value.trim().split('\n')[1] ?? value), `${what} in ${f.name}`).toBe(false);
      expect(text).not.toContain('PRIVATE KEY');
    }
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg.input.options.ssl).toEqual({ key: '${TS_ENGINE_INPUT_SSL_KEY}', passphrase: '${TS_ENGINE_INPUT_SSL_PASSPHRASE}', rejectUnauthorized: true });
    expect(cfg.input.options.api_key).toBe('${TS_ENGINE_INPUT_API_KEY}');
    // sasl.password and sasl_password derive the same name: the one met second gets a suffix
    expect(cfg.input.options.sasl.password).toBe('${TS_ENGINE_INPUT_SASL_PASSWORD}');
    expect(cfg.input.options.sasl_password).toBe('${TS_ENGINE_INPUT_SASL_PASSWORD_2}');
    expect(cfg.outputs[0].options.influx.url).toBe('http://admin:${TS_ENGINE_OUTPUTS_0_INFLUX_URL_PASSWORD}@influx:8086');
    expect(cfg.outputs[0].options.influx.token).toBe('${TS_ENGINE_OUTPUTS_0_INFLUX_TOKEN}');
    expect(cfg.outputs[1].options.influx.Password).toBe('${TS_ENGINE_OUTPUTS_1_INFLUX_PASSWORD}');
    // history copied from the main output shares its variables
    expect(cfg.analysis.historical.influx_options.Password).toBe('${TS_ENGINE_OUTPUTS_1_INFLUX_PASSWORD}');
    expect(cfg.analysis.alert.option.secret).toBe('${TS_ENGINE_ANALYSIS_ALERT_SECRET}');
    // expressions are code, not settings: a column named token stays
    expect(cfg.processing.transformation).toEqual(['sensor_id', 'token: one(timestamp)']);
    expect(r.stderr).toContain('input.options.ssl.key: the secret is read from the environment: ${TS_ENGINE_INPUT_SSL_KEY}');
  });

  it('the `ts-engine` bundle (the default target) writes none of them in clear either, and names each in .env.example', () => {
    const dir = tmp();
    writeFiles(dir, { 'config.json': eightPlacesConfig(), 'ds.json': structure(SENSOR_SPEC) });
    const out = path.join(dir, 'bundle');
    const r = cli(['export', 'config.json', out], { cwd: dir });
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.status).toBe(0);
    const files = fs.readdirSync(out, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    for (const f of files) {
      const text = fs.readFileSync(path.join(f.parentPath, f.name), 'utf8');
      for (const [what, value] of Object.entries(SECRETS)) expect(text.includes(value.trim().split('\n')[1] ?? value), `${what} in ${f.name}`).toBe(false);
      expect(text).not.toContain('PRIVATE KEY');
    }
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg.outputs[0].options.influx.url).toBe('http://admin:${TS_ENGINE_OUTPUTS_0_INFLUX_URL_PASSWORD}@influx:8086');
    expect(cfg.processing.transformation).toEqual(['sensor_id', 'token: one(timestamp)']);
    const env = fs.readFileSync(path.join(out, '.env.example'), 'utf8');
    for (const name of [
      'TS_ENGINE_INPUT_SSL_KEY',
      'TS_ENGINE_INPUT_SASL_PASSWORD_2',
      'TS_ENGINE_OUTPUTS_0_INFLUX_URL_PASSWORD',
      'TS_ENGINE_ANALYSIS_ALERT_SECRET',
    ]) {
      expect(env).toContain(`\n${name}=\n`);
    }
    expect(r.stderr).toContain('input.options.ssl.key: the secret is read from the environment variable TS_ENGINE_INPUT_SSL_KEY');
  });

  it('`check` warns, positioned, on the secret-looking keys it does not read; the exit code stays 0', () => {
    const dir = tmp();
    const text = JSON.stringify(eightPlacesConfig(), null, 2);
    writeFiles(dir, { 'config.json': text, 'ds.json': structure(SENSOR_SPEC) });
    const r = cli(['check', 'config.json'], { cwd: dir });
    expect([r.status, r.stdout]).toEqual([0, 'OK\n']);
    const warned = (key: string) => {
      const line = text.split('\n').findIndex((l) => l.includes(`"${key}":`)) + 1;
      return new RegExp(`^warning: config\\.json:${line}:\\d+: .*'${key}' looks like a secret but ts-engine does not read this key`, 'm');
    };
    expect(r.stderr).toMatch(warned('Password'));
    expect(r.stderr).toContain("keys are case-sensitive: did you mean 'password'?");
    expect(r.stderr).toMatch(warned('api_key'));
    expect(r.stderr).toMatch(warned('sasl_password'));
    expect(r.stderr).toMatch(warned('secret'));
    // keys ts-engine reads are not warned about: TLS options, sasl.password, influx token
    expect(r.stderr).not.toMatch(/'(key|passphrase|password|token)' looks like a secret/);
  });
});

describe('where ts-engine reads secrets', () => {
  it('numbers under a secret key are secrets too; booleans and objects are walked, not replaced', () => {
    const e = toReferenceConfig({ outputs: [{ method: 'influx', options: { influx: { password: 12345, ssl: true, measurement: 'm' } } }] });
    expect((e.config as { outputs: { options: { influx: Record<string, unknown> } }[] }).outputs[0]!.options.influx).toEqual({
      password: '${TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD}',
      ssl: true,
      measurement: 'm',
    });
  });
  it("the keys ts-engine reads (from the components' option specs) are known, everything else secret-looking is listed", () => {
    const keys = unknownSecretKeys(
      {
        input: { options: { sasl: { password: 'x' }, ssl: { key: 'k', passphrase: 'p' }, apiToken: 't' } },
        outputs: [{ options: { influx: { password: 'a', token: 'b', Token: 'c' } } }],
        analysis: { rule: [{ options: { secret: 'mine' } }] },
      },
      knownSecretPaths(),
    );
    expect(keys).toEqual([
      { path: 'input.options.apiToken', key: 'apiToken', known: undefined },
      { path: 'outputs[0].options.influx.Token', key: 'Token', known: 'token' },
    ]);
  });
  it('the known secrets, given as a function, are listed only for a config with a secret-looking key, and once', () => {
    let listed = 0;
    const known = () => {
      listed++;
      return knownSecretPaths();
    };
    expect(unknownSecretKeys({ input: { options: { path: 'a.csv' } }, outputs: [{ options: { table: 't' } }] }, known)).toEqual([]);
    expect(listed).toBe(0);
    const config = { input: { options: { sasl: { password: 'x' }, apiToken: 't' } }, outputs: [{ options: { influx: { Token: 'c' } } }] };
    expect(unknownSecretKeys(config, known)).toEqual(unknownSecretKeys(config, knownSecretPaths()));
    expect(unknownSecretKeys(config, known).map((k) => k.key)).toEqual(['apiToken', 'Token']);
    expect(listed).toBe(2);
  });
  it('every secret a component reads is named by the rule, so export and check agree on it', () => {
    const known = knownSecretPaths();
    expect(known).toContain('input.options.sasl.password');
    expect(known).toContain('outputs.*.options.influx.token');
    expect(known).toContain('analysis.historical.influx_options.password');
    expect(known).toContain('analysis.alert.option.sasl.password');
    for (const p of known.filter((x) => !x.endsWith('**'))) expect(isSecretKey(p.split('.').pop()!), p).toBe(true);
  });
});
