/**
 * The peer comparison issue 23 asks for: CPU per request (server process + PostgreSQL) of the
 * gateway with and without its protections, of PostGraphile plain and with row-level security
 * (each where it ran; a dash where not), and of the raw-SQL baseline,
 * median (smallest–largest) of the interleaved rounds, and the gateway's CPU per request as a
 * multiple of PostGraphile's. The ratios are taken round by round (the servers of one round ran
 * minutes apart at most, under the same neighbours) and then their median and spread given.
 */
import type { Mode } from '../load';
import { cpuPerRequest, medianAndSpread, ratiosByRound, render, spread, type ScenarioResult } from '../report';

export function peersTable(results: readonly ScenarioResult[]): string {
  const header = [
    '#',
    'scenario',
    'protected',
    'unprotected',
    'PostGraphile plain',
    'PostGraphile + RLS',
    'pg baseline',
    'protected / PostGraphile',
    'unprotected / PostGraphile',
    'protected / PostGraphile + RLS',
    'PostGraphile / baseline',
  ];
  const rows = results
    .filter((r) => r.rounds.postgraphile || r.rounds['postgraphile-rls'])
    .map((r) => {
      const cpu = (mode: Mode) => spread(medianAndSpread((r.rounds[mode] ?? []).map(cpuPerRequest)), 2);
      const ratio = (a: Mode, b: Mode) => spread(medianAndSpread(ratiosByRound(r.rounds[a], r.rounds[b])), 2);
      return [
        String(r.number),
        r.key,
        cpu('protected'),
        cpu('unprotected'),
        cpu('postgraphile'),
        cpu('postgraphile-rls'),
        cpu('baseline'),
        ratio('protected', 'postgraphile'),
        ratio('unprotected', 'postgraphile'),
        ratio('protected', 'postgraphile-rls'),
        ratio('postgraphile', 'baseline'),
      ];
    });
  return `CPU per request, node + PostgreSQL, ms: median (smallest–largest) of rounds; ratios per round\n${render(header, rows, 2)}`;
}
