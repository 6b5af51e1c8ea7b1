/**
 * A data-subject request written straight into the database, in the state a test needs, with the
 * times that state implies: verified and due three days on once past `received`, completed now
 * when `completed`. For tests of what others may do to it, not of how it got there.
 */
import type { DataSource } from 'typeorm';
import { DEMO_IDS } from '../../src/seed/demo-ids';

export async function insertPrivacyRequest(ds: DataSource, customerId: string, type: string, status: string): Promise<string> {
  const [{ id }] = await ds.query(
    `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at, completed_at)
     VALUES ($1, $2::privacy_request_type, $3::privacy_request_status, now(), CASE WHEN $3 <> 'received' THEN now() END,
             CASE WHEN $3 <> 'received' THEN now() + interval '3 days' END, CASE WHEN $3 = 'completed' THEN now() END) RETURNING id`,
    [customerId, type, status],
  );
  return id;
}

/**
 * A request of the demo customer's with a fixed id, received and verified: what a test's reads
 * under data_subject_request name as the request they serve (X-Privacy-Request must name a request
 * the caller reads: the demo customer their own, staff any). Written once per database.
 */
export const SERVED_REQUEST = '3f6a2b1c-8d4e-4f5a-9b6c-7d8e9f0a1b2c';

export async function insertServedRequest(ds: DataSource): Promise<string> {
  await ds.query(
    `INSERT INTO privacy_request (id, customer_id, type, status, received_at, verified_at, due_at)
     VALUES ($1, $2, 'access', 'identity_verified', now(), now(), now() + interval '3 days') ON CONFLICT (id) DO NOTHING`,
    [SERVED_REQUEST, DEMO_IDS.demoCustomer],
  );
  return SERVED_REQUEST;
}
