// The rule of secrets (engine/options/secrets.ts): keys by their words in any case and separator style, values that look
// like secrets whatever their key; and option specs agree with it (engine/options/spec.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecretKey, keyWords, redactSecrets } from '../../../engine/options/secrets.js';
import { obj, secret, str } from '../../../engine/options/spec.js';

const RSA_PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----';

describe('the rule', () => {
  it('splits keys into words: snake, kebab, dots, camelCase, acronyms', () => {
    expect(keyWords('sasl_password')).toEqual(['sasl', 'password']);
    expect(keyWords('apiKey')).toEqual(['api', 'key']);
    expect(keyWords('X-API-Key')).toEqual(['x', 'api', 'key']);
    expect(keyWords('SSLPrivateKey')).toEqual(['ssl', 'private', 'key']);
  });
  it('names secrets case-insensitively, by word, and only TLS options make a bare key one', () => {
    for (const k of ['password', 'Password', 'PASSWORD', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'clientSecret', 'token', 'accessToken', 'auth_token'])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of ['api_key', 'apiKey', 'APIKEY', 'x-api-key', 'private_key', 'privateKey', 'access_key', 'client-key', 'credentials', 'Authorization'])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of ['key', 'topic', 'username', 'max_tokens', 'tokenizer', 'bypass', 'passage', 'keyspace', 'cert', 'ca', 'monkey'])
      expect(isSecretKey(k), k).toBe(false);
    expect(isSecretKey('key', true)).toBe(true);
    expect(isSecretKey('pfx', true)).toBe(true);
    expect(isSecretKey('cert', true)).toBe(false);
  });
  it('any spelling of a secret word, in any case and with any separators, is redacted (property)', () => {
    const word = fc.constantFrom('password', 'passwd', 'secret', 'token', 'passphrase', 'credential', 'apikey');
    const prefix = fc.constantFrom('', 'db', 'sasl', 'client', 'influx', 'my');
    const sep = fc.constantFrom('_', '-', '.', '');
    const kase = fc.constantFrom<(s: string) => string>(
      (s) => s,
      (s) => s.toUpperCase(),
      (s) => s[0]!.toUpperCase() + s.slice(1),
    );
    fc.assert(
      fc.property(prefix, sep, word, kase, fc.string({ minLength: 1, maxLength: 12 }), (pre, sp, w, k, value) => {
        const key = pre === '' ? k(w) : `${pre}${sp === '' ? k(w)[0]!.toUpperCase() + k(w).slice(1) : sp + k(w)}`;
        const obj = { nested: [{ [key]: value }] };
        redactSecrets(obj, '', (p) => p.replace(/\W/g, '_').toUpperCase());
        expect(obj.nested[0]![key]).toMatch(/^\$\{[A-Z0-9_]+\}$/);
      }),
    );
  });
  it('values that look like secrets whatever the key: PEM keys, URL passwords, embedded assignments, JWTs', () => {
    const obj = {
      a: RSA_PEM,
      b: 'https://ops:hunter2@example.com:8086/write?db=x',
      c: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p4ss";',
      d: 'http://host/api?user=x&token=abc123&x=1',
      e: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      f: 'https://user@example.com/path',
      g: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      h: 'https://ops:${MY_PW}@example.com',
    };
    const found = redactSecrets(obj, '', (p) => `E_${p.replace(/\W/g, '_').toUpperCase()}`);
    expect(obj.a).toBe('${E_A}');
    expect(obj.b).toBe('https://ops:${E_B_PASSWORD}@example.com:8086/write?db=x');
    expect(obj.c).toBe('org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${E_C_PASSWORD}";');
    expect(obj.d).toBe('http://host/api?user=x&token=${E_D_TOKEN}&x=1');
    expect(obj.e).toBe('${E_E}');
    expect(obj.f).toBe('https://user@example.com/path'); // no password in it
    expect(obj.g).toMatch(/^-----BEGIN CERTIFICATE-----/); // certificates are public
    expect(obj.h).toBe('https://ops:${MY_PW}@example.com'); // already a placeholder
    expect(found.map((f) => f.path)).toEqual(['a', 'b#password', 'c#password', 'd#token', 'e']);
  });
});

describe('option specs follow the rule', () => {
  it('a field the rule names a secret is writeOnly in the schema, marked or not; marking a field the rule does not name fails', () => {
    const spec = obj({ user: str(), password: secret(), api_key: str() });
    const props = spec.jsonSchema().properties as Record<string, { writeOnly?: boolean }>;
    expect([props.user!.writeOnly, props.password!.writeOnly, props.api_key!.writeOnly]).toEqual([undefined, true, true]);
    expect(() => obj({ username: secret() })).toThrowError(/'username' is marked secret, but the rule of secrets/);
  });
});
