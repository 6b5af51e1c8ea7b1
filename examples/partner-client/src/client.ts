/**
 * The carrier's GraphQL client: graphql-request with the carrier's token, sending each operation
 * as a trusted document — its `documentId` from trusted-documents.json (the manifest the
 * gateway's `trusted-documents register --manifest` wrote) instead of its text.
 *
 * The operations themselves are the typed documents GraphQL Code Generator made from
 * documents/*.graphql and the carrier contract (src/generated/graphql.ts): the client is typed
 * by the contract, and the gateway runs exactly the text that was registered.
 */
import { GraphQLClient } from 'graphql-request';
import manifest from '../trusted-documents.json';

export interface CarrierClientOptions {
  /** The gateway's GraphQL endpoint, e.g. https://gateway.example/graphql. */
  endpoint: string;
  /** A bearer token of the store's identity provider (kind logistics_partner). */
  token: string;
  /** Sent as X-Purpose when the token lists several purposes. */
  purpose?: string;
  /** The fetch to use (the platform's by default). */
  fetch?: typeof fetch;
}

/** Operation name -> document id, from the registration manifest. */
const DOCUMENT_IDS: ReadonlyMap<string, string> = new Map(manifest.operations.map((o) => [o.name, `sha256:${o.id}`]));

export function documentIdOf(operationName: string | undefined): string {
  const id = operationName === undefined ? undefined : DOCUMENT_IDS.get(operationName);
  if (!id) throw new Error(`operation ${operationName ?? '(anonymous)'} is not in trusted-documents.json: register documents/*.graphql again (README)`);
  return id;
}

export function createCarrierClient(options: CarrierClientOptions): GraphQLClient {
  return new GraphQLClient(options.endpoint, {
    headers: { authorization: `Bearer ${options.token}`, ...(options.purpose ? { 'x-purpose': options.purpose } : {}) },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    // The body graphql-request built carries the text; the gateway wants the registered id.
    requestMiddleware: (request) => {
      const { query: _text, ...rest } = JSON.parse(String(request.body)) as { query: string; operationName?: string; variables?: unknown };
      return { ...request, body: JSON.stringify({ documentId: documentIdOf(request.operationName), ...rest }) };
    },
  });
}
