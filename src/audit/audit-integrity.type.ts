import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A sealed batch of audit events, chained to the seal before it.' })
export class AuditSeal {
  @Field(() => ID) id!: string;
  @Field(() => Date, { nullable: true }) sealedAt!: Date;
  @Field(() => Int, { nullable: true }) eventCount!: number;
  @Field(() => String, { nullable: true, description: 'RFC 6962 Merkle root of the events\' hashes.' }) merkleRoot!: string;
  @Field(() => String, { nullable: true, description: 'The seal\'s own hash; with the id, an anchor to keep outside the database.' }) hash!: string;
}

@ObjectType({ description: 'What one verification of the whole audit log found.' })
export class AuditVerificationResult {
  @Field(() => ID) id!: string;
  @Field(() => Date, { nullable: true }) verifiedAt!: Date;
  @Field(() => String, { nullable: true, description: 'The token subject of whoever asked.' }) verifiedBy!: string;
  @Field(() => Boolean, { nullable: true, description: 'Every event hash, Merkle root and seal link recomputed and found as stored.' }) intact!: boolean;
  @Field(() => Int, { nullable: true }) events!: number;
  @Field(() => Int, { nullable: true }) seals!: number;
  @Field(() => Int, { nullable: true }) problemCount!: number;
  @Field(() => String, { nullable: true, description: 'The first problem in log order; null when intact.' }) firstProblem!: string | null;
  @Field(() => String, { nullable: true }) headSealId!: string | null;
  @Field(() => String, { nullable: true }) headHash!: string | null;
  @Field(() => Float, { nullable: true, description: 'How long it took, in milliseconds.' }) ms!: number;
}

@ObjectType({ description: 'The state of the audit log\'s tamper evidence.' })
export class AuditIntegrity {
  @Field(() => Int, { nullable: true, description: 'Seals in the log: its length in sealed batches.' }) sealCount!: number;
  @Field(() => AuditSeal, { nullable: true, description: 'The newest seal; null when the log is empty.' }) latestSeal!: AuditSeal | null;
  @Field(() => AuditVerificationResult, { nullable: true, description: 'The newest verification asked for through the gateway.' }) lastVerification!: AuditVerificationResult | null;
}
