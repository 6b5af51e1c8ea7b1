import { Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { scopedQuery } from '../../enforcement/loader-factory';
import { inRootListOrder, ROOT_LISTS, TABLES } from '../loaders';
import { PolicyVersion } from './policy-version.type';

@Resolver(() => PolicyVersion)
export class PolicyVersionResolver {
  @Query(() => [PolicyVersion], { description: 'Every published privacy policy version, newest first.' })
  policyVersions(@Ctx() ctx: RequestContext) {
    return inRootListOrder(scopedQuery(ctx.dataSource, TABLES.policyVersion, ctx.scope), ROOT_LISTS.policyVersions).getMany();
  }
}
