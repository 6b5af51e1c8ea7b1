import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { Customer } from '../customers/customer.type';
import { Partner } from '../partners/partner.type';
import type { ConsentGrantEntity } from './consent-grant.entity';
import { ConsentGrant } from './consent.type';

@Resolver(() => ConsentGrant)
export class ConsentGrantResolver {
  @FieldResolver(() => Partner, { nullable: true, description: 'The third party the customer authorized.' })
  grantee(@Root() grant: ConsentGrantEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.partner().load(grant.granteePartnerId);
  }

  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() grant: ConsentGrantEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.customer().load(grant.customerId);
  }
}
