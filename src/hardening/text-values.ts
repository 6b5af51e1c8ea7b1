/**
 * Text a caller sends is text PostgreSQL can keep as it was sent, and no longer than any input
 * takes — checked once, before anything runs, for every string of an operation: each string
 * literal of its document and each string in its variables, whatever field or argument it is
 * meant for (so an input added later is covered without a word here). A string is refused with
 * 400 BAD_USER_INPUT, naming where it is, when it
 *
 * - contains U+0000: PostgreSQL refuses the NUL character in text, and the statement would fail
 *   as an unexpected error (500) wherever the value reaches it — a write, a filter, a look-up;
 * - is not well-formed UTF-16 (a lone surrogate, which JSON's `\ud800` escape can spell): it has
 *   no UTF-8 form, and would be stored as U+FFFD, not as sent;
 * - is longer than MAX_TEXT_LENGTH UTF-16 code units: longer than any input takes (each field's
 *   own limit, checked by its resolver, is at most 5,000 characters), so nothing longer is worth
 *   carrying as far as a resolver, a filter or a cursor check.
 *
 * The refusal leaves through Apollo like any other refusal before execution: audited, charged to
 * the caller's refusals, answered 400.
 */
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, visit, type ASTNode, type DocumentNode } from 'graphql';
import { ErrorCode } from '../platform/errors';

/** The longest text taken anywhere, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 10_000;

/** In Unicode mode a surrogate pair is one code point: what matches \p{Cs} is a surrogate alone. */
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with `text`, or undefined when nothing is. */
function problemOf(text: string): string | undefined {
  if (text.length > MAX_TEXT_LENGTH) return `text longer than ${MAX_TEXT_LENGTH} characters (${text.length})`;
  if (text.includes('\u0000')) return 'text may not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'text is not well-formed Unicode (a lone surrogate)';
  return undefined;
}

function refusal(message: string, node?: ASTNode): GraphQLError {
  return new GraphQLError(message, { nodes: node, extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } });
}

/** The first string literal of a document that is refused, kept per document (Apollo hands a document seen before back from its store). */
const literalRefusals = new WeakMap<DocumentNode, GraphQLError | null>();

function literalRefusalOf(document: DocumentNode): GraphQLError | null {
  let found = literalRefusals.get(document);
  if (found === undefined) {
    found = null;
    visit(document, {
      StringValue(node) {
        const problem = found === null ? problemOf(node.value) : undefined;
        if (problem !== undefined) found = refusal(`a string literal: ${problem}`, node);
      },
    });
    literalRefusals.set(document, found);
  }
  return found;
}

/** A value met on the walk through the variables, with how it was reached (the path is spelled only for a refusal). */
interface Step {
  value: unknown;
  key: string | number;
  parent: Step | undefined;
}

function pathOf(step: Step): string {
  const keys: Array<string | number> = [];
  for (let s: Step | undefined = step; s; s = s.parent) keys.push(s.key);
  return keys.reverse().reduce<string>((path, key, i) => (i === 0 ? `$${key}` : typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`), '');
}

/**
 * The first string of the variables that is refused. The walk keeps its own stack: JSON nests as
 * deep as a body allows, deeper than the call stack would go.
 */
function variableRefusalOf(variables: Readonly<Record<string, unknown>>): GraphQLError | undefined {
  const stack: Step[] = Object.keys(variables).map((key) => ({ value: variables[key], key, parent: undefined }));
  while (stack.length > 0) {
    const step = stack.pop()!;
    const { value } = step;
    if (typeof value === 'string') {
      const problem = problemOf(value);
      if (problem !== undefined) return refusal(`${pathOf(step)}: ${problem}`);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1) stack.push({ value: value[i], key: i, parent: step });
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value).reverse()) stack.push({ value: (value as Record<string, unknown>)[key], key, parent: step });
    }
  }
  return undefined;
}

/** Refuses, before execution, an operation with a string no input takes (see the header). */
export function textValuesPlugin<C extends BaseContext>(): ApolloServerPlugin<C> {
  // No state of its own per request: every request is handed the same listener.
  const listener: GraphQLRequestListener<C> = {
    async didResolveOperation({ document, request }) {
      const literal = literalRefusalOf(document);
      if (literal) throw literal;
      const variable = request.variables ? variableRefusalOf(request.variables) : undefined;
      if (variable) throw variable;
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
