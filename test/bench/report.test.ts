import { auditFloorTable, checkTargets, medianAndSpread, roundsTable, targetLines, type RoundFigures, type ScenarioResult } from '../../bench/report';

/** A scenario result with only what the targets read: its protections cost over the run and per round. */
function scenario(number: number, cost: number, byRound: number[] | null, gatewayToBaseline: number | null = null): ScenarioResult {
  return {
    number,
    key: `s${number}`,
    title: '',
    caller: '',
    sql: { full: 1, short: 1, flat: true, unprotected: 1, before: null },
    baselineMatchesGateway: null,
    runs: {},
    rounds: {},
    protectionsCost: cost,
    protectionsCostByRound: byRound,
    protectionsCpuCost: null,
    gatewayToBaseline,
  };
}

const protectionsTarget = (results: ScenarioResult[]) => checkTargets(results)[0]!;

describe('bench report: the protections-cost target', () => {
  // Shaped on real runs of one commit, which met, missed and straddled the line.
  it.each([
    ['every round of every scenario under the line', [[0.14, [0.15, 0.13]], [0.11, [0.149, 0.07]], [0, [0, 0]]], true, false],
    ['a scenario whose rounds are all over the line', [[0.21, [0.28, 0.16]], [0.22, [0.21, 0.22]], [0.17, [0.21, 0.13]]], false, false],
    ['the run under the line, one round over it', [[0.12, [0.2, 0.04]], [0.1, [0.1, 0.1]], [0.05, [0.08, 0.03]]], true, true],
    ['the run over the line, one round under it', [[0.21, [0.28, 0.15]], [0.1, [0.1, 0.1]], [0.05, [0.05, 0.05]]], false, true],
    ['a straddling scenario beside a clear miss', [[0.12, [0.2, 0.04]], [0.22, [0.24, 0.21]], [0.05, [0.08, 0.03]]], false, false],
    ['one round only: nothing to straddle', [[0.16, [0.16]], [0.1, [0.1]], [0.1, [0.1]]], false, false],
  ] as Array<[string, Array<[number, number[]]>, boolean, boolean]>)('%s', (_name, figures, met, unclear) => {
    const check = protectionsTarget(figures.map(([cost, rounds], i) => scenario(i + 1, cost, rounds)));
    expect(check.met).toBe(met);
    expect(check.unclear ?? false).toBe(unclear);
    const line = targetLines([check]);
    expect(line.startsWith(unclear ? '[ unclear ]' : met ? '[ met  ]' : '[ MISSED ]')).toBe(true);
    expect(line.includes('run again')).toBe(unclear);
  });

  it('names each scenario with its cost and, when there are several, its rounds', () => {
    const check = protectionsTarget([scenario(1, 0.21, [0.28, 0.15]), scenario(2, 0.1, null)]);
    expect(check.detail).toBe('#1 21% (rounds 28% 15%), #2 10%');
  });

  it('leaves scenarios 4 and 5 out, and says so when none of 1-3 was measured', () => {
    const check = protectionsTarget([scenario(4, 0.45, [0.45, 0.45]), scenario(5, 0.4, [0.4, 0.4])]);
    expect(check.met).toBeNull();
    expect(check.detail).toBe('not measured');
    expect(targetLines([check]).startsWith('[ n/a  ]')).toBe(true);
  });

  it('keeps the other targets as they were', () => {
    const [, sql, baseline] = checkTargets([scenario(1, 0.12, [0.2, 0.04], 0.49)]);
    expect(sql!.met).toBe(true);
    expect(sql!.unclear).toBeUndefined();
    expect(baseline!.met).toBe(false);
    expect(baseline!.detail).toBe('0.49 of the baseline');
  });
});

describe('bench report: rounds', () => {
  it('gives the median and the smallest and largest figure of the rounds', () => {
    expect(medianAndSpread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(medianAndSpread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(medianAndSpread([1, null])).toBeNull();
    expect(medianAndSpread([])).toBeNull();
  });

  it('prints each server with its CPU per request as a multiple of the baseline', () => {
    const result = scenario(3, 0.1, [0.1, 0.1]);
    result.rounds = {
      protected: [
        { requestsPerSecond: 100, serverCpuMsPerRequest: 2, postgresCpuMsPerRequest: 1 },
        { requestsPerSecond: 120, serverCpuMsPerRequest: 4, postgresCpuMsPerRequest: 2 },
      ],
      baseline: [
        { requestsPerSecond: 400, serverCpuMsPerRequest: 0.5, postgresCpuMsPerRequest: 0.5 },
        { requestsPerSecond: 500, serverCpuMsPerRequest: 0.5, postgresCpuMsPerRequest: 0.5 },
      ],
    };
    const lines = roundsTable([result]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]!.split(/\s{2,}/)).toEqual(['3', 's3', 'protected', '2', '110 (100–120)', '3.00 (2.00–4.00)', '1.50 (1.00–2.00)', '4.50 (3.00–6.00)', '4.50']);
    expect(lines[3]!.split(/\s{2,}/)).toEqual(['', 'pg baseline', '2', '450 (400–500)', '0.50 (0.50–0.50)', '0.50 (0.50–0.50)', '1.00 (1.00–1.00)', '1.00']);
  });
});

describe('bench report: what each guarantee costs (--audit-floor)', () => {
  const rounds = (...figures: Array<[node: number, pg: number]>): RoundFigures[] =>
    figures.map(([node, pg]) => ({ requestsPerSecond: 1000, serverCpuMsPerRequest: node, postgresCpuMsPerRequest: pg }));

  it('gives each server its CPU, what the protected gateway spends beyond it and its ratio to PostGraphile, round by round', () => {
    const pointRead = scenario(4, 0.4, [0.4, 0.4, 0.4]);
    pointRead.rounds = {
      protected: rounds([0.5, 0.3], [0.7, 0.3], [0.6, 0.4]),
      'no-audit': rounds([0.4, 0.1], [0.4, 0.2], [0.5, 0.1]),
      postgraphile: rounds([0.4, 0.1], [0.5, 0.1], [0.4, 0.1]),
    };
    // A scenario run without the variants has no row.
    const manifest = scenario(1, 0.2, [0.2, 0.2, 0.2]);
    manifest.rounds = { protected: rounds([1, 1], [1, 1], [1, 1]), postgraphile: rounds([1, 1], [1, 1], [1, 1]) };
    const lines = auditFloorTable([manifest, pointRead]).split('\n');
    expect(lines).toHaveLength(6);
    const cells = (line: string) => line.split(/\s{2,}/);
    // Per round: protected 0.8, 1.0, 1.0 against PostGraphile 0.5, 0.6, 0.5 (1.6, 1.67, 2.0).
    expect(cells(lines[3]!)).toEqual(['4', 's4', 'protected', '0.60 (0.50–0.70)', '0.30 (0.30–0.40)', '1.00 (0.80–1.00)', '1.67 (1.60–2.00)']);
    // Protected minus no-audit per round: node 0.1, 0.3, 0.1; pg 0.2, 0.1, 0.3; both 0.3, 0.4, 0.4.
    expect(cells(lines[4]!)).toEqual([
      '',
      'protected, no audit (measurement)',
      '0.40 (0.40–0.50)',
      '0.10 (0.10–0.20)',
      '0.60 (0.50–0.60)',
      '0.10 (0.10–0.30)',
      '0.20 (0.10–0.30)',
      '0.40 (0.30–0.40)',
      '1.00 (1.00–1.20)',
    ]);
    expect(cells(lines[5]!)).toEqual(['', 'PostGraphile plain', '0.40 (0.40–0.50)', '0.10 (0.10–0.10)', '0.50 (0.50–0.60)', '0.20 (0.10–0.20)', '0.20 (0.20–0.30)', '0.40 (0.30–0.50)', '1.00 (1.00–1.00)']);
  });

  it("lists a second protected gateway (--before) as the run's own noise, and prints no ratio where PostGraphile did not run", () => {
    const pointRead = scenario(4, 0.4, [0.4]);
    pointRead.rounds = { protected: rounds([0.5, 0.3]), 'audit-unsent': rounds([0.5, 0.1]), before: rounds([0.4, 0.3]) };
    const lines = auditFloorTable([pointRead]).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[4]!.split(/\s{2,}/)).toEqual(['', 'before (--before)', '0.40 (0.40–0.40)', '0.30 (0.30–0.30)', '0.70 (0.70–0.70)', '0.10 (0.10–0.10)', '0.00 (0.00–0.00)', '0.10 (0.10–0.10)', '—']);
    expect(lines[5]!.split(/\s{2,}/)).toEqual(['', 'protected, audit batch not sent (measurement)', '0.50 (0.50–0.50)', '0.10 (0.10–0.10)', '0.60 (0.60–0.60)', '0.00 (0.00–0.00)', '0.20 (0.20–0.20)', '0.20 (0.20–0.20)', '—']);
  });
});
