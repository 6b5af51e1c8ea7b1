/**
 * /privacy-exports/<token>: an access request's export, downloaded once through the link
 * createPrivacyExportLink made. The link is the credential (no bearer token: a customer may open
 * it in a browser), and it travels as a link — mailed or passed on by the officer who made it —
 * where a mail scanner or a link preview may fetch it before the customer does. So GET and HEAD
 * never spend it: they answer a small page, the same for every token, whose button POSTs to the
 * same address. POST spends it: a token that is unknown, used or expired answers the same 404 —
 * a page saying so when the POST came from that page's button (a person reads it), JSON otherwise;
 * otherwise the link is claimed, the export built and the disclosure audited in one transaction,
 * committed before the first byte is sent: a failure sends nothing and leaves the link unused.
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

/** A page of its own: nothing loaded from anywhere, not indexed. */
const htmlPage = (title: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
</head>
<body>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;

/**
 * The page GET and HEAD answer: nothing about the link (it is not looked up); its form posts back
 * to the same address, and no referrer carries the token away.
 */
const PAGE = htmlPage(
  'Download your data',
  `<p>This link downloads, once, the export of everything the store holds about you that you asked for. Opening this page has not used it.</p>
<form method="post"><button type="submit">Download my data</button></form>
<p>Once downloaded, or once it has expired, the link no longer works: ask for a new one.</p>`,
);

export const EXPORT_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
};

/** What GET and HEAD answer for any token: the page with the button that downloads (POST). */
export function exportDownloadPage(): ExportDownload {
  return { status: 200, headers: { ...EXPORT_PAGE_HEADERS }, body: PAGE };
}

/**
 * The refusal a person sees after pressing the page's button on a link that no longer works: one
 * page for every reason (used, expired, tampered, unknown), so it tells none of them apart.
 */
const GONE_PAGE = htmlPage(
  'This download link no longer works',
  `<p>It has been used already or it has expired: each link downloads your data once, for a limited time.</p>
<p>Ask the store for a new link.</p>`,
);

/**
 * Whether a download POST came from a person (the page's form, or a browser asking for HTML), who
 * is answered a refusal as a page rather than as JSON.
 */
export function wantsExportPage(headers: { 'content-type'?: string; accept?: string }): boolean {
  const type = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' || /(^|,)\s*text\/html\s*(;|,|$)/i.test(headers.accept ?? '');
}

const GONE = JSON.stringify({ errors: [{ message: 'This download link is unknown, used or expired: ask for a new one (createPrivacyExportLink)', extensions: { code: 'NOT_FOUND' } }] });

export async function downloadExport(
  deps: { dataSource: DataSource; rights: PrivacyRights; auditLog: AuditLog | undefined; logger: Logger },
  token: string,
  requestId: string,
  asPage = false,
): Promise<ExportDownload> {
  const runner = deps.dataSource.createQueryRunner('master');
  await runner.connect();
  try {
    await runner.startTransaction();
    const claim = await deps.rights.claimExportLink(runner.manager, token);
    if (!claim) {
      await runner.rollbackTransaction();
      deps.logger.info({ requestId, outcome: 'NOT_FOUND' }, 'export download refused');
      if (asPage) return { status: 404, headers: { ...EXPORT_PAGE_HEADERS }, body: GONE_PAGE };
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
