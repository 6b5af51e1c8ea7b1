/**
 * The body of a compiled read's response: JSON text PostgreSQL built spliced in as it is, every
 * other response written as Apollo writes it, and the text read as what it stands for.
 */
import { carryingJsonText, JsonText, stringifyResult } from '../../src/execution/json-text';

describe('stringifyResult', () => {
  it("writes a response without JSON text as Apollo's own stringifyResult does: JSON and a newline", () => {
    const result = { errors: [{ message: 'no', path: ['a', 0], extensions: { code: 'FORBIDDEN' } }], data: { a: [null, { b: 'x"y', c: 1.5 }] } };
    expect(stringifyResult(result)).toBe('{"errors":[{"message":"no","path":["a",0],"extensions":{"code":"FORBIDDEN"}}],"data":{"a":[null,{"b":"x\\"y","c":1.5}]}}\n');
    expect(stringifyResult({ errors: [{ message: 'down' }] })).toBe('{"errors":[{"message":"down"}]}\n');
  });

  it("splices each JsonText's text into the body of data marked as carrying it, keeping key order and leaving out what JSON.stringify leaves out", () => {
    const data = carryingJsonText({
      order: new JsonText('{"id" : "o-1", "items" : [{"sku" : "A"}, \n {"sku" : "B"}]}'),
      missing: null,
      list: { __typename: 'ShipmentConnection', nodes: [new JsonText('{"n" : 1}'), new JsonText('{"n" : 2}')], pageInfo: { hasNextPage: true, endCursor: 'c"1' } },
      edges: [{ cursor: 'x', node: new JsonText('{"n" : 1}') }],
      gone: undefined,
    });
    const body = stringifyResult({ errors: undefined, data, extensions: undefined });
    expect(body).toBe(
      '{"data":{"order":{"id" : "o-1", "items" : [{"sku" : "A"}, \n {"sku" : "B"}]},"missing":null,' +
        '"list":{"__typename":"ShipmentConnection","nodes":[{"n" : 1},{"n" : 2}],"pageInfo":{"hasNextPage":true,"endCursor":"c\\"1"}},' +
        '"edges":[{"cursor":"x","node":{"n" : 1}}]}}\n',
    );
    // The same JSON value, key order included, as writing the parsed data out would give.
    expect(JSON.stringify(JSON.parse(body))).toBe(JSON.stringify({ data }));
  });

  it('keeps strings of the data that look like what it splices around, NUL included', () => {
    const odd = ['\u0000', '\u0000x', '"\\u0000"', '{"n" : 1}'];
    const data = carryingJsonText({ odd, list: [new JsonText('[{"a":1}, \n {"a":2}]'), odd] });
    const body = stringifyResult({ data });
    expect(body).toBe(`{"data":{"odd":${JSON.stringify(odd)},"list":[[{"a":1}, \n {"a":2}],${JSON.stringify(odd)}]}}\n`);
    expect(JSON.parse(body)).toEqual({ data: { odd, list: [[{ a: 1 }, { a: 2 }], odd] } });
  });

  it('writes JsonText in data that is not marked as the value it stands for', () => {
    expect(stringifyResult({ data: { a: new JsonText('{"x" : [1, 2]}') } })).toBe('{"data":{"a":{"x":[1,2]}}}\n');
  });
});

describe('JsonText', () => {
  it('stands for the value of its text, parsed once', () => {
    const text = new JsonText('{"a" : [1, null, "b"]}');
    const value = text.toJSON();
    expect(value).toEqual({ a: [1, null, 'b'] });
    expect(text.toJSON()).toBe(value);
    expect(JSON.parse(JSON.stringify({ text }))).toEqual({ text: { a: [1, null, 'b'] } });
  });
});
