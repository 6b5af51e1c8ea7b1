/**
 * The contracts' changelog check: each current contract is compared with its published version
 * (contracts/published/) by @graphql-inspector/core, which classifies every change as breaking,
 * dangerous or not. Any change needs an Unreleased entry naming the audience in
 * contracts/CHANGELOG.md; a breaking one needs a `- BREAKING {audience}: {path}` line of its own.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';
import { CONTRACT_AUDIENCES, contractFile, CONTRACTS_DIR } from '../../src/policy/contracts';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The lines of the changelog's Unreleased section. */
function unreleased(changelog: string): string[] {
  const start = changelog.indexOf('\n## Unreleased');
  if (start < 0) throw new Error('contracts/CHANGELOG.md has no "## Unreleased" section');
  const rest = changelog.slice(start + 1).split('\n').slice(1);
  const end = rest.findIndex((line) => line.startsWith('## '));
  return end < 0 ? rest : rest.slice(0, end);
}

/** What the check reports for one audience: empty when the changelog covers its changes. */
export function missingEntries(audience: string, changes: readonly Change[], entries: readonly string[]): string[] {
  if (changes.length === 0) return [];
  const text = entries.join('\n');
  const missing: string[] = [];
  if (!new RegExp(`\\b${audience}\\b|\\ball audiences\\b`).test(text)) missing.push(`${audience}: changed, but Unreleased does not name it`);
  for (const change of changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking)) {
    if (!entries.some((line) => line.startsWith(`- BREAKING ${audience}: ${change.path}`))) missing.push(`${audience}: breaking, not in the changelog: ${change.path} (${change.message})`);
  }
  return missing;
}

describe('the contracts changelog', () => {
  it.each(CONTRACT_AUDIENCES)('%s: every change since the published contract is in the changelog', async (audience) => {
    const published = buildSchema(read(`${CONTRACTS_DIR}/published/${audience}.graphql`));
    const current = buildSchema(read(contractFile(audience)));
    const changes = await diff(published, current);
    expect(missingEntries(audience, changes, unreleased(read(`${CONTRACTS_DIR}/CHANGELOG.md`)))).toEqual([]);
  });

  describe('the check itself', () => {
    const before = buildSchema(`type Query { shipments: [Shipment!] } type Shipment { id: ID! status: String trackingNumber: String createdAt: String! }`);

    it('classifies a removed field and an output made nullable as breaking, and asks for a line for each', async () => {
      const after = buildSchema(`type Query { shipments: [Shipment!] } type Shipment { id: ID! status: String createdAt: String }`);
      const changes = await diff(before, after);
      expect(changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking).map((c) => c.path).sort()).toEqual(['Shipment.createdAt', 'Shipment.trackingNumber']);
      expect(missingEntries('logistics_partner', changes, ['- logistics_partner: tracking number gone'])).toEqual([
        expect.stringMatching(/^logistics_partner: breaking, not in the changelog: Shipment\.(createdAt|trackingNumber)/),
        expect.stringMatching(/^logistics_partner: breaking, not in the changelog: Shipment\.(createdAt|trackingNumber)/),
      ]);
      expect(
        missingEntries('logistics_partner', changes, [
          '- BREAKING logistics_partner: Shipment.trackingNumber — removed; use Shipment.label',
          '- BREAKING logistics_partner: Shipment.createdAt — may be null for imported shipments',
        ]),
      ).toEqual([]);
    });

    it('classifies an output made non-null and a field added as not breaking: an entry naming the audience suffices', async () => {
      const after = buildSchema(`type Query { shipments: [Shipment!] } type Shipment { id: ID! status: String! trackingNumber: String createdAt: String! label: String }`);
      const changes = await diff(before, after);
      expect(changes.length).toBe(2);
      expect(changes.every((c) => c.criticality.level !== CriticalityLevel.Breaking)).toBe(true);
      expect(missingEntries('logistics_partner', changes, [])).toEqual(['logistics_partner: changed, but Unreleased does not name it']);
      expect(missingEntries('logistics_partner', changes, ['- logistics_partner: Shipment.label added'])).toEqual([]);
      expect(missingEntries('logistics_partner', [], [])).toEqual([]);
    });
  });
});
