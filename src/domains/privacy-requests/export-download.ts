/**
 * GET /privacy-exports/<token>: an access request's export, downloaded once through the link
 * createPrivacyExportLink made. The link is the credential (no bearer token: a customer may open
 * it in a browser); a token that is unknown, used or expired answers the same 404. The link is
 * claimed, the export built and the disclosure audited in one transaction, committed before the
 * first byte is sent: a failure sends nothing and leaves the link unused.
 */
import type { DataSource } from 'typeorm';
import type { PoolClient } from 'pg';
import type { AuditLog } from '../../audit/audit-log';
import { AuditOperationType, AuditOutcome } from '../../audit/audit-event.entity';
import type { Logger } from '../../platform/logger';
import { buildPrivacyExport } from '../../privacy/handlers/privacy-export';
import type { PrivacyRights } from './privacy-rights';

export interface ExportDownload {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const GONE = JSON.stringify({ errors: [{ message: 'This download link is unknown, used or expired: ask for a new one (createPrivacyExportLink)', extensions: { code: 'NOT_FOUND' } }] });

export async function downloadExport(
  deps: { dataSource: DataSource; rights: PrivacyRights; auditLog: AuditLog | undefined; logger: Logger },
  token: string,
  requestId: string,
): Promise<ExportDownload> {
  const runner = deps.dataSource.createQueryRunner('master');
  await runner.connect();
  try {
    await runner.startTransaction();
    const claim = await deps.rights.claimExportLink(runner.manager, token);
    if (!claim) {
      await runner.rollbackTransaction();
      deps.logger.info({ requestId, outcome: 'NOT_FOUND' }, 'export download refused');
      return { status: 404, headers: { 'content-type': 'application/json; charset=utf-8' }, body: GONE };
    }
    const document = await buildPrivacyExport(runner.manager, { customerId: claim.customerId, requestId: claim.requestId }, deps.rights.now());
    const body = JSON.stringify(document, null, 2);
    const seal = await deps.auditLog?.appendWithin((runner as unknown as { databaseConnection: PoolClient }).databaseConnection, {
      requestId,
      principal: { kind: 'export_link', id: claim.linkId, customerId: claim.customerId },
      purpose: 'data_subject_request',
      operationType: AuditOperationType.QUERY,
      operationName: 'downloadPrivacyExport',
      subjectIds: [claim.customerId],
      disclosed: ['PrivacyExport.document'],
      outcome: AuditOutcome.OK,
      privacyRequestReference: claim.requestId,
      flagged: true,
      detail: { exportLink: claim.linkId, sections: Object.keys(document.sections).length },
    });
    await runner.commitTransaction();
    if (seal) deps.auditLog?.learnCommitted(seal);
    return {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="privacy-export-${claim.requestId}.json"`,
      },
      body,
    };
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}
