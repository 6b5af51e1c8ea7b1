/**
 * negotiator's media type lists remembered per Accept value and offered list
 * (src/http/media-type-choices.ts): the same answers negotiator gives, for the module Apollo uses.
 */
import { createRequire } from 'node:module';
import Negotiator from 'negotiator';
import { rememberMediaTypeChoices } from '../../src/http/media-type-choices';

const APOLLO_OFFERS = ['multipart/mixed; deferSpec=20220824', 'multipart/mixed; incrementalSpec=v0.2'];
const SINGLE = ['application/json; charset=utf-8', 'application/graphql-response+json; charset=utf-8', 'application/json; callbackSpec=1.0; charset=utf-8'];

describe("negotiator's media type choices, remembered", () => {
  beforeAll(() => rememberMediaTypeChoices());

  it('is the negotiator Apollo Server resolves', () => {
    const fromApollo = createRequire(require.resolve('@apollo/server'))('negotiator');
    expect(fromApollo).toBe(Negotiator);
  });

  it('answers as negotiator does, the first time and again', () => {
    const cases: Array<[string | undefined, string[], string[]]> = [
      [undefined, APOLLO_OFFERS, APOLLO_OFFERS],
      ['application/json', APOLLO_OFFERS, []],
      ['multipart/mixed; incrementalSpec=v0.2, application/json;q=0.5', APOLLO_OFFERS, ['multipart/mixed; incrementalSpec=v0.2']],
      ['', SINGLE, []],
      ['application/graphql-response+json, application/json;q=0.9', SINGLE, ['application/graphql-response+json; charset=utf-8', 'application/json; charset=utf-8', 'application/json; callbackSpec=1.0; charset=utf-8']],
      ['*/*', SINGLE, SINGLE],
      ['text/html', SINGLE, []],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [accept, offered, expected] of cases) {
        expect(new Negotiator({ headers: { accept } }).mediaTypes([...offered])).toEqual(expected);
        expect(new Negotiator({ headers: { accept } }).mediaType([...offered])).toBe(expected[0]);
      }
    }
  });

  it('tells apart Accept values and offered lists that would read the same run together', () => {
    expect(new Negotiator({ headers: { accept: 'text/a' } }).mediaTypes(['text/a', 'text/b'])).toEqual(['text/a']);
    expect(new Negotiator({ headers: { accept: 'text/b' } }).mediaTypes(['text/a', 'text/b'])).toEqual(['text/b']);
    expect(new Negotiator({ headers: { accept: 'text/a' } }).mediaTypes(['text/a,text/b'])).toEqual([]);
  });

  it('hands out a copy, so a caller that changes its list changes no later answer', () => {
    const first = new Negotiator({ headers: { accept: 'application/json' } }).mediaTypes([...SINGLE]);
    first.length = 0;
    first.push('changed');
    expect(new Negotiator({ headers: { accept: 'application/json' } }).mediaTypes([...SINGLE])).toEqual([SINGLE[0], SINGLE[2]]);
  });

  it('negotiates without a list offered, and long values, as before', () => {
    expect(new Negotiator({ headers: { accept: 'text/html, application/json;q=0.5' } }).mediaTypes()).toEqual(['text/html', 'application/json']);
    const long = `application/json, ${'x-a/b;q=0.1, '.repeat(40)}text/html;q=0.2`;
    expect(new Negotiator({ headers: { accept: long } }).mediaTypes(['text/html', 'application/json'])).toEqual(['application/json', 'text/html']);
  });
});
