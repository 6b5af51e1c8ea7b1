/**
 * `GET /contracts/{audience}.graphql`: the contract a partner's client generates its types from,
 * as committed under contracts/ (the same text, printContract), served to a token of that
 * audience only. Any other token, and any other name, is answered 404 alike. The contract holds
 * no personal data; it is sent with an ETag (sha256 of the text) so a client's CI can ask
 * cheaply whether it changed (If-None-Match -> 304), `no-cache` so it always asks, and
 * `Vary: Authorization` so that a cache keeps it per token.
 */
import { createHash } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import type { Caller } from '../policy/principal';
import { isContractAudience, printContract, type ContractAudience } from '../policy/contracts';

const CONTRACT_PATH = /^\/contracts\/([a-z_]{1,40})\.graphql$/;

export interface ContractAnswer {
  status: 200 | 304 | 404;
  headers: Record<string, string>;
  body?: string;
}

export class PublishedContracts {
  private readonly texts = new Map<string, { body: string; etag: string }>();

  constructor(contracts: ReadonlyMap<ContractAudience, GraphQLSchema>) {
    for (const [audience, contract] of contracts) {
      const body = printContract(audience, contract);
      this.texts.set(audience, { body, etag: `"${createHash('sha256').update(body).digest('hex')}"` });
    }
  }

  /** The name a request path asks for, or undefined when it is not a contract path. */
  audienceOfPath(pathname: string): string | undefined {
    return CONTRACT_PATH.exec(pathname)?.[1];
  }

  answer(audience: string, caller: Caller, ifNoneMatch: string | undefined): ContractAnswer {
    const kind = caller.principal.kind;
    const text = isContractAudience(kind) && kind === audience ? this.texts.get(audience) : undefined;
    if (!text) return { status: 404, headers: {} };
    // Kept by a private cache only, revalidated every time, and per token: another token's request is another answer.
    const headers = { etag: text.etag, 'cache-control': 'private, no-cache', vary: 'authorization' };
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === text.etag || tag.trim() === '*')) {
      return { status: 304, headers };
    }
    return {
      status: 200,
      headers: { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text.body)) },
      body: text.body,
    };
  }
}
