import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { DEV_SECRET_DEFAULT, loadAuthConfig } from '../../src/auth/auth-config';
import { ConfigError } from '../../src/platform/config';

const spki = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }) as string;

const RSA_2048 = spki(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
const RSA_1024 = spki(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
const EC_P256 = spki(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
const EC_P384 = spki(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey);
const ED25519 = spki(generateKeyPairSync('ed25519').publicKey);

/** The same SPKI key in a PEM whose base64 lines are `width` characters long. */
function rewrapped(pem: string, width: number): string {
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const lines = body.match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  return ['-----BEGIN PUBLIC KEY-----', ...lines, '-----END PUBLIC KEY-----', ''].join('\n');
}

/** The same RSA key as a PKCS#1 PEM ("BEGIN RSA PUBLIC KEY"). */
const pkcs1 = (pem: string): string => createPublicKey(pem).export({ type: 'pkcs1', format: 'pem' }) as string;

function configError(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError, got a configuration');
}

describe('loadAuthConfig', () => {
  it('defaults development to HS256 with the development secret, 24 h maximum age and 30 s tolerance', () => {
    const config = loadAuthConfig({}, 'development');
    expect(config).toEqual({
      issuer: 'need-to-know-dev',
      audience: 'need-to-know',
      algorithms: ['HS256'],
      devSecret: new TextEncoder().encode(DEV_SECRET_DEFAULT),
      maxTokenAgeSeconds: 86400,
      clockToleranceSeconds: 30,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.algorithms)).toBe(true);
  });

  it('reads every variable it documents', () => {
    const config = loadAuthConfig(
      {
        JWT_ISSUER: 'https://id.store.example',
        JWT_AUDIENCE: 'gateway',
        JWT_DEV_SECRET: 'x'.repeat(40),
        JWT_MAX_AGE_SECONDS: '3600',
        JWT_CLOCK_TOLERANCE_SECONDS: '60',
      },
      'test',
    );
    expect(config).toEqual({
      issuer: 'https://id.store.example',
      audience: 'gateway',
      algorithms: ['HS256'],
      devSecret: new TextEncoder().encode('x'.repeat(40)),
      maxTokenAgeSeconds: 3600,
      clockToleranceSeconds: 60,
    });
  });

  it('takes the environment from NODE_ENV when none is passed', () => {
    expect(configError(() => loadAuthConfig({ NODE_ENV: 'production' }))).toMatch(/^JWT_JWKS_URL or JWT_PUBLIC_KEY:/);
    expect(loadAuthConfig({ NODE_ENV: 'test' }).algorithms).toEqual(['HS256']);
  });

  it('accepts an asymmetric key next to the development secret outside production', () => {
    expect(loadAuthConfig({ JWT_PUBLIC_KEY: EC_P256 }, 'development').algorithms).toEqual(['HS256', 'ES256']);
  });

  describe('production', () => {
    it.each([
      ['an RSA public key', { JWT_PUBLIC_KEY: RSA_2048 }, ['RS256']],
      ['an EC P-256 public key', { JWT_PUBLIC_KEY: EC_P256 }, ['ES256']],
      ['a PEM with \\n escapes (one-line env files)', { JWT_PUBLIC_KEY: RSA_2048.replace(/\n/g, '\\n') }, ['RS256']],
      ['a JWKS URL', { JWT_JWKS_URL: 'https://id.store.example/.well-known/jwks.json' }, ['RS256', 'ES256']],
    ])('verifies %s with asymmetric algorithms only and has no development secret', (_, env, algorithms) => {
      const config = loadAuthConfig(env, 'production');
      expect(config.algorithms).toEqual(algorithms);
      expect(config.devSecret).toBeUndefined();
    });

    it.each([
      ['only a development secret', { JWT_DEV_SECRET: 'y'.repeat(40) }, /^JWT_DEV_SECRET: a development secret is refused in production/],
      ['a development secret next to a key', { JWT_DEV_SECRET: 'y'.repeat(40), JWT_PUBLIC_KEY: RSA_2048 }, /^JWT_DEV_SECRET:/],
      ['no key at all', {}, /^JWT_JWKS_URL or JWT_PUBLIC_KEY: .*got neither/],
      ['blank key variables', { JWT_PUBLIC_KEY: ' ', JWT_JWKS_URL: '' }, /^JWT_JWKS_URL or JWT_PUBLIC_KEY:/],
      ['a plain-http JWKS URL', { JWT_JWKS_URL: 'http://id.store.example/jwks' }, /^JWT_JWKS_URL: expected an https: URL in production/],
      ['an RSA key under 2048 bits', { JWT_PUBLIC_KEY: RSA_1024 }, /^JWT_PUBLIC_KEY: expected an RSA key of at least 2048 bits, got 1024 bits/],
      ['an EC key off P-256', { JWT_PUBLIC_KEY: EC_P384 }, /^JWT_PUBLIC_KEY: expected an RSA \(RS256\) or EC P-256 \(ES256\) public key, got ec secp384r1/],
      ['an Ed25519 key', { JWT_PUBLIC_KEY: ED25519 }, /^JWT_PUBLIC_KEY: .*got ed25519/],
      ['something that is not a PEM', { JWT_PUBLIC_KEY: 'not a key' }, /^JWT_PUBLIC_KEY: expected a PEM public key/],
    ])('refuses to start with %s', (_, env, message) => {
      expect(configError(() => loadAuthConfig(env, 'production'))).toMatch(message);
    });
  });

  it.each([
    ['JWT_CLOCK_TOLERANCE_SECONDS', '61', /^JWT_CLOCK_TOLERANCE_SECONDS: expected an integer from 0 to 60, got "61"/],
    ['JWT_CLOCK_TOLERANCE_SECONDS', '-1', /^JWT_CLOCK_TOLERANCE_SECONDS:/],
    ['JWT_CLOCK_TOLERANCE_SECONDS', '1.5', /^JWT_CLOCK_TOLERANCE_SECONDS:/],
    ['JWT_MAX_AGE_SECONDS', '0', /^JWT_MAX_AGE_SECONDS: expected an integer from 60 to 604800, got "0"/],
    ['JWT_MAX_AGE_SECONDS', '1e5', /^JWT_MAX_AGE_SECONDS:/],
    ['JWT_MAX_AGE_SECONDS', 'a day', /^JWT_MAX_AGE_SECONDS:/],
    ['JWT_DEV_SECRET', 'short', /^JWT_DEV_SECRET: expected at least 32 bytes, got 5/],
    ['JWT_ISSUER', ' ', /^JWT_ISSUER: expected a non-empty value/],
    ['JWT_AUDIENCE', ' padded ', /^JWT_AUDIENCE: expected a non-empty value without surrounding spaces/],
    ['JWT_JWKS_URL', 'jwks.json', /^JWT_JWKS_URL: expected an absolute URL/],
    ['JWT_JWKS_URL', 'file:///etc/jwks.json', /^JWT_JWKS_URL: expected an https: or http: URL/],
  ])('names %s when it is %j', (name, value, message) => {
    expect(configError(() => loadAuthConfig({ [name]: value }, 'development'))).toMatch(message);
  });

  it('refuses a public key and a JWKS URL together', () => {
    expect(configError(() => loadAuthConfig({ JWT_PUBLIC_KEY: RSA_2048, JWT_JWKS_URL: 'https://id.example/jwks' }, 'production'))).toBe(
      'JWT_PUBLIC_KEY and JWT_JWKS_URL: expected at most one of them, got both',
    );
  });

  it('refuses an unknown NODE_ENV rather than falling back to development keys', () => {
    expect(configError(() => loadAuthConfig({ NODE_ENV: 'prod' }))).toBe(
      'NODE_ENV: expected one of development, test, production, got "prod"',
    );
  });
});

describe('JWT_PUBLIC_KEY_PREVIOUS', () => {
  const RSA_NEW = spki(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);

  it('takes the keys JWT_PUBLIC_KEY replaced, one PEM after another (\\n escapes allowed), and pins their algorithms too', () => {
    const config = loadAuthConfig({ JWT_PUBLIC_KEY: RSA_NEW, JWT_PUBLIC_KEY_PREVIOUS: `${RSA_2048}${EC_P256}`.replace(/\n/g, '\\n') }, 'production');
    expect(config.previousPublicKeys).toEqual([RSA_2048.trim(), EC_P256.trim()]);
    expect(config.algorithms).toEqual(['RS256', 'ES256']);
    expect(Object.isFrozen(config.previousPublicKeys)).toBe(true);
    expect(loadAuthConfig({ JWT_PUBLIC_KEY: RSA_NEW }, 'production')).not.toHaveProperty('previousPublicKeys');
  });

  it.each([
    ['without JWT_PUBLIC_KEY', { JWT_JWKS_URL: 'https://id.store.example/jwks.json', JWT_PUBLIC_KEY_PREVIOUS: RSA_2048 }, 'JWT_PUBLIC_KEY_PREVIOUS: expected only beside JWT_PUBLIC_KEY (a JWKS rotates by publishing the new key beside the old one), got no JWT_PUBLIC_KEY'],
    ['text that is no PEM key', { JWT_PUBLIC_KEY: RSA_2048, JWT_PUBLIC_KEY_PREVIOUS: 'old-key' }, 'JWT_PUBLIC_KEY_PREVIOUS: expected one or more PEM public keys ("-----BEGIN PUBLIC KEY-----" ... "-----END PUBLIC KEY-----") one after another, and nothing else'],
    ['a key too weak for JWT_PUBLIC_KEY', { JWT_PUBLIC_KEY: RSA_2048, JWT_PUBLIC_KEY_PREVIOUS: RSA_1024 }, 'JWT_PUBLIC_KEY_PREVIOUS (key 1 of 1): expected an RSA key of at least 2048 bits, got 1024 bits'],
    ['a curve JWT_PUBLIC_KEY refuses', { JWT_PUBLIC_KEY: RSA_2048, JWT_PUBLIC_KEY_PREVIOUS: `${EC_P256}${EC_P384}` }, 'JWT_PUBLIC_KEY_PREVIOUS (key 2 of 2): expected an RSA (RS256) or EC P-256 (ES256) public key, got ec secp384r1'],
    ['JWT_PUBLIC_KEY itself', { JWT_PUBLIC_KEY: RSA_2048, JWT_PUBLIC_KEY_PREVIOUS: RSA_2048 }, 'JWT_PUBLIC_KEY_PREVIOUS (key 1 of 1): expected a key JWT_PUBLIC_KEY replaced, got JWT_PUBLIC_KEY itself'],
    ['more than three keys', { JWT_PUBLIC_KEY: RSA_NEW, JWT_PUBLIC_KEY_PREVIOUS: `${RSA_2048}${EC_P256}${RSA_2048}${EC_P256}` }, 'JWT_PUBLIC_KEY_PREVIOUS: expected at most 3 keys, got 4'],
    ['one key twice', { JWT_PUBLIC_KEY: RSA_NEW, JWT_PUBLIC_KEY_PREVIOUS: `${RSA_2048}${EC_P256}${RSA_2048}` }, 'JWT_PUBLIC_KEY_PREVIOUS (key 3 of 3): expected each key once, got it twice'],
    ['one key twice, wrapped at another width', { JWT_PUBLIC_KEY: RSA_NEW, JWT_PUBLIC_KEY_PREVIOUS: `${RSA_2048}${rewrapped(RSA_2048, 76)}` }, 'JWT_PUBLIC_KEY_PREVIOUS (key 2 of 2): expected each key once, got it twice'],
    ['JWT_PUBLIC_KEY itself, wrapped at another width', { JWT_PUBLIC_KEY: RSA_2048, JWT_PUBLIC_KEY_PREVIOUS: `${EC_P256}${rewrapped(RSA_2048, 76)}` }, 'JWT_PUBLIC_KEY_PREVIOUS (key 2 of 2): expected a key JWT_PUBLIC_KEY replaced, got JWT_PUBLIC_KEY itself'],
    ['JWT_PUBLIC_KEY itself, where JWT_PUBLIC_KEY is the PKCS#1 form of the same RSA key', { JWT_PUBLIC_KEY: pkcs1(RSA_2048), JWT_PUBLIC_KEY_PREVIOUS: RSA_2048 }, 'JWT_PUBLIC_KEY_PREVIOUS (key 1 of 1): expected a key JWT_PUBLIC_KEY replaced, got JWT_PUBLIC_KEY itself'],
    ['JWT_PUBLIC_KEY itself, with CRLF line ends', { JWT_PUBLIC_KEY: RSA_2048, JWT_PUBLIC_KEY_PREVIOUS: RSA_2048.replace(/\n/g, '\r\n') }, 'JWT_PUBLIC_KEY_PREVIOUS (key 1 of 1): expected a key JWT_PUBLIC_KEY replaced, got JWT_PUBLIC_KEY itself'],
  ])('refuses %s, naming the variable', (_label, env, message) => {
    expect(configError(() => loadAuthConfig(env, 'production'))).toBe(message);
  });
});
