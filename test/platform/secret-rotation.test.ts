/**
 * Rotating the gateway's long-lived secrets (PRIVACY_SECRET, WEBHOOK_SECRET_KEY, CURSOR_SECRET,
 * whose cursors are in cursor-seal.test.ts): NAME_PREVIOUS is checked as NAME is; everything new
 * is made under the current secret; what was made under a previous one still opens or verifies,
 * and is refused exactly as a forgery is once that secret is dropped. BEHAVIOR_PSEUDONYM_KEY
 * rotates by day instead: the days before the rotation day stay under the previous key.
 */
import crypto from 'node:crypto';
import { AttachmentLinks } from '../../src/domains/after-sales/attachment-links';
import { codeHash, codeMatches } from '../../src/domains/privacy-requests/identity-codes';
import { SigningSecretBox } from '../../src/domains/webhooks/webhook-signing';
import { ConfigError, DEV_CURSOR_SECRET, DEV_PRIVACY_SECRET, loadConfig, previousSecretSettings } from '../../src/platform/config';
import { SecretBox } from '../../src/platform/secret-box';
import { desensitizeBatch } from '../../src/domains/behavior/behavior.service';
import { pseudonymizeVisitor, pseudonymMaster } from '../../src/privacy/desensitize';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const PRODUCTION = {
  NODE_ENV: 'production',
  BEHAVIOR_PSEUDONYM_KEY: 'p'.repeat(40),
  CURSOR_SECRET: 'k'.repeat(40),
  PRIVACY_SECRET: B,
  SMTP_URL: 'smtp://mail.example:587',
  WEBHOOK_SECRET_KEY: 'w'.repeat(40),
};

describe('NAME_PREVIOUS settings', () => {
  it('are empty unless set', () => {
    const config = loadConfig(PRODUCTION);
    expect([config.rights.previousSecrets, config.webhooks.previousSecretKeys, config.previousCursorSecrets]).toEqual([[], [], []]);
  });

  it('take one secret or several, comma-separated, in order', () => {
    expect(loadConfig({ ...PRODUCTION, PRIVACY_SECRET_PREVIOUS: A }).rights.previousSecrets).toEqual([A]);
    expect(loadConfig({ ...PRODUCTION, PRIVACY_SECRET_PREVIOUS: ` ${A} , ${C}` }).rights.previousSecrets).toEqual([A, C]);
    expect(loadConfig({ ...PRODUCTION, WEBHOOK_SECRET_KEY_PREVIOUS: A }).webhooks.previousSecretKeys).toEqual([A]);
    expect(loadConfig({ ...PRODUCTION, CURSOR_SECRET_PREVIOUS: A }).previousCursorSecrets).toEqual([A]);
  });

  it.each([
    ['a short secret', { PRIVACY_SECRET_PREVIOUS: 'short' }, 'PRIVACY_SECRET_PREVIOUS (secret 1 of 1): expected 32 or more characters (secrets are separated by commas and hold none), got 5'],
    ['a secret holding a comma, read as two short ones', { WEBHOOK_SECRET_KEY_PREVIOUS: `${'x'.repeat(20)},${'y'.repeat(20)}` }, 'WEBHOOK_SECRET_KEY_PREVIOUS (secret 1 of 2): expected 32 or more characters (secrets are separated by commas and hold none), got 20'],
    ['the current secret itself', { PRIVACY_SECRET_PREVIOUS: `${A},${B}` }, 'PRIVACY_SECRET_PREVIOUS (secret 2 of 2): expected a secret PRIVACY_SECRET replaced, got PRIVACY_SECRET itself'],
    ['one secret twice', { CURSOR_SECRET_PREVIOUS: `${A},${C},${A}` }, 'CURSOR_SECRET_PREVIOUS (secret 3 of 3): expected each secret once, got it twice'],
    ['more than three', { PRIVACY_SECRET_PREVIOUS: ['1', '2', '3', '4'].map((d) => d.repeat(32)).join(',') }, 'PRIVACY_SECRET_PREVIOUS: expected at most 3 comma-separated secrets, got 4'],
    ['the public development value in production', { CURSOR_SECRET_PREVIOUS: DEV_CURSOR_SECRET }, 'CURSOR_SECRET_PREVIOUS (secret 1 of 1): the development value is public and refused in production'],
  ])('refuse %s at start-up, naming the variable', (_label, env, message) => {
    expect(() => loadConfig({ ...PRODUCTION, ...env })).toThrow(new ConfigError(message));
  });

  it('take the development value outside production, for a rotation away from it', () => {
    expect(loadConfig({ NODE_ENV: 'development', PRIVACY_SECRET: B, PRIVACY_SECRET_PREVIOUS: DEV_PRIVACY_SECRET }).rights.previousSecrets).toEqual([DEV_PRIVACY_SECRET]);
  });
});

describe('the NAME_PREVIOUS settings a configuration holds', () => {
  const P = 'p'.repeat(40);

  it('are none when none is set', () => {
    expect(previousSecretSettings(loadConfig(PRODUCTION))).toEqual([]);
  });

  it('are named, each that is set, in a fixed order', () => {
    const config = loadConfig({
      ...PRODUCTION,
      WEBHOOK_SECRET_KEY_PREVIOUS: A,
      PRIVACY_SECRET_PREVIOUS: `${A},${C}`,
      CURSOR_SECRET_PREVIOUS: A,
      BEHAVIOR_PSEUDONYM_KEY: A,
      BEHAVIOR_PSEUDONYM_KEY_PREVIOUS: P,
      BEHAVIOR_PSEUDONYM_KEY_SINCE: '2026-12-25',
    });
    expect(previousSecretSettings(config)).toEqual(['BEHAVIOR_PSEUDONYM_KEY_PREVIOUS', 'CURSOR_SECRET_PREVIOUS', 'PRIVACY_SECRET_PREVIOUS', 'WEBHOOK_SECRET_KEY_PREVIOUS']);
    expect(previousSecretSettings(loadConfig({ ...PRODUCTION, CURSOR_SECRET_PREVIOUS: A }))).toEqual(['CURSOR_SECRET_PREVIOUS']);
  });

  it('leave out one set to blanks, which holds no secret', () => {
    expect(previousSecretSettings(loadConfig({ ...PRODUCTION, PRIVACY_SECRET_PREVIOUS: ' , ' }))).toEqual([]);
  });
});

describe('a secret box with previous secrets', () => {
  const underA = new SecretBox(A, 'mail-outbox-body');
  const rotated = new SecretBox(B, 'mail-outbox-body', [C, A]);
  const underBAlone = new SecretBox(B, 'mail-outbox-body');

  it('opens what was sealed under a previous secret, bound as it was', () => {
    const sealed = underA.seal('Verification code: 123456', 'mail-1');
    expect(rotated.open(sealed, 'mail-1')).toBe('Verification code: 123456');
    expect(() => rotated.open(sealed, 'mail-2')).toThrow('SecretBox.open: the value does not open under the current secret or a previous one');
  });

  it('seals under the current secret only', () => {
    const sealed = rotated.seal('body', 'mail-1');
    expect(underBAlone.open(sealed, 'mail-1')).toBe('body');
    expect(() => underA.open(sealed, 'mail-1')).toThrow();
  });

  it('re-seals a value under a previous secret to the current one, and leaves one under the current secret alone', () => {
    const resealed = rotated.reseal(underA.seal('body', 'mail-1'), 'mail-1');
    expect(resealed).toBeInstanceOf(Buffer);
    expect(underBAlone.open(resealed!, 'mail-1')).toBe('body');
    expect(rotated.reseal(underBAlone.seal('body', 'mail-1'), 'mail-1')).toBeUndefined();
  });

  it('refuses what opens under none of its secrets, as a box without previous secrets refuses what was sealed under another', () => {
    const stranger = new SecretBox('s'.repeat(40), 'mail-outbox-body').seal('body', 'mail-1');
    expect(() => rotated.open(stranger, 'mail-1')).toThrow('SecretBox.open: the value does not open under the current secret or a previous one');
    expect(() => rotated.reseal(stranger, 'mail-1')).toThrow('SecretBox.open: the value does not open under the current secret or a previous one');
    expect(() => underBAlone.open(underA.seal('body', 'mail-1'), 'mail-1')).toThrow('SecretBox.open: the value does not open under the current secret or a previous one');
  });

  it('does the same work for a value under a previous secret as for one under none: every key is tried', () => {
    const decipherings = (open: () => unknown) => {
      const spy = jest.spyOn(crypto, 'createDecipheriv');
      try {
        try {
          open();
        } catch {
          // refused: counted all the same
        }
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };
    const stranger = new SecretBox('s'.repeat(40), 'mail-outbox-body').seal('body', 'mail-1');
    expect([
      decipherings(() => rotated.open(underBAlone.seal('body', 'mail-1'), 'mail-1')),
      decipherings(() => rotated.open(underA.seal('body', 'mail-1'), 'mail-1')),
      decipherings(() => rotated.open(stranger, 'mail-1')),
    ]).toEqual([3, 3, 3]);
  });

  it('keeps the uses apart under a previous secret too', () => {
    expect(() => new SecretBox(B, 'webhook-signing-secret', [A]).open(underA.seal('body', 'mail-1'), 'mail-1')).toThrow();
  });

  it('carries webhook signing secrets across a change of WEBHOOK_SECRET_KEY', () => {
    const sealed = new SigningSecretBox(A).seal('whsec_abc', 'endpoint-1');
    const rotatedKey = new SigningSecretBox(B, [A]);
    expect(rotatedKey.open(sealed, 'endpoint-1')).toBe('whsec_abc');
    expect(new SigningSecretBox(B).open(rotatedKey.reseal(sealed, 'endpoint-1')!, 'endpoint-1')).toBe('whsec_abc');
    expect(() => new SigningSecretBox(B).open(sealed, 'endpoint-1')).toThrow();
  });
});

describe('one-time codes across a rotation of PRIVACY_SECRET', () => {
  const REQUEST = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
  const hashUnderA = codeHash(A, REQUEST, '123456');

  it('verify under the secret they were hashed under, listed as a previous one', () => {
    expect(codeMatches([B, A], REQUEST, '123456', hashUnderA)).toBe(true);
    expect(codeMatches([B, C, A], REQUEST, '123456', hashUnderA)).toBe(true);
  });

  it('cost one HMAC per secret, whichever matches or none', () => {
    const hmacs = (code: string) => {
      const spy = jest.spyOn(crypto, 'createHmac');
      try {
        codeMatches([B, C, A], REQUEST, code, hashUnderA);
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };
    expect([hmacs('123456'), hmacs('654321')]).toEqual([3, 3]);
  });

  it('do not verify once it is dropped, as a wrong code does not', () => {
    expect(codeMatches([B], REQUEST, '123456', hashUnderA)).toBe(false);
    expect(codeMatches([B, A], REQUEST, '654321', hashUnderA)).toBe(false);
    expect(codeMatches([B, A], 'another-request', '123456', hashUnderA)).toBe(false);
  });
});

describe('attachment links across a rotation of CURSOR_SECRET', () => {
  const caller = { principal: { kind: 'staff', subject: 'agent-7', roles: ['after_sales_agent'] }, purpose: 'after_sales' } as never;

  it('open under a previous secret until they expire; new ones are sealed under the current one', async () => {
    const path = await new AttachmentLinks(A, 60).issue('att-1', caller, {});
    const token = path.replace('/attachments/', '');
    expect((await new AttachmentLinks(B, 60, [A]).open(token))?.attachmentId).toBe('att-1');
    expect(await new AttachmentLinks(B, 60).open(token)).toBeUndefined();
    const fresh = (await new AttachmentLinks(B, 60, [A]).issue('att-2', caller, {})).replace('/attachments/', '');
    expect((await new AttachmentLinks(B, 60).open(fresh))?.attachmentId).toBe('att-2');
    expect(await new AttachmentLinks(A, 60).open(fresh)).toBeUndefined();
  });
});

describe('visitor pseudonyms across a rotation of BEHAVIOR_PSEUDONYM_KEY', () => {
  const VISITOR = 'cookie-7f3a';
  const lateOnMonday = new Date('2026-03-02T23:59:00Z');
  const tuesday = new Date('2026-03-03T00:01:00Z');
  const rotated = { behaviorPseudonymKey: B, behaviorPseudonymRotation: { previousKey: A, since: '2026-03-03' } };
  const view = (occurredAt: Date) => ({ visitorId: VISITOR, occurredAt, ip: '192.0.2.1', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', page: '/', dwellMs: 0, clicks: 0, analyticsConsent: true }) as never;

  it('keep the days before the rotation day under the previous key, so a late view of such a day meets the pseudonym recorded that day', () => {
    // Monday's pseudonym, as Monday's ingest and a refusal recorded on Monday made it (under A, before the rotation).
    const monday = pseudonymizeVisitor(A, VISITOR, lateOnMonday);
    const [late, next] = desensitizeBatch(rotated, [view(lateOnMonday), view(tuesday)], new Date('2026-03-03T10:00:00Z'));
    expect(late.visitor_pseudonym).toBe(monday);
    expect(next.visitor_pseudonym).toBe(pseudonymizeVisitor(B, VISITOR, tuesday));
    expect(pseudonymMaster(rotated, tuesday)).toBe(B);
    expect(pseudonymMaster({ behaviorPseudonymKey: B }, lateOnMonday)).toBe(B);
  });

  it('are configured as one previous key and the first day under the current one, both or neither', () => {
    expect(loadConfig({ ...PRODUCTION, BEHAVIOR_PSEUDONYM_KEY_PREVIOUS: A, BEHAVIOR_PSEUDONYM_KEY_SINCE: '2026-03-03' }).behaviorPseudonymRotation).toEqual({ previousKey: A, since: '2026-03-03' });
    expect(loadConfig(PRODUCTION).behaviorPseudonymRotation).toBeUndefined();
    const both = 'BEHAVIOR_PSEUDONYM_KEY_PREVIOUS and BEHAVIOR_PSEUDONYM_KEY_SINCE: set both (one previous key, and the first UTC day under BEHAVIOR_PSEUDONYM_KEY), or neither';
    expect(() => loadConfig({ ...PRODUCTION, BEHAVIOR_PSEUDONYM_KEY_PREVIOUS: A })).toThrow(new ConfigError(both));
    expect(() => loadConfig({ ...PRODUCTION, BEHAVIOR_PSEUDONYM_KEY_SINCE: '2026-03-03' })).toThrow(new ConfigError(both));
    expect(() => loadConfig({ ...PRODUCTION, BEHAVIOR_PSEUDONYM_KEY_PREVIOUS: `${A},${C}`, BEHAVIOR_PSEUDONYM_KEY_SINCE: '2026-03-03' })).toThrow(new ConfigError(both));
    expect(() => loadConfig({ ...PRODUCTION, BEHAVIOR_PSEUDONYM_KEY_PREVIOUS: A, BEHAVIOR_PSEUDONYM_KEY_SINCE: '2026-02-30' })).toThrow(
      new ConfigError('BEHAVIOR_PSEUDONYM_KEY_SINCE: expected a date like 2026-12-25 (the first UTC day under BEHAVIOR_PSEUDONYM_KEY), got "2026-02-30"'),
    );
  });
});
