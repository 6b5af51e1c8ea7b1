/** The fault suite's report: one table row per fault, the answers seen, and what did not hold. */
import type { SuiteResult } from './suite';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function renderReport(result: SuiteResult): string {
  const out: string[] = [];
  out.push(
    table(
      ['fault', 'sent', 'data', 'audit rows', 'writes committed', 'w/o event', 'longest ms', 'req/s before/during', 'recovery ms', 'readyz false/true after ms', 'verdict'],
      result.faults.map((f) => [
        f.name,
        String(f.sent),
        String(f.dataResponses),
        String(f.auditRows),
        `${f.writesCommitted}/${f.writesSent}`,
        String(f.writesWithoutEvent.length),
        String(f.longestMs),
        `${f.throughputBefore}/${f.throughputDuring}`,
        f.recoveredMs === null ? 'none' : String(f.recoveredMs),
        `${f.readyFalseDuring ? 'yes' : 'no'}/${f.readyAgainMs ?? '-'}`,
        f.failures.length === 0 ? 'held' : 'FAILED',
      ]),
    ),
  );
  out.push('', 'answers (HTTP status and error codes; "no answer" is a connection refused, reset or timed out):');
  for (const f of result.faults) {
    const outcomes = Object.entries(f.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} x${n}`)
      .join(', ');
    const recovery = Object.entries(f.recoveryMs).map(([g, ms]) => `${g} ${ms}`).join(', ');
    out.push(`  ${f.name}: ${outcomes}; recovery by kind (ms): ${recovery || 'none'}`);
  }
  if (result.replicas) {
    const r = result.replicas;
    out.push(
      '',
      `replicas: ${r.sent} requests (A ${r.byReplica[0]}, B ${r.byReplica[1]}), ${r.dataResponses} data responses, ${r.auditRows} audit rows; ` +
        `shared misses budget ${r.sharedLimit.budget}: ${r.sharedLimit.answered} of ${r.sharedLimit.lookups} alternating look-ups answered, ${r.sharedLimit.refused} refused` +
        (r.failures.length === 0 ? ' — held' : ' — FAILED'),
    );
    out.push('  webhook deliveries: not checked (the gateway has no webhook outbox yet)');
  }
  if (result.drain) {
    const d = result.drain;
    out.push(`drain (SIGTERM to B): ${d.answered} of ${d.inFlight} requests in flight answered with data, ${d.audited} audited, exit code ${d.exitCode} after ${d.exitMs} ms` + (d.failures.length === 0 ? ' — held' : ' — FAILED'));
  }
  out.push(`audit verify: ${result.auditVerify.exitCode === 0 ? result.auditVerify.output.trim().split('\n')[0] : `FAILED (exit ${result.auditVerify.exitCode})`}`);
  for (const [name, o] of Object.entries(result.output)) {
    const problems = Object.entries(o.problems).map(([m, n]) => `"${m}" x${n}`).join(', ');
    out.push(`gateway ${name} log: ${Object.entries(o.levels).map(([l, n]) => `${l} ${n}`).join(', ')}; warnings and errors: ${problems || 'none'}; unstructured lines: ${o.unstructuredCount}`);
  }
  out.push('');
  if (result.failures.length === 0) out.push(`all held (${result.mode} mode, ${result.seconds} s)`);
  else out.push(`${result.failures.length} FAILED (${result.mode} mode, ${result.seconds} s):`, ...result.failures.map((f) => `  - ${f}`));
  return out.join('\n');
}
