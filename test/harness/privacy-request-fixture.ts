/**
 * A data-subject request written straight into the database, in the state a test needs, with the
 * times that state implies: verified and due three days on once past `received`, completed now
 * when `completed`. For tests of what others may do to it, not of how it got there.
 */
import type { DataSource } from 'typeorm';

export async function insertPrivacyRequest(ds: DataSource, customerId: string, type: string, status: string): Promise<string> {
  const [{ id }] = await ds.query(
    `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at, completed_at)
     VALUES ($1, $2::privacy_request_type, $3::privacy_request_status, now(), CASE WHEN $3 <> 'received' THEN now() END,
             CASE WHEN $3 <> 'received' THEN now() + interval '3 days' END, CASE WHEN $3 = 'completed' THEN now() END) RETURNING id`,
    [customerId, type, status],
  );
  return id;
}
