/**
 * The fault suite's short mode (faults/suite.ts), run by `npm test`: the built gateway
 * (dist/src/main.js, which `npm test` compiles first) against a PostgreSQL cluster and a Redis
 * the suite starts itself — whatever DATABASE_URL says — with 5 s outages under a mixed load.
 *
 * For every fault it fails on any answer that carried data without its audit event, any write
 * that committed without its audit event, no recovery within 10 s of the fault's end, an error
 * that is not masked and coded (or a 500 while the database could not be reached), an answer
 * that never came, and the gateway process dying. Then: two replicas keep one audit chain and
 * share one rate-limit budget, SIGTERM drains, and `audit verify` passes. `npm run faults` runs
 * the full mode (10 s outages) and prints the per-fault table.
 */
import { ErrorCode } from '../../src/platform/errors';
import { renderReport } from '../../faults/report';
import { FAULT_NAMES, RECOVERY_LIMIT_MS, runFaultSuite, type FaultResult, type SuiteResult } from '../../faults/suite';

jest.setTimeout(300_000);

describe('the fault suite, short mode', () => {
  let result: SuiteResult;
  const fault = (name: string): FaultResult => {
    const found = result.faults.find((f) => f.name === name);
    if (!found) throw new Error(`fault ${name} did not run (the gateway died earlier?)\n${renderReport(result)}`);
    return found;
  };

  beforeAll(async () => {
    result = await runFaultSuite({ mode: 'short', log: () => undefined });
  });

  describe.each(FAULT_NAMES)('%s', (name) => {
    it('every answer that carried data has its audit event', () => {
      const f = fault(name);
      expect(f.dataResponses).toBeGreaterThan(0);
      expect(f.missingAudit).toEqual([]);
    });

    it('every write that committed has its audit event', () => {
      const f = fault(name);
      expect(f.writesCommitted).toBeGreaterThan(0);
      expect(f.writesWithoutEvent).toEqual([]);
    });

    it(`recovers without a restart, within ${RECOVERY_LIMIT_MS / 1000} s of the fault's end, and /readyz says so`, () => {
      const f = fault(name);
      expect(f.gatewayAlive).toBe(true);
      expect(f.recoveredMs).not.toBeNull();
      expect(f.recoveredMs!).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
      expect(f.readyAgainMs).not.toBeNull();
    });

    it('answers every request, with errors masked and coded', () => {
      const f = fault(name);
      expect(f.unmasked).toEqual([]);
      expect(Object.keys(f.outcomes).filter((k) => k.startsWith('no answer'))).toEqual([]);
    });
  });

  it.each(['pg-fast-shutdown', 'pg-kill-hard', 'pg-hang'])('%s: the database unreachable is 503 SERVICE_UNAVAILABLE, never 500, and /readyz says false', (name) => {
    const f = fault(name);
    const codes = Object.keys(f.outcomes);
    expect(codes.filter((k) => k.includes(ErrorCode.INTERNAL_SERVER_ERROR))).toEqual([]);
    expect(codes).toContain(`503 ${ErrorCode.SERVICE_UNAVAILABLE}`);
    expect(f.readyFalseDuring).toBe(true);
  });

  it('two replicas: every data answer audited, one rate-limit budget', () => {
    expect(result.replicas?.failures).toEqual([]);
    expect(result.replicas!.byReplica[1]).toBeGreaterThan(0);
  });

  it('SIGTERM drains: requests in flight are answered and audited, exit code 0', () => {
    expect(result.drain?.failures).toEqual([]);
  });

  it('audit verify passes at the end', () => {
    expect(result.auditVerify.exitCode).toBe(0);
  });

  it('between faults every answer and write is audited, the gateway writes only JSON log lines and stops cleanly', () => {
    expect(result.other).toEqual([]);
  });
});
