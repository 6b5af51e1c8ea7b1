/**
 * The order a response's errors leave in (src/execution/error-order.ts): response order, whatever
 * order they were raised in.
 */
import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { inResponseOrder } from '../../src/execution/error-order';

const schema = buildSchema(`
  type Query { a: Thing, b: [Thing], c: Thing }
  type Thing { x: String, y: String, inner: Thing, list: [Thing] }
`);

function order(query: string, paths: Array<Array<string | number> | undefined>): Array<Array<string | number> | undefined> {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return inResponseOrder(
    paths.map((path) => ({ path })),
    schema,
    document,
    operation,
  ).map((e) => e.path);
}

describe('errors in response order', () => {
  it('orders root fields as the document selects them, and a field before those below it', () => {
    const query = `{ c { x } b { y inner { x } } a { x y } }`;
    expect(order(query, [['a', 'y'], ['b', 1, 'y'], ['a', 'x'], ['c', 'x'], ['b', 0, 'inner', 'x'], ['b', 0, 'inner'], ['b', 0, 'y']])).toEqual([
      ['c', 'x'],
      ['b', 0, 'y'],
      ['b', 0, 'inner'],
      ['b', 0, 'inner', 'x'],
      ['b', 1, 'y'],
      ['a', 'x'],
      ['a', 'y'],
    ]);
  });

  it('orders list items by index, numerically', () => {
    expect(order(`{ b { x } }`, [['b', 10, 'x'], ['b', 2, 'x'], ['b', 1, 'x']])).toEqual([['b', 1, 'x'], ['b', 2, 'x'], ['b', 10, 'x']]);
  });

  it('follows aliases, fragments and inline fragments, each key where it is first selected', () => {
    const query = `query { second: a { ...F y } first: c { ... on Thing { list { y } } x } }
      fragment F on Thing { inner { y } x }`;
    expect(order(query, [['first', 'x'], ['second', 'y'], ['first', 'list', 0, 'y'], ['second', 'x'], ['second', 'inner', 'y']])).toEqual([
      ['second', 'inner', 'y'],
      ['second', 'x'],
      ['second', 'y'],
      ['first', 'list', 0, 'y'],
      ['first', 'x'],
    ]);
  });

  it('puts errors without a path first and keeps the order of errors at one place', () => {
    const errors = [{ path: ['a', 'x'], n: 1 }, { path: undefined, n: 2 }, { path: ['a', 'x'], n: 3 }, { path: undefined, n: 4 }];
    const document = parse(`{ a { x } }`);
    const operation = document.definitions[0] as OperationDefinitionNode;
    expect(inResponseOrder(errors, schema, document, operation).map((e) => e.n)).toEqual([2, 4, 1, 3]);
  });

  it('leaves fewer than two errors as they are', () => {
    const errors = [{ path: ['a'] }];
    const document = parse(`{ a { x } }`);
    expect(inResponseOrder(errors, schema, document, document.definitions[0] as OperationDefinitionNode)).toBe(errors);
  });
});
