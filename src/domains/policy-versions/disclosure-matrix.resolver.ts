/**
 * `Query.disclosureMatrix`: the disclosure matrix as the gateway enforces it — every principal and
 * purpose, and every field's outcome for it (policy/report.ts, the same decisions as
 * docs/disclosure-matrix.md) — as JSON text, for the compliance console's "Who sees what".
 *
 * It names every field of the schema, those hidden from partners' and third parties' contracts
 * among them, so who may read it is the matrix's own decision like any other read: the field is
 * of category `policy.disclosure`, which only the compliance officer's rows see. Everyone else
 * is refused as for any other denied field (and partners and third parties do not find it in
 * their contract). The read is audited and flagged with what it serves, like every other.
 */
import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { Info, Query, Resolver } from 'type-graphql';
import { disclosureMatrixData } from '../../policy/report';

/** The matrix of a schema, rendered once: it changes only with the code. */
const rendered = new WeakMap<GraphQLSchema, string>();

export function disclosureMatrixText(schema: GraphQLSchema): string {
  let text = rendered.get(schema);
  if (text === undefined) rendered.set(schema, (text = JSON.stringify(disclosureMatrixData(schema))));
  return text;
}

@Resolver()
export class DisclosureMatrixResolver {
  @Query(() => String, {
    nullable: true,
    description:
      'The disclosure matrix as enforced, as JSON text: { categories, rows: [{ principal, purpose, why, records, writes, serves, categories, fields, arguments }] }. Compliance officers only.',
  })
  disclosureMatrix(@Info() info: GraphQLResolveInfo): string {
    return disclosureMatrixText(info.schema);
  }
}
