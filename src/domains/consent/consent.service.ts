/**
 * Consent as the customer controls it (policy §5–§7): grants to third parties, their withdrawal,
 * and cookie / preference choices. Every function writes through the EntityManager it is given,
 * so a caller's writes and its audit event can share one transaction; none of them decides who
 * may call it — the disclosure matrix does that before a resolver runs.
 *
 * - A grant names a third party (an active partner of kind third_party), categories from
 *   GRANTABLE_CATEGORIES, a purpose a third party can declare, and an expiry at most one year
 *   ahead. It is in force from the moment it is made until it expires or is withdrawn; the
 *   principal resolver checks that on every request, uncached, so a withdrawal takes effect on
 *   the third party's very next request.
 * - `withdrawConsentGrants` withdraws some or all of a customer's grants still in force; it is
 *   what the customer's own withdrawal and a data-subject request both use.
 * - Preference choices are history rows (preference-consent.entity.ts) under the policy version
 *   in force, the latest published; the choice in force is the latest per category.
 */
import type { EntityManager } from 'typeorm';
import { badUserInput } from '../../platform/errors';
import { GRANTABLE_CATEGORIES } from '../../policy/disclosure-matrix';
import { forgetVisitorDay } from '../behavior/behavior.service';
import { PURPOSES_BY_KIND, type DataCategory, type Purpose } from '../../policy/vocabulary';
import { ConsentGrantEntity } from './consent-grant.entity';
import { PreferenceCategory, type PreferenceSource } from './preference-consent.entity';

/** The purposes a grant may name: those a third party can declare. */
export const GRANT_PURPOSES: readonly Purpose[] = PURPOSES_BY_KIND.third_party;

/** A grant expires at most this far ahead: one calendar year. */
export function latestExpiry(at: Date): Date {
  const latest = new Date(at);
  latest.setUTCFullYear(latest.getUTCFullYear() + 1);
  return latest;
}

export interface GrantTerms {
  categories: readonly string[];
  purpose: string;
  expiresAt: Date;
}

/**
 * The terms checked and normalised: categories each once, in the vocabulary's order; or a
 * BAD_USER_INPUT naming what is wrong (`field` prefixes the names, e.g. `input`).
 */
export function checkGrantTerms(terms: GrantTerms, at: Date, field: string): { categories: DataCategory[]; purpose: Purpose; expiresAt: Date } {
  const unknown = terms.categories.filter((c) => !(GRANTABLE_CATEGORIES as readonly string[]).includes(c));
  if (unknown.length > 0 || terms.categories.length === 0) {
    throw badUserInput(
      `${field}.categories: expected one or more of ${GRANTABLE_CATEGORIES.join(', ')}, got ${JSON.stringify(unknown.length > 0 ? unknown.slice(0, 5) : terms.categories)}`,
    );
  }
  if (!(GRANT_PURPOSES as readonly string[]).includes(terms.purpose)) {
    throw badUserInput(`${field}.purpose: expected one of ${GRANT_PURPOSES.join(', ')} (the purposes a third party can declare), got ${JSON.stringify(terms.purpose.slice(0, 64))}`);
  }
  const latest = latestExpiry(at);
  if (!(terms.expiresAt.getTime() > at.getTime()) || terms.expiresAt.getTime() > latest.getTime()) {
    throw badUserInput(`${field}.expiresAt: expected a time after now and at most one year ahead (${latest.toISOString()}), got ${terms.expiresAt.toISOString()}`);
  }
  return {
    categories: GRANTABLE_CATEGORIES.filter((c) => terms.categories.includes(c)),
    purpose: terms.purpose as Purpose,
    expiresAt: terms.expiresAt,
  };
}

/**
 * A new grant from `customerId` to `granteeId`, in force from `at`. The grantee must already
 * have been found to be an active third party; the terms are checked here.
 */
export async function grantConsent(
  em: EntityManager,
  grant: { customerId: string; granteeId: string; at: Date } & GrantTerms,
  field = 'input',
): Promise<ConsentGrantEntity> {
  const terms = checkGrantTerms(grant, grant.at, field);
  const row = {
    customerId: grant.customerId,
    granteePartnerId: grant.granteeId,
    categories: terms.categories,
    purpose: terms.purpose,
    grantedAt: grant.at,
    expiresAt: terms.expiresAt,
    withdrawnAt: null,
  };
  const inserted = await em.getRepository(ConsentGrantEntity).insert(row);
  return Object.assign(new ConsentGrantEntity(), { id: inserted.identifiers[0].id as string, ...row });
}

/**
 * Withdraws, at `at`, the customer's grants that are still in force (not withdrawn, not expired):
 * those named, or all of them. Grants of other customers are never touched, whatever ids are
 * named. Returns the grants it withdrew; a grant already withdrawn or expired is left as it is.
 */
export async function withdrawConsentGrants(
  em: EntityManager,
  customerId: string,
  which: { grantIds: readonly string[] } | 'all',
  at: Date,
): Promise<ConsentGrantEntity[]> {
  const named = which === 'all' ? null : [...which.grantIds];
  // An UPDATE answers [rows, count] through TypeORM's query().
  const [rows]: [Array<{ id: string }>, number] = await em.query(
    `UPDATE consent_grant SET withdrawn_at = $2
      WHERE customer_id = $1 AND withdrawn_at IS NULL AND expires_at > $2 AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[]))
      RETURNING id`,
    [customerId, at, named],
  );
  if (rows.length === 0) return [];
  return em.getRepository(ConsentGrantEntity).findBy(rows.map((r) => ({ id: r.id })));
}

/** The id of the privacy policy version in force at `at`: the latest effective by then. */
export async function policyVersionInForce(em: Pick<EntityManager, 'query'>, at: Date): Promise<string> {
  const rows: Array<{ id: string }> = await em.query(`SELECT id FROM policy_version WHERE effective_at <= $1 ORDER BY effective_at DESC, id DESC LIMIT 1`, [at]);
  if (rows.length === 0) throw new Error('no privacy policy version is published: a consent choice must name the policy it was made under (policy_version)');
  return rows[0].id;
}

export interface PreferenceChoice {
  category: PreferenceCategory;
  granted: boolean;
}

/** The choices checked: each category at most once, and necessary cookies, which the store cannot work without, never refused. */
export function checkPreferenceChoices(choices: readonly PreferenceChoice[], field: string): void {
  const seen = new Set<string>();
  choices.forEach((choice, i) => {
    if (seen.has(choice.category)) throw badUserInput(`${field}[${i}].category: ${choice.category} is chosen twice; send each category once`);
    seen.add(choice.category);
    if (choice.category === PreferenceCategory.NECESSARY && !choice.granted) {
      throw badUserInput(`${field}[${i}]: necessary cookies cannot be refused (the store does not work without them); leave the category out`);
    }
  });
}

/** Whose choice it is: a signed-in customer, or a visitor known by that day's pseudonym. Exactly one. */
export type PreferenceSubject = { customerId: string } | { visitorPseudonym: string };

/**
 * Records the choices of one subject at `at`, under the policy version in force. A customer's
 * choices are written only when that customer exists and is active; the statements are the same
 * either way, and the count of rows written is for the caller's audit record, never for a
 * response. The customer is read FOR SHARE: an erasure holding the row is waited for and the row
 * read again as it committed, so a choice racing an erasure writes nothing and is answered as one
 * about a customer that never existed (the row trigger's refusal, NOT_FOUND, would tell the
 * storefront of the erasure). A visitor who refuses analytics takes back their page views of the day stored before
 * (behavior.service.ts); a customer's are not linked to them and cannot be found. Returns the
 * rows written.
 */
export async function recordPreferenceChoices(
  em: EntityManager,
  subject: PreferenceSubject,
  choices: readonly PreferenceChoice[],
  via: PreferenceSource,
  at: Date,
): Promise<number> {
  const policyVersionId = await policyVersionInForce(em, at);
  const customerId = 'customerId' in subject ? subject.customerId : null;
  const visitorPseudonym = 'visitorPseudonym' in subject ? subject.visitorPseudonym : null;
  const rows: unknown[] = await em.query(
    `INSERT INTO preference_consent (customer_id, visitor_pseudonym, category, granted, recorded_at, policy_version_id, recorded_via)
     SELECT $1::uuid, $2, c.category::preference_category, c.granted, $5, $6, $7::preference_source
       FROM unnest($3::text[], $4::boolean[]) AS c(category, granted)
      WHERE $1::uuid IS NULL OR EXISTS (SELECT 1 FROM customer WHERE id = $1::uuid AND status = 'active' FOR SHARE)
     RETURNING id`,
    [customerId, visitorPseudonym, choices.map((c) => c.category), choices.map((c) => c.granted), at, policyVersionId, via],
  );
  if (visitorPseudonym !== null && choices.some((c) => c.category === PreferenceCategory.ANALYTICS && !c.granted)) {
    await forgetVisitorDay(em, visitorPseudonym, at);
  }
  return rows.length;
}
