/**
 * Consent grants over GraphQL: a grant by id (a third party reads the terms of its own; a
 * customer any of theirs), and the customer's own grant and withdrawal. Who may call each is the
 * disclosure matrix's decision; these find their records inside the caller's row scope and write
 * through consent.service.ts. Every call is a GraphQL request, so the audit log records each
 * grant and withdrawal with the customer as its subject.
 */
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actingCustomerOnly } from '../../auth/guards';
import type { RequestContext } from '../../context';
import { notFound } from '../../platform/errors';
import { requireUuid } from '../../platform/filters';
import { Customer } from '../customers/customer.type';
import { PartnerKind, PartnerStatus } from '../partners/partner.entity';
import { Partner } from '../partners/partner.type';
import type { ConsentGrantEntity } from './consent-grant.entity';
import { GrantConsentInput, WithdrawConsentInput } from './consent.inputs';
import { GRANT_PURPOSES, grantConsent, withdrawConsentGrants } from './consent.service';
import { ConsentGrant } from './consent.type';

@Resolver(() => ConsentGrant)
export class ConsentGrantResolver {
  @Query(() => ConsentGrant, {
    nullable: true,
    description: 'A consent grant by id, or null when there is none the caller may see. A third party sees the one it acts under.',
  })
  consentGrant(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ConsentGrantEntity | null> {
    return ctx.loaders.consentGrant().load(requireUuid(id, 'id'));
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The third party the customer authorized.' })
  grantee(@Root() grant: ConsentGrantEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.partner().load(grant.granteePartnerId);
  }

  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() grant: ConsentGrantEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.customer().load(grant.customerId);
  }

  @Mutation(() => ConsentGrant, {
    description:
      'A customer authorizes a third party to see the named categories of their data, for one purpose, until the grant expires (at most one year) or they withdraw it.',
  })
  async grantConsent(@Arg('input', () => GrantConsentInput) input: GrantConsentInput, @Ctx() ctx: RequestContext): Promise<ConsentGrantEntity> {
    const customerId = actingCustomerOnly(ctx, 'grantConsent');
    const grantee = await ctx.loaders.partner().load(requireUuid(input.granteeId, 'input.granteeId'));
    // Only a third party that is still active can be authorized; any other partner answers as one that does not exist.
    if (!grantee || grantee.kind !== PartnerKind.THIRD_PARTY || grantee.status !== PartnerStatus.ACTIVE) throw notFound('Third party');
    const grant = await ctx.transaction.write((em) =>
      grantConsent(em, {
        customerId,
        granteeId: grantee.id,
        categories: input.categories,
        purpose: input.purpose ?? GRANT_PURPOSES[0],
        expiresAt: input.expiresAt,
        at: new Date(),
      }),
    );
    ctx.disclosures.subject(customerId);
    return grant;
  }

  @Mutation(() => ConsentGrant, {
    description:
      "A customer withdraws one of their consent grants: the third party's next request under it is refused. A grant already withdrawn or expired is answered as it is.",
  })
  async withdrawConsent(@Arg('input', () => WithdrawConsentInput) input: WithdrawConsentInput, @Ctx() ctx: RequestContext): Promise<ConsentGrantEntity> {
    const customerId = actingCustomerOnly(ctx, 'withdrawConsent');
    // Found inside the caller's row scope: a customer's own grants only.
    const found = await ctx.loaders.consentGrant().load(requireUuid(input.grantId, 'input.grantId'));
    if (!found) throw notFound('Consent grant');
    const [withdrawn] = await ctx.transaction.write((em) => withdrawConsentGrants(em, customerId, { grantIds: [found.id] }, new Date()));
    ctx.disclosures.subject(customerId);
    return withdrawn ?? found;
  }
}
