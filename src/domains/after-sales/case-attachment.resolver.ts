import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { badUserInput, notFound } from '../../platform/errors';
import { requireUuid } from '../../platform/filters';
import { CaseStatus } from './after-sales-case.entity';
import { AttachCaseUploadInput } from './after-sales.inputs';
import { CaseAttachment } from './after-sales.type';
import { deletedRows, uploaderOf } from './attachment.service';
import { CaseAttachmentEntity } from './case-attachment.entity';

interface UploadRow {
  id: string;
  case_id: string;
  kind: CaseAttachmentEntity['kind'];
  content_type: string;
  size_bytes: string;
  sha256: string;
  storage_key: string;
  uploaded_at: Date;
}

/** The caller's own upload, unexpired: another caller's, an expired one and an unknown id are alike. */
const OWN_UPLOAD = `SELECT id, case_id FROM attachment_upload WHERE id = $1 AND uploader = $2 AND expires_at > now()`;
const TAKE_UPLOAD = `DELETE FROM attachment_upload WHERE id = $1 AND uploader = $2 AND expires_at > now() RETURNING *`;

@Resolver(() => CaseAttachment)
export class CaseAttachmentResolver {
  @FieldResolver(() => String, { nullable: true })
  downloadUrl(@Root() a: CaseAttachmentEntity, @Ctx() ctx: RequestContext): Promise<string> {
    return ctx.attachmentLinks.issue(a.id, ctx.caller, ctx.served);
  }

  @Mutation(() => CaseAttachment, {
    description:
      'Attaches a file the caller uploaded (POST /attachments) to the case it was uploaded to. The attachment keeps the upload\'s id, type, size and sha256.',
  })
  async attachCaseUpload(@Arg('input', () => AttachCaseUploadInput) input: AttachCaseUploadInput, @Ctx() ctx: RequestContext): Promise<CaseAttachmentEntity> {
    const uploadId = requireUuid(input.uploadId, 'input.uploadId');
    const uploader = uploaderOf(ctx.caller.principal);
    const [upload]: Array<{ id: string; case_id: string }> = ctx.transaction.isOpen
      ? (await ctx.transaction.query({ text: OWN_UPLOAD, values: [uploadId, uploader] })).rows
      : await ctx.dataSource.query(OWN_UPLOAD, [uploadId, uploader]);
    // The case is found inside the caller's row scope, as every write's target is.
    const found = upload ? await ctx.loaders.afterSalesCase().load(upload.case_id) : null;
    if (!upload || !found) throw notFound('Upload');
    if (found.status === CaseStatus.CLOSED) throw badUserInput('input.uploadId: its case is closed; open a new one');
    const attachment = await ctx.transaction.write(async (em) => {
      const [taken] = await deletedRows<UploadRow>(em.queryRunner!, TAKE_UPLOAD, [uploadId, uploader]);
      // Attached a moment ago by a request of the same caller.
      if (!taken) throw notFound('Upload');
      const row: CaseAttachmentEntity = {
        id: taken.id,
        caseId: taken.case_id,
        messageId: null,
        kind: taken.kind,
        contentType: taken.content_type,
        sizeBytes: String(taken.size_bytes),
        sha256: taken.sha256,
        storageKey: taken.storage_key,
        uploadedAt: taken.uploaded_at,
        restrictedAt: null,
      };
      await em.getRepository(CaseAttachmentEntity).insert(row);
      return row;
    });
    ctx.disclosures.subject(found.customerId);
    ctx.loaders.attachmentsByCase().clear(found.id);
    return attachment;
  }
}
