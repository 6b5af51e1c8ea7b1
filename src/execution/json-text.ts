/**
 * JSON text PostgreSQL built, carried from a compiled read's rows into the HTTP body as it is:
 * nothing in Node parses it to write it out again.
 *
 * A compiled read answering over HTTP (read-plans.ts, `jsonText`) puts a `JsonText` where a list
 * or page PostgreSQL built for a root row would be, in the object it assembles from the row's
 * plain columns, and marks the `data` it builds (`carryingJsonText`). `stringifyResult`, Apollo
 * Server's hook for writing a response body, splices the text into the body of such a response
 * and writes every other response with `JSON.stringify` as Apollo does. Whatever else reads the
 * response sees what the text stands for through `toJSON` (parsed once, when first asked): the
 * audit's walk for coordinates (audit/response-coordinates.ts) reads lists only until it has seen
 * every coordinate they can hold, and `JSON.stringify` of the response gives the same data.
 *
 * Where the text sits, the body carries PostgreSQL's spacing (json_agg's `, \n ` between items,
 * json_build_object's `"key" : value`), not `JSON.stringify`'s: the same JSON value, key order
 * included, in a few more bytes.
 */
import type { FormattedExecutionResult } from 'graphql';

export class JsonText {
  private parsed: unknown;
  private isParsed = false;

  /** `text`: one JSON value, as PostgreSQL wrote it. */
  constructor(readonly text: string) {}

  /** The value the text stands for. */
  toJSON(): unknown {
    if (!this.isParsed) {
      this.parsed = JSON.parse(this.text);
      this.isParsed = true;
    }
    return this.parsed;
  }
}

/** `data` objects that hold `JsonText` somewhere below them. */
const carriers = new WeakSet<object>();

/** Marks `data` as holding `JsonText`, for `stringifyResult`. */
export function carryingJsonText<T extends object>(data: T): T {
  carriers.add(data);
  return data;
}

/** Writes `value` as `JSON.stringify` would, with each `JsonText`'s text in its place. */
function write(value: unknown): string | undefined {
  if (value instanceof JsonText) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? ',' : ''}${write(value[i]) ?? 'null'}`;
    return `${out}]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return write((value as { toJSON(): unknown }).toJSON());
  let out = '{';
  let first = true;
  for (const key of Object.keys(value)) {
    const text = write((value as Record<string, unknown>)[key]);
    if (text === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * The body of a response, for Apollo Server's `stringifyResult`: as Apollo's own writes it (JSON
 * and a newline), splicing `JsonText` into a compiled read's data.
 */
export function stringifyResult(result: FormattedExecutionResult): string {
  const data = result.data;
  return `${data && carriers.has(data) ? write(result) : JSON.stringify(result)}\n`;
}
