/**
 * The audit log's tamper evidence as compliance officers see it in the console: the newest
 * seal, the newest verification, and `verifyAuditLog`, which recomputes every event hash, Merkle
 * root and seal link now (verify.ts, as `need-to-know audit verify` does) and records what it
 * found. Who may read or call these is the disclosure matrix's decision (category audit.record;
 * the write granted to the compliance officer's legal_compliance row); the mutation is audited
 * like any write, its result row committed with its event.
 *
 * The verification runs inside the request: it reads the whole log, which the demo data's log
 * does in well under a second; a log large enough to need minutes is verified with the CLI.
 */
import { Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { v7 as timeOrderedUuid } from 'uuid';
import type { RequestContext } from '../context';
import { scopedQuery, type TableRef } from '../enforcement/loader-factory';
import { AuditIntegrity, AuditVerificationResult } from './audit-integrity.type';
import { AuditSealEntity } from './audit-seal.entity';
import { AuditVerificationEntity } from './audit-verification.entity';
import { verifyAuditLog } from './verify';

const SEALS: TableRef<AuditSealEntity> = { entity: AuditSealEntity, table: 'audit_seal' };
const VERIFICATIONS: TableRef<AuditVerificationEntity> = { entity: AuditVerificationEntity, table: 'audit_verification' };

@Resolver(() => AuditIntegrity)
export class AuditIntegrityResolver {
  @Query(() => AuditIntegrity, { description: 'The newest audit seal and the newest verification of the log. Compliance officers under legal_compliance.' })
  async auditIntegrity(@Ctx() ctx: RequestContext): Promise<AuditIntegrity> {
    // Scoped as the audit log is (policy/tables.ts): a row whose scope does not reach it finds nothing.
    const latestSeal = await scopedQuery(ctx.dataSource, SEALS, ctx.scope).orderBy('t.id', 'DESC').limit(1).getOne();
    const lastVerification = await scopedQuery(ctx.dataSource, VERIFICATIONS, ctx.scope).orderBy('t.id', 'DESC').limit(1).getOne();
    const sealCount = await scopedQuery(ctx.dataSource, SEALS, ctx.scope).getCount();
    return { sealCount, latestSeal: latestSeal ?? null, lastVerification: lastVerification ?? null };
  }

  @Mutation(() => AuditVerificationResult, {
    description: 'Verifies the whole audit log now (every event hash, Merkle root and seal link) and records the result.',
  })
  async verifyAuditLog(@Ctx() ctx: RequestContext): Promise<AuditVerificationResult> {
    const result = await verifyAuditLog(ctx.dataSource, { maxProblems: 1 });
    const row: AuditVerificationEntity = {
      id: timeOrderedUuid(),
      verifiedAt: new Date(),
      verifiedBy: ctx.caller.principal.subject.slice(0, 200),
      intact: result.intact,
      events: result.events,
      seals: result.seals,
      problemCount: result.problemCount,
      firstProblem: result.problems[0]?.message ?? null,
      headSealId: result.head?.sealId ?? null,
      headHash: result.head?.hash ?? null,
      ms: Math.round(result.ms),
    };
    await ctx.transaction.write((em) => em.insert(AuditVerificationEntity, row));
    return row;
  }
}
