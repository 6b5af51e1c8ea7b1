/**
 * Sealed cursors: what a caller holds reads as nothing, opens only for the caller, list and
 * ordering it was made for, and every other cursor is refused with one message.
 */
import { GraphQLError } from 'graphql';
import { ConfigError, DEV_CURSOR_SECRET, loadConfig } from '../../src/platform/config';
import { CursorKey, INVALID_CURSOR_MESSAGE } from '../../src/platform/cursor-seal';
import type { Ordering } from '../../src/platform/pagination';

const CREATED_DESC: Ordering = { name: 'CREATED_AT_DESC', property: 'createdAt', direction: 'DESC', kind: 'timestamp' };
const CREATED_ASC: Ordering = { ...CREATED_DESC, name: 'CREATED_AT_ASC', direction: 'ASC' };
const ID = '2b7e9a8c-1f3d-4e5a-9b6c-7d8e9f0a1b2c';
const AT = new Date('2026-03-04T05:06:07.891Z');

const key = new CursorKey('k'.repeat(40));
const providerA = key.forCaller('["payment_provider|payment_settlement|","payment_provider","psp","provider-a","",""]');
const providerB = key.forCaller('["payment_provider|payment_settlement|","payment_provider","psp","provider-b","",""]');

/** The error a cursor is refused with, or undefined when it opens. */
function refusal(open: () => unknown): { code: unknown; message: string } | undefined {
  try {
    open();
    return undefined;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return { code: error.extensions.code, message: error.message };
  }
}
const REFUSED = { code: 'BAD_USER_INPUT', message: INVALID_CURSOR_MESSAGE };

describe('a sealed cursor', () => {
  const cursor = providerA.seal('payment_verification', CREATED_DESC, AT, ID);

  it('opens for the caller, list and ordering it was made for, with the position it holds', () => {
    expect(providerA.open(cursor, 'payment_verification', CREATED_DESC)).toEqual({ v: AT.toISOString(), i: ID });
  });

  it('holds nothing readable: neither the sort value nor the id, in any encoding a caller would try', () => {
    const raw = Buffer.from(cursor, 'base64url');
    for (const text of [cursor, raw.toString('utf8'), raw.toString('latin1'), raw.toString('hex')]) {
      for (const secret of [AT.toISOString(), '2026-03-04', ID, ID.replace(/-/g, ''), 'createdAt', '"v"']) expect(text.includes(secret)).toBe(false);
    }
    expect(() => JSON.parse(raw.toString('utf8'))).toThrow();
  });

  it('is different each time it is sealed, so equal cursors do not tell equal positions', () => {
    expect(providerA.seal('payment_verification', CREATED_DESC, AT, ID)).not.toBe(cursor);
  });

  it('never reuses an IV, over many pages of cursors sealed one after another, and each opens to its position', () => {
    const sealed = Array.from({ length: 1500 }, (_, i) => providerA.seal('payment_verification', CREATED_DESC, AT, ID.replace(/.{4}$/, String(i).padStart(4, '0'))));
    const ivs = new Set(sealed.map((cursor) => Buffer.from(cursor, 'base64url').subarray(1, 13).toString('hex')));
    expect(ivs.size).toBe(sealed.length);
    sealed.forEach((cursor, i) => expect(providerA.open(cursor, 'payment_verification', CREATED_DESC)).toEqual({ v: AT.toISOString(), i: ID.replace(/.{4}$/, String(i).padStart(4, '0')) }));
  });

  it('is refused, with one message, for another caller, another list, another ordering or another server key', () => {
    expect(refusal(() => providerB.open(cursor, 'payment_verification', CREATED_DESC))).toEqual(REFUSED);
    expect(refusal(() => providerA.open(cursor, 'shipment', CREATED_DESC))).toEqual(REFUSED);
    expect(refusal(() => providerA.open(cursor, 'payment_verification', CREATED_ASC))).toEqual(REFUSED);
    const otherServer = new CursorKey('o'.repeat(40)).forCaller('["payment_provider|payment_settlement|","payment_provider","psp","provider-a","",""]');
    expect(refusal(() => otherServer.open(cursor, 'payment_verification', CREATED_DESC))).toEqual(REFUSED);
  });

  it('is bound the same when the binding is given as a function, asked once and only when a cursor is used', () => {
    let asked = 0;
    const binding = (caller: string) => () => {
      asked++;
      return `["payment_provider|payment_settlement|","payment_provider","psp","${caller}","",""]`;
    };
    const lazyA = key.forCaller(binding('provider-a'));
    const lazyB = key.forCaller(binding('provider-b'));
    expect(asked).toBe(0);
    expect(lazyA.open(cursor, 'payment_verification', CREATED_DESC)).toEqual({ v: AT.toISOString(), i: ID });
    expect(refusal(() => lazyB.open(cursor, 'payment_verification', CREATED_DESC))).toEqual(REFUSED);
    const sealed = lazyA.seal('shipment', CREATED_ASC, AT, ID);
    expect(providerA.open(sealed, 'shipment', CREATED_ASC)).toEqual({ v: AT.toISOString(), i: ID });
    expect(refusal(() => providerB.open(sealed, 'shipment', CREATED_ASC))).toEqual(REFUSED);
    expect(asked).toBe(2);
  });

  it('is refused, with the same message, when any one bit of it is changed', () => {
    const raw = Buffer.from(cursor, 'base64url');
    for (let byte = 0; byte < raw.length; byte++) {
      const changed = Buffer.from(raw);
      changed[byte] ^= 1 << byte % 8;
      expect([byte, refusal(() => providerA.open(changed.toString('base64url'), 'payment_verification', CREATED_DESC))]).toEqual([byte, REFUSED]);
    }
  });

  it.each([
    ['an empty string', ''],
    ['plain text', 'not-a-cursor'],
    ['a readable cursor of the old kind', Buffer.from(JSON.stringify({ o: 'CREATED_AT_DESC', v: AT.toISOString(), i: ID })).toString('base64url')],
    ['a truncated cursor', cursor.slice(0, 30)],
    ['a very long string', 'A'.repeat(100_000)],
  ])('refuses %s with the same message', (_label, forged) => {
    expect(refusal(() => providerA.open(forged, 'payment_verification', CREATED_DESC))).toEqual(REFUSED);
  });
});

describe('cursors across a rotation of CURSOR_SECRET', () => {
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);
  const CALLER = '["customer","customer","c-1"]';
  const underA = new CursorKey(A).forCaller(CALLER).seal('orders', CREATED_DESC, AT, ID);

  it('open under a previous secret for the caller they were made for, and new ones are sealed under the current one', () => {
    const rotated = new CursorKey(B, [A]).forCaller(CALLER);
    expect(rotated.open(underA, 'orders', CREATED_DESC)).toEqual({ v: AT.toISOString(), i: ID });
    expect(new CursorKey(B).forCaller(CALLER).open(rotated.seal('orders', CREATED_DESC, AT, ID), 'orders', CREATED_DESC)).toEqual({ v: AT.toISOString(), i: ID });
    expect(refusal(() => new CursorKey(B, [A]).forCaller('["customer","customer","c-2"]').open(underA, 'orders', CREATED_DESC))).toEqual(REFUSED);
  });

  it('are refused, as a forged cursor is, once the secret is dropped', () => {
    const current = new CursorKey(B).forCaller(CALLER);
    const forged = `${underA.slice(0, 20)}${underA[20] === 'A' ? 'B' : 'A'}${underA.slice(21)}`;
    expect(refusal(() => current.open(underA, 'orders', CREATED_DESC))).toEqual(REFUSED);
    expect(refusal(() => new CursorKey(B, [A]).forCaller(CALLER).open(forged, 'orders', CREATED_DESC))).toEqual(REFUSED);
  });
});

describe('CURSOR_SECRET', () => {
  it('is required in production, and must be 32 characters or more', () => {
    const production = { NODE_ENV: 'production', BEHAVIOR_PSEUDONYM_KEY: 'b'.repeat(40), PRIVACY_SECRET: 'p'.repeat(40), SMTP_URL: 'smtp://mail.example:587', WEBHOOK_SECRET_KEY: 'w'.repeat(40) };
    expect(() => loadConfig(production)).toThrow(new ConfigError('CURSOR_SECRET: required in production (32 or more random characters)'));
    expect(() => loadConfig({ ...production, CURSOR_SECRET: 'short' })).toThrow(new ConfigError('CURSOR_SECRET: expected 32 or more characters'));
    expect(loadConfig({ ...production, CURSOR_SECRET: 'c'.repeat(40) }).cursorSecret).toBe('c'.repeat(40));
  });

  it('has a development value outside production', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).cursorSecret).toBe(DEV_CURSOR_SECRET);
  });
});
