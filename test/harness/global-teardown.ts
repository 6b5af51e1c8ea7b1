import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.NTK_TEST_ADMIN_URL;
  const template = process.env.NTK_TEST_TEMPLATE;
  if (adminUrl && template) {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(template)} WITH (FORCE)`);
    await admin.end();
  }
  await globalThis.__NTK_EMBEDDED__?.stop();
}
