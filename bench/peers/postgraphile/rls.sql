-- PostGraphile with row-level security: the partner scopes of src/policy/tables.ts and
-- row-scope.ts for the tables the benchmark's four read shapes touch, as PostgreSQL policies, one
-- NOLOGIN role per scope kind as PostGraphile's docs advise (PostGraphile switches to it per request
-- with pgSettings `role`): a carrier's (own_shipments), a payment provider's (own_payments) and
-- staff's (all rows). The partner comes as the setting `ntk.partner`; without it a partner role
-- sees no row. Restricted rows (`restricted_at`) are hidden from every role, as the gateway hides
-- them from every view that does not read restricted rows. A table without a policy for a role
-- shows it no row.
--
-- Applied by `npm run bench -- --peers postgraphile-rls` to the benchmark database (a scratch copy:
-- this is DDL; the roles are the server's). Idempotent. Owners and superusers, as which the gateway
-- and the other servers connect, bypass row-level security, so their answers do not change.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['ntk_bench_rls_carrier', 'ntk_bench_rls_psp', 'ntk_bench_rls_staff'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', r);
    EXECUTE format('GRANT SELECT ON shipment, "order", order_item, payment_verification, customer, after_sales_case, case_message TO %I', r);
  END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION ntk_bench_partner() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('ntk.partner', true), '')::uuid $$;

ALTER TABLE shipment ENABLE ROW LEVEL SECURITY;
ALTER TABLE "order" ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_item ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_verification ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer ENABLE ROW LEVEL SECURITY;
ALTER TABLE after_sales_case ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_message ENABLE ROW LEVEL SECURITY;

-- A carrier: its shipments, the orders they carry and those orders' items.
DROP POLICY IF EXISTS ntk_bench_carrier ON shipment;
CREATE POLICY ntk_bench_carrier ON shipment FOR SELECT TO ntk_bench_rls_carrier
  USING (restricted_at IS NULL AND logistics_partner_id = ntk_bench_partner());
DROP POLICY IF EXISTS ntk_bench_carrier ON "order";
CREATE POLICY ntk_bench_carrier ON "order" FOR SELECT TO ntk_bench_rls_carrier
  USING (restricted_at IS NULL AND EXISTS (SELECT 1 FROM shipment s_ WHERE s_.order_id = "order".id AND s_.logistics_partner_id = ntk_bench_partner()));
DROP POLICY IF EXISTS ntk_bench_carrier ON order_item;
CREATE POLICY ntk_bench_carrier ON order_item FOR SELECT TO ntk_bench_rls_carrier
  USING (restricted_at IS NULL AND EXISTS (SELECT 1 FROM shipment s_ WHERE s_.order_id = order_item.order_id AND s_.logistics_partner_id = ntk_bench_partner()));

-- A payment provider: its verifications, and the orders assigned to it or that it holds a verification of.
DROP POLICY IF EXISTS ntk_bench_psp ON payment_verification;
CREATE POLICY ntk_bench_psp ON payment_verification FOR SELECT TO ntk_bench_rls_psp
  USING (restricted_at IS NULL AND provider_id = ntk_bench_partner());
DROP POLICY IF EXISTS ntk_bench_psp ON "order";
CREATE POLICY ntk_bench_psp ON "order" FOR SELECT TO ntk_bench_rls_psp
  USING (restricted_at IS NULL AND (payment_provider_id = ntk_bench_partner()
    OR EXISTS (SELECT 1 FROM payment_verification p_ WHERE p_.order_id = "order".id AND p_.provider_id = ntk_bench_partner())));

-- Staff (customer service): every row that is not restricted.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['shipment', 'order', 'order_item', 'payment_verification', 'customer', 'after_sales_case', 'case_message'] LOOP
    EXECUTE format('DROP POLICY IF EXISTS ntk_bench_staff ON %I', t);
    EXECUTE format('CREATE POLICY ntk_bench_staff ON %I FOR SELECT TO ntk_bench_rls_staff USING (restricted_at IS NULL)', t);
  END LOOP;
END
$$;
