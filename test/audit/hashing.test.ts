/**
 * The hashing the log stands on: canonical JSON (one byte sequence per value) and the RFC 6962
 * Merkle tree hash, checked against the Certificate Transparency reference vectors.
 */
import { createHash } from 'node:crypto';
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import { CheckedLists, coordinateSetHash, eventHash, rowJsonOf, sealHash, subjectSetHash, toAuditRecord, type AuditEventInput } from '../../src/audit/audit-record';
import { canonicalJson } from '../../src/platform/canonical-json';
import { leafHash, merkleRoot, sha256Hex } from '../../src/audit/merkle';

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined members, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1, { z: null, y: undefined, x: 'é' }], c: true } })).toBe('{"a":{"c":true,"d":[3,1,{"x":"é","z":null}]},"b":1}');
  });

  it('writes dates as ISO-8601 UTC with milliseconds', () => {
    expect(canonicalJson({ at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) })).toBe('{"at":"2026-01-02T03:04:05.006Z"}');
  });

  it('writes a list of strings as element-by-element canonical JSON would, escapes included', () => {
    const strings = ['b', 'a', '', 'é\u2028', 'quote " and \\ backslash', '\u0000\n\t', '😀', '\ud800'];
    const elementwise = `[${strings.map((item) => canonicalJson(item)).join(',')}]`;
    expect(canonicalJson(strings)).toBe(elementwise);
    expect(canonicalJson({ list: strings, mixed: ['a', 1] })).toBe(`{"list":${elementwise},"mixed":["a",1]}`);
  });

  it.each([
    ['NaN', NaN, /expected a finite number, got NaN/],
    ['a bigint', 1n, /expected JSON data, got a bigint/],
    ['an invalid date', new Date('nope'), /expected a valid Date/],
  ])('refuses %s', (_label, value, message) => {
    expect(() => canonicalJson({ value })).toThrow(message);
  });
});

describe('Merkle tree hash (RFC 6962)', () => {
  // certificate-transparency: the roots of the trees over the first n of these leaves.
  const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
  const ROOTS = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];
  const leafOfBytes = (hex: string) => createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(hex, 'hex')])).digest('hex');

  it.each(ROOTS.map((root, i) => [i + 1, root]))('gives the reference root of %i leaves', (n, root) => {
    expect(merkleRoot(LEAVES.slice(0, n as number).map(leafOfBytes))).toBe(root);
  });

  it('hashes a leaf with the 0x00 prefix', () => {
    expect(leafHash('')).toBe(ROOTS[0]);
  });

  it('has no root for no leaves', () => {
    expect(() => merkleRoot([])).toThrow('merkleRoot: expected at least one leaf, got none');
  });
});

describe('seal hash', () => {
  it('is the sha256 of the canonical JSON of its six fields', () => {
    const seal = {
      id: '12',
      sealedAt: new Date(Date.UTC(2026, 5, 1, 2, 3, 4, 5)),
      eventCount: 2,
      eventIds: ['0190a000-0000-7000-8000-000000000001', '0190a000-0000-7000-8000-000000000002'],
      merkleRoot: 'a'.repeat(64),
      previousHash: 'b'.repeat(64),
    };
    const expected = createHash('sha256')
      .update(
        '{"eventCount":2,"eventIds":["0190a000-0000-7000-8000-000000000001","0190a000-0000-7000-8000-000000000002"],"id":"12",' +
          `"merkleRoot":"${'a'.repeat(64)}","previousHash":"${'b'.repeat(64)}","sealedAt":"2026-06-01T02:03:04.005Z"}`,
      )
      .digest('hex');
    expect(sealHash(seal)).toBe(expected);
    expect(sealHash(seal)).toBe(sha256Hex(canonicalJson(seal)));
  });
});

describe('event hash', () => {
  const input: AuditEventInput = {
    requestId: 'r-1',
    at: new Date(Date.UTC(2026, 0, 1)),
    principal: { kind: 'staff', id: 'alice', roles: ['fraud_analyst', 'customer_service'] },
    purpose: 'after_sales',
    operationType: AuditOperationType.QUERY,
    outcome: AuditOutcome.OK,
    disclosed: ['Order.status', 'Customer.email'],
  };
  const record = toAuditRecord(input);

  it('is the leaf of the canonical JSON of the normalized event', () => {
    expect(record.roles).toEqual(['customer_service', 'fraud_analyst']);
    expect(record.disclosed).toEqual(['Customer.email', 'Order.status']);
    // A column added later is hashed only when set, so an event without it hashes as it always did.
    const { hash, subjectSet, coordinateSet: _c, privacyRequestReference, traceId, ...content } = record;
    expect({ privacyRequestReference, traceId }).toEqual({ privacyRequestReference: null, traceId: null });
    expect(hash).toBe(leafHash(canonicalJson(content)));
    expect(eventHash({ ...content, privacyRequestReference, traceId })).toBe(hash);
    expect(subjectSet).toBeNull(); // no subjects, no set
  });

  it('covers the privacy request a read serves, when it has one, and flags the read', () => {
    const served = toAuditRecord({ ...input, purpose: 'data_subject_request', privacyRequestReference: 'PR-1' });
    const { hash, subjectSet: _s, coordinateSet: _c, traceId: _t, ...content } = served;
    expect(served.flagged).toBe(true);
    expect(hash).toBe(leafHash(canonicalJson(content)));
    expect(eventHash({ ...content, traceId: null, privacyRequestReference: 'PR-2' })).not.toBe(hash);
    expect(eventHash({ ...content, traceId: null, privacyRequestReference: null })).not.toBe(hash);
  });

  it("covers the request's trace id when it has one, and refuses one that is not 32 hex digits", () => {
    const traced = toAuditRecord({ ...input, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    const { hash, subjectSet: _s, coordinateSet: _c, privacyRequestReference: _p, ...content } = traced;
    expect(hash).toBe(leafHash(canonicalJson(content)));
    expect(eventHash({ ...traced, traceId: '4bf92f3577b34da6a3ce929d0e0e4737' })).not.toBe(hash);
    expect(eventHash({ ...traced, traceId: null })).not.toBe(hash);
    expect(() => toAuditRecord({ ...input, traceId: 'not-a-trace' })).toThrow(/traceId/);
  });

  it('checks a repeated subject list once and still refuses a bad one every time, without sharing the list between records', () => {
    const ids = ['00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000a'];
    const checked = new CheckedLists();
    const first = toAuditRecord({ ...input, subjectIds: ids }, checked);
    first.subjectIds.push('changed by its holder');
    const second = toAuditRecord({ ...input, subjectIds: [...ids] }, checked);
    expect(second.subjectIds).toEqual([ids[1], ids[0]]);
    expect(second.subjectSet).toBe(subjectSetHash([ids[1]!, ids[0]!]));
    const bad = [ids[0]!, 'not-a-uuid'];
    for (let i = 0; i < 2; i++) expect(() => toAuditRecord({ ...input, subjectIds: bad }, checked)).toThrow(/subjectIds\[1\]: expected a UUID/);
  });

  it('tells apart subject lists that share their length and first and last ids, and checks each one', () => {
    const [a, b, c, d] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c', '00000000-0000-4000-8000-00000000000d'];
    const checked = new CheckedLists();
    for (let i = 0; i < 2; i++) {
      expect(toAuditRecord({ ...input, subjectIds: [c!, b!, a!] }, checked).subjectIds).toEqual([a, b, c]);
      const other = toAuditRecord({ ...input, subjectIds: [c!, d!, a!] }, checked);
      expect(other.subjectIds).toEqual([a, c, d]);
      expect(other.subjectSet).toBe(subjectSetHash([a!, c!, d!]));
      expect(() => toAuditRecord({ ...input, subjectIds: [c!, 'not-a-uuid', a!] }, checked)).toThrow(/subjectIds\[1\]: expected a UUID/);
      expect(() => toAuditRecord({ ...input, subjectIds: [c!, 7, a!] as unknown as string[] }, checked)).toThrow(/subjectIds\[1\]: expected a UUID/);
      // Repeats, as a page whose rows share a customer gives them: one subject each.
      const repeated = toAuditRecord({ ...input, subjectIds: [b!, a!, b!, a!] }, checked);
      expect(repeated.subjectIds).toEqual([a, b]);
      expect(repeated.subjectSet).toBe(subjectSetHash([a!, b!]));
    }
  });

  it('gives the same subjects and set for a list in any order or case, whether or not it was seen before', () => {
    const ids = ['00000000-0000-4000-8000-00000000000c', '00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
    const sorted = [...ids].sort();
    const checked = new CheckedLists();
    for (const list of [ids, [...ids].reverse(), ids.map((id) => id.toUpperCase()), [ids[1]!, ids[2]!, ids[0]!, ids[1]!], ids]) {
      const record = toAuditRecord({ ...input, subjectIds: list }, checked);
      expect(record.subjectIds).toEqual(sorted);
      expect(record.subjectSet).toBe(subjectSetHash(sorted));
    }
  });

  it('names the subjects\' set by the sha256 of their sorted, de-duplicated list, outside the hashed content', () => {
    const ids = ['00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000a'];
    const withSubjects = toAuditRecord({ ...input, subjectIds: [ids[0]!.toUpperCase(), ...ids] });
    expect(withSubjects.subjectIds).toEqual([ids[1], ids[0]]);
    expect(withSubjects.subjectSet).toBe(sha256Hex(`["${ids[1]}","${ids[0]}"]`));
    expect(subjectSetHash(withSubjects.subjectIds)).toBe(withSubjects.subjectSet);
    const { hash, subjectSet: _set, coordinateSet: _c, ...content } = withSubjects;
    expect(hash).toBe(eventHash(content));
  });

  it('names the coordinate lists\' set by the sha256 of the three sorted lists, outside the hashed content, whether checked before or not', () => {
    const lists = { disclosed: ['Order.status', 'Customer.email', 'Order.status'], masked: ['Customer.phone'], denied: [] };
    const expected = createHash('sha256').update('{"denied":[],"disclosed":["Customer.email","Order.status"],"masked":["Customer.phone"]}').digest('hex');
    const checked = new CheckedLists();
    for (const record of [toAuditRecord({ ...input, ...lists }), toAuditRecord({ ...input, ...lists }, checked), toAuditRecord({ ...input, ...lists }, checked)]) {
      expect(record.coordinateSet).toBe(expected);
      expect(coordinateSetHash(record)).toBe(expected);
      const { hash, subjectSet: _s, coordinateSet: _c, ...content } = record;
      expect(hash).toBe(eventHash(content));
    }
    // The same coordinates in another list, or none at all, are another set.
    const moved = toAuditRecord({ ...input, disclosed: ['Customer.email', 'Order.status'], masked: [], denied: ['Customer.phone'] }, checked);
    expect(moved.coordinateSet).not.toBe(expected);
    const none = toAuditRecord({ ...input, disclosed: [] }, checked);
    expect(none.coordinateSet).toBe(createHash('sha256').update('{"denied":[],"disclosed":[],"masked":[]}').digest('hex'));
  });

  it('hashes each record as the canonical JSON of its content, whether its lists were checked before or not', () => {
    const ids = ['00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000a'];
    const varied: AuditEventInput[] = [
      input,
      { ...input, subjectIds: ids, masked: ['Customer.phone'], denied: ['Customer.email', 'Query.customers'], errorCodes: ['FORBIDDEN', 'FORBIDDEN'] },
      { ...input, principal: { kind: 'logistics_partner', id: 'carrier', partnerId: ids[0]! }, disclosed: ['quote " and \\ é\u2028', 'Order.status'] },
      { ...input, legalCaseReference: 'LC-1', privacyRequestReference: 'PR-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', detail: { b: [2, 1], a: null } },
      { ...input, principal: { kind: 'system', id: 'a-job' }, disclosed: [], operationName: 'Named', operationHash: 'a'.repeat(64) },
    ];
    const checked = new CheckedLists();
    // Twice through one cache: the second pass takes every list from it.
    for (const event of [...varied, ...varied]) {
      const record = toAuditRecord(event, checked);
      const { hash, subjectSet: _set, coordinateSet: _c, ...content } = record;
      const hashed = { ...content, privacyRequestReference: content.privacyRequestReference ?? undefined, traceId: content.traceId ?? undefined };
      expect(hash).toBe(leafHash(canonicalJson(hashed)));
      expect(eventHash(content)).toBe(hash);
      const unchecked = toAuditRecord({ ...event, at: record.at });
      expect({ ...unchecked, id: record.id, hash: eventHash({ ...unchecked, id: record.id }) }).toEqual(record);
    }
  });

  it('hashes the canonical JSON of the content when the free-text fields hold quotes, controls, line separators and lone surrogates', () => {
    const hostile = ['quote " back \\ slash', '\u0000\u001f\n\t', 'é\u2028\u2029', '😀', '\ud800', '</script>', '"}],"id":"x'];
    const checked = new CheckedLists();
    for (const text of hostile) {
      const event: AuditEventInput = {
        ...input,
        requestId: text,
        principal: { kind: 'staff', id: text, roles: ['customer_service'] },
        operationName: text,
        legalCaseReference: text,
        privacyRequestReference: text,
        disclosed: [text, 'Order.status'],
        detail: { [text]: text, n: 1.5 },
        subjectIds: ['00000000-0000-4000-8000-00000000000A'],
      };
      const record = toAuditRecord(event, checked);
      const { hash, subjectSet: _s, coordinateSet: _c, traceId: _t, ...content } = record;
      expect(hash).toBe(leafHash(canonicalJson(content)));
      expect(JSON.parse(rowJsonOf(record, '7'))).toMatchObject({ request_id: text, principal_id: text, operation_name: text, legal_case_reference: text, privacy_request_reference: text, detail: { [text]: text, n: 1.5 } });
    }
  });

  it('writes the same row for a record and for a copy of it (the copy has no row written beforehand)', () => {
    const record = toAuditRecord({ ...input, subjectIds: ['00000000-0000-4000-8000-00000000000a'], traceId: '4bf92f3577b34da6a3ce929d0e0e4736', detail: { n: 1 } });
    expect(rowJsonOf({ ...record }, '9')).toBe(rowJsonOf(record, '9'));
  });

  it('checks a repeated coordinate list once, refuses a bad one every time, and never shares a list between records', () => {
    const checked = new CheckedLists();
    const first = toAuditRecord({ ...input, disclosed: ['Order.status', 'Customer.email', 'Order.status'] }, checked);
    first.disclosed.push('changed by its holder');
    const second = toAuditRecord({ ...input, disclosed: ['Order.status', 'Customer.email', 'Order.status'] }, checked);
    expect(second.disclosed).toEqual(['Customer.email', 'Order.status']);
    expect(second.hash).toBe(eventHash({ ...second }));
    // The same items as another field's list are that field's to check: a role is a word, a coordinate need not be.
    expect(toAuditRecord({ ...input, denied: ['Customer.email'] }, checked).denied).toEqual(['Customer.email']);
    for (let i = 0; i < 2; i++) {
      expect(() => toAuditRecord({ ...input, principal: { ...input.principal, roles: ['Customer.email'] } }, checked)).toThrow(/principal\.roles\[0\]/);
      expect(() => toAuditRecord({ ...input, masked: ['Order.status', 'x'.repeat(201)] }, checked)).toThrow(/masked\[1\]/);
    }
  });

  it("answers a list repeated item by item from the last one its field was given, and not when the caller's array changed since", () => {
    const checked = new CheckedLists();
    const disclosed = ['Order.status', 'Customer.email'];
    const first = toAuditRecord({ ...input, disclosed }, checked);
    expect(first.disclosed).toEqual(['Customer.email', 'Order.status']);
    // The same array, its items changed in place: checked again, as any new list is.
    disclosed[1] = 'Customer.phone';
    const changed = toAuditRecord({ ...input, disclosed }, checked);
    expect(changed.disclosed).toEqual(['Customer.phone', 'Order.status']);
    expect(changed.coordinateSet).toBe(coordinateSetHash({ disclosed: ['Customer.phone', 'Order.status'], masked: [], denied: [] }));
    disclosed.push('x'.repeat(201));
    expect(() => toAuditRecord({ ...input, disclosed }, checked)).toThrow(/disclosed\[2\]/);
    // A new array with the last list's items; then another field with those items, and a list one item longer.
    const again = toAuditRecord({ ...input, disclosed: ['Order.status', 'Customer.phone'] }, checked);
    expect(again.disclosed).toEqual(['Customer.phone', 'Order.status']);
    expect(again.coordinateSet).toBe(changed.coordinateSet);
    const masked = toAuditRecord({ ...input, disclosed: ['Order.status'], masked: ['Order.status', 'Customer.phone'] }, checked);
    expect([masked.disclosed, masked.masked]).toEqual([['Order.status'], ['Customer.phone', 'Order.status']]);
    expect(masked.coordinateSet).toBe(coordinateSetHash({ disclosed: ['Order.status'], masked: ['Customer.phone', 'Order.status'], denied: [] }));
    const longer = toAuditRecord({ ...input, disclosed: ['Order.status', 'Customer.phone', 'Customer.email'] }, checked);
    expect(longer.disclosed).toEqual(['Customer.email', 'Customer.phone', 'Order.status']);
    for (const record of [first, changed, again, masked, longer]) expect(record.hash).toBe(eventHash({ ...record }));
  });

  it('answers a repeated principal id, operation name and operation hash from the last ones given, and checks a changed or bad one every time', () => {
    const checked = new CheckedLists();
    const named: AuditEventInput = { ...input, operationName: 'Quote " \\', operationHash: 'a'.repeat(64) };
    const first = toAuditRecord(named, checked);
    const again = toAuditRecord({ ...named, principal: { ...named.principal } }, checked);
    for (const record of [first, again]) {
      expect([record.principalId, record.operationName, record.operationHash]).toEqual(['alice', 'Quote " \\', 'a'.repeat(64)]);
      expect(record.hash).toBe(eventHash({ ...record }));
      expect(JSON.parse(rowJsonOf(record, '1'))).toMatchObject({ principal_id: 'alice', operation_name: 'Quote " \\', operation_hash: 'a'.repeat(64) });
    }
    const long = 'N'.repeat(250);
    const changed = toAuditRecord({ ...named, principal: { ...named.principal, id: 'bob' }, operationName: long, operationHash: 'b'.repeat(64) }, checked);
    expect([changed.principalId, changed.operationName, changed.operationHash]).toEqual(['bob', 'N'.repeat(200), 'b'.repeat(64)]);
    expect(JSON.parse(rowJsonOf(changed, '1'))).toMatchObject({ principal_id: 'bob', operation_name: 'N'.repeat(200) });
    const unnamed = toAuditRecord({ ...named, operationName: '', operationHash: null }, checked);
    expect([unnamed.operationName, unnamed.operationHash]).toEqual([null, null]);
    expect(JSON.parse(rowJsonOf(unnamed, '1'))).toMatchObject({ operation_name: null, operation_hash: null });
    for (let i = 0; i < 2; i++) {
      expect(() => toAuditRecord({ ...named, operationHash: 'A'.repeat(64) }, checked)).toThrow(/operationHash/);
      expect(() => toAuditRecord({ ...named, principal: { ...named.principal, id: '' } }, checked)).toThrow(/principal\.id/);
    }
    // After a refusal the last good values still answer, as they were.
    const after = toAuditRecord(named, checked);
    expect([after.principalId, after.operationName, after.operationHash]).toEqual(['alice', 'Quote " \\', 'a'.repeat(64)]);
    const unchecked = toAuditRecord({ ...named, at: after.at });
    expect({ ...unchecked, id: after.id, hash: eventHash({ ...unchecked, id: after.id }) }).toEqual(after);
  });

  it('writes the row as the JSON of its columns', () => {
    const record = toAuditRecord({ ...input, subjectIds: ['00000000-0000-4000-8000-00000000000a'], detail: { n: 1 }, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', operationName: 'Quote " \\' });
    expect(JSON.parse(rowJsonOf(record, '42'))).toEqual({
      id: record.id,
      at: '2026-01-01T00:00:00.000Z',
      request_id: 'r-1',
      principal_kind: 'staff',
      principal_id: 'alice',
      roles: ['customer_service', 'fraud_analyst'],
      partner_id: null,
      customer_id: null,
      grant_id: null,
      purpose: 'after_sales',
      operation_type: 'query',
      operation_name: 'Quote " \\',
      operation_hash: null,
      // One subject: the row holds it and names no set.
      subject_set: null,
      subject_id: '00000000-0000-4000-8000-00000000000a',
      // The lists are not in the row: it names their set.
      coordinate_set: createHash('sha256').update('{"denied":[],"disclosed":["Customer.email","Order.status"],"masked":[]}').digest('hex'),
      outcome: 'ok',
      error_codes: [],
      legal_case_reference: null,
      privacy_request_reference: null,
      flagged: false,
      detail: { n: 1 },
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      seal_id: '42',
      hash: record.hash,
    });
  });

  it('gives every event a time-ordered id (UUIDv7), increasing in the order the events were made', () => {
    const before = Date.now();
    const ids = Array.from({ length: 50 }, () => toAuditRecord(input).id);
    const after = Date.now();
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(after);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('changes with any column', () => {
    const { hash, ...content } = record;
    for (const change of [{ principalId: 'bob' }, { flagged: true }, { at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 1)) }, { masked: ['Customer.email'] }, { detail: {} }, { privacyRequestReference: 'PR-1' }]) {
      expect(eventHash({ ...content, ...change })).not.toBe(hash);
    }
  });
});
