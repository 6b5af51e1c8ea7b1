/**
 * JSON text PostgreSQL built, carried from a compiled read's rows into the HTTP body as it is:
 * nothing in Node parses it to write it out again.
 *
 * A compiled read answering over HTTP (read-plans.ts, `jsonText`) puts a `JsonText` where a list
 * or page PostgreSQL built for a root row would be, in the object it assembles from the row's
 * plain columns, and marks the `data` it builds (`carryingJsonText`). `stringifyResult`, Apollo
 * Server's hook for writing a response body, splices the text into the body of such a response
 * and writes every other response with `JSON.stringify` as Apollo does. Whatever else reads the
 * response sees what the text stands for through `toJSON` (parsed once, when first asked), and
 * `JSON.stringify` of the response gives the same data. The audit does not read it: the plan
 * reports which coordinates its rows carry (read-plans.ts, `Part`).
 *
 * Where the text sits, the body carries PostgreSQL's spacing (json_agg's `, \n ` between items,
 * json_build_object's `"key" : value`), not `JSON.stringify`'s: the same JSON value, key order
 * included, in a few more bytes.
 */
import { randomBytes } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';

/**
 * While `stringifyResult` writes a body: each `JsonText` met stands for a marker string and
 * hands its text over, in the order `JSON.stringify` meets them.
 */
let writing: { marker: string; texts: string[] } | undefined;

export class JsonText {
  private parsed: unknown;
  private isParsed = false;

  /** `text`: one JSON value, as PostgreSQL wrote it. */
  constructor(readonly text: string) {}

  /** The value the text stands for (while a body is written, a marker for the text). */
  toJSON(): unknown {
    if (writing) {
      writing.texts.push(this.text);
      return writing.marker;
    }
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

/** The markers' nonce: random, drawn once per process and never sent (each marker is replaced). */
const MARKER_NONCE = randomBytes(12).toString('base64url');
/** Bodies written with markers so far: each body's marker is its own. */
let markedBodies = 0;

/**
 * `result` as `JSON.stringify` writes it, with each `JsonText`'s text in its place: JSON.stringify
 * (native, so far cheaper than a walk in JavaScript) writes a marker for each, a string starting
 * with NUL, the process's nonce and the body's number, and the texts replace the markers in
 * order. Should the data hold a marker's string itself (it would have to guess the nonce), the
 * count tells and the body is written from the parsed values instead. (Drawing a nonce for each
 * body cost about 5 µs of the point read's CPU, for nothing the count does not already ensure.)
 */
function withTexts(result: FormattedExecutionResult): string {
  markedBodies = (markedBodies + 1) % Number.MAX_SAFE_INTEGER;
  const marker = `\u0000${MARKER_NONCE}.${markedBodies.toString(36)}`;
  const state = { marker, texts: [] as string[] };
  let body: string;
  writing = state;
  try {
    body = JSON.stringify(result);
  } finally {
    writing = undefined;
  }
  const parts = body.split(JSON.stringify(marker));
  if (parts.length !== state.texts.length + 1) return JSON.stringify(result);
  let out = parts[0]!;
  for (let i = 0; i < state.texts.length; i++) out += state.texts[i]! + parts[i + 1]!;
  return out;
}

/**
 * The body of a response, for Apollo Server's `stringifyResult`: as Apollo's own writes it (JSON
 * and a newline), splicing `JsonText` into a compiled read's data.
 */
export function stringifyResult(result: FormattedExecutionResult): string {
  const data = result.data;
  return `${data && carriers.has(data) ? withTexts(result) : JSON.stringify(result)}\n`;
}
