/**
 * DisclosureRecorder.resolveSubjects: the customer ids a request's audit event names, from what
 * the request recorded (the audit record then sorts and de-duplicates them: hashing.test.ts).
 */
import { DisclosureRecorder, type Queryable } from '../../src/audit/disclosure-recorder';

const [a, b, c] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c'];

/** A database that must not be asked: every subject here is named directly. */
const noQueries: Queryable = {
  query: () => Promise.reject(new Error('no query expected')),
};

describe('DisclosureRecorder.resolveSubjects', () => {
  it("hands on one compiled read's row subjects as the rows gave them, without a query", async () => {
    const recorder = new DisclosureRecorder();
    recorder.subjectsOfRows([b!, a!, b!]);
    expect(await recorder.resolveSubjects(noQueries)).toEqual([b, a, b]);
    expect(recorder.snapshot().subjectIds).toEqual([b, a]);
  });

  it("answers one compiled read's row subjects at once (subjectsOfRowsOnly), and nothing when anything else was recorded", () => {
    const rowsOnly = new DisclosureRecorder();
    rowsOnly.subjectsOfRows([b!, a!, b!]);
    expect(rowsOnly.subjectsOfRowsOnly()).toEqual([b, a, b]);
    expect(rowsOnly.snapshot().subjectIds).toEqual([b, a]);
    expect(new DisclosureRecorder().subjectsOfRowsOnly()).toBeUndefined();
    const twoStatements = new DisclosureRecorder();
    twoStatements.subjectsOfRows([a!]);
    twoStatements.subjectsOfRows([b!]);
    expect(twoStatements.subjectsOfRowsOnly()).toBeUndefined();
    const withOrder = new DisclosureRecorder();
    withOrder.subjectsOfRows([a!]);
    withOrder.subjectOfOrder('00000000-0000-4000-8000-0000000000f1');
    expect(withOrder.subjectsOfRowsOnly()).toBeUndefined();
    const withCustomer = new DisclosureRecorder();
    withCustomer.subjectsOfRows([a!]);
    withCustomer.subject(c!);
    expect(withCustomer.subjectsOfRowsOnly()).toBeUndefined();
  });

  it('names each customer once, in the order first seen, when rows come with other subjects or from several statements', async () => {
    const recorder = new DisclosureRecorder();
    recorder.subject(c!);
    recorder.subjectsOfRows([b!, c!, b!]);
    recorder.subjectsOfRows([a!, b!]);
    expect(await recorder.resolveSubjects(noQueries)).toEqual([c, b, a]);
    expect(recorder.snapshot().subjectIds).toEqual([c, b, a]);
  });

  it('looks up the customers of the orders a row list came with', async () => {
    const recorder = new DisclosureRecorder();
    const order = '00000000-0000-4000-8000-0000000000f1';
    recorder.subjectsOfRows([a!, b!]);
    recorder.subjectOfOrder(order);
    const asked: unknown[][] = [];
    const db: Queryable = {
      query: async (_sql, parameters) => {
        asked.push(parameters!);
        return [{ customer_id: c }];
      },
    };
    expect(await recorder.resolveSubjects(db)).toEqual([a, b, c]);
    expect(asked).toEqual([[[order], [], [], []]]);
  });

  it('records nothing for an empty row list', async () => {
    const recorder = new DisclosureRecorder();
    recorder.subjectsOfRows([]);
    expect(await recorder.resolveSubjects(noQueries)).toEqual([]);
  });
});
