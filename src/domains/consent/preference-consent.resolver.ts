/**
 * Cookie and preference choices over GraphQL. The storefront records a visitor's choice against
 * that day's visitor pseudonym (computed here from its cookie id, which is never stored) or a
 * signed-in customer's against the customer; a customer records their own. Each choice is a new
 * row under the policy version in force (consent.service.ts).
 *
 * The storefront reads nothing: its answer says how many choices it sent and nothing about the
 * customer it named — whether that customer exists is not the storefront's to learn, and the
 * statements run are the same either way.
 */
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { actingCustomer } from '../../auth/guards';
import type { RequestContext } from '../../context';
import { badUserInput } from '../../platform/errors';
import { requireUuid } from '../../platform/filters';
import { pseudonymizeVisitor, pseudonymMaster } from '../../privacy/desensitize';
import { PolicyVersion } from '../policy-versions/policy-version.type';
import { RecordPreferenceChoicesInput } from './consent.inputs';
import { checkPreferenceChoices, recordPreferenceChoices, type PreferenceSubject } from './consent.service';
import { PreferenceChoiceResult, PreferenceConsent } from './consent.type';
import { PreferenceSource, type PreferenceConsentEntity } from './preference-consent.entity';

@Resolver(() => PreferenceConsent)
export class PreferenceConsentResolver {
  @FieldResolver(() => PolicyVersion, { nullable: true, description: 'The privacy policy in force when the choice was made.' })
  policyVersion(@Root() choice: PreferenceConsentEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.policyVersion().load(choice.policyVersionId);
  }

  @Mutation(() => PreferenceChoiceResult, {
    description:
      "Records cookie and preference choices: the storefront's for a visitor (visitorId) or a signed-in customer (customerId), a customer's for themselves (neither). Earlier choices are kept; the latest per category is in force.",
  })
  async recordPreferenceChoices(
    @Arg('input', () => RecordPreferenceChoicesInput) input: RecordPreferenceChoicesInput,
    @Ctx() ctx: RequestContext,
  ): Promise<PreferenceChoiceResult> {
    checkPreferenceChoices(input.choices, 'input.choices');
    const self = actingCustomer(ctx);
    const at = new Date();
    let subject: PreferenceSubject;
    if (self) {
      if (input.visitorId != null || input.customerId != null) throw badUserInput('input: customers record their own choices; leave visitorId and customerId out');
      subject = { customerId: self };
    } else if ((input.visitorId == null) === (input.customerId == null)) {
      throw badUserInput('input: name exactly one of visitorId (a visitor who is not signed in) and customerId (a signed-in customer)');
    } else {
      subject = input.customerId != null
        ? { customerId: requireUuid(input.customerId, 'input.customerId') }
        : { visitorPseudonym: pseudonymizeVisitor(pseudonymMaster(ctx.secrets, at), input.visitorId!, at) };
    }
    const via = self ? PreferenceSource.CUSTOMER : PreferenceSource.STOREFRONT;
    const written = await ctx.transaction.write((em) => recordPreferenceChoices(em, subject, input.choices, via, at));
    if ('customerId' in subject && written > 0) ctx.disclosures.subject(subject.customerId);
    if (!self) return { accepted: input.choices.length, current: null };
    const current = ctx.loaders.preferenceConsentsByCustomer();
    current.clear(self);
    return { accepted: input.choices.length, current: await current.load(self) };
  }
}
