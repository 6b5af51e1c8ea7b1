/**
 * The command line as a user runs it (the compiled dist/, which `npm test` builds first): help,
 * clear refusals with a non-zero exit, and a token alone on stdout.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, print } from 'graphql';

const MAIN = path.resolve('dist/src/main.js');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the command line', () => {
  it('lists its commands', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const command of ['serve', 'migrate', 'seed', 'schema', 'token', 'contracts', 'policy', 'audit', 'retention', 'trusted-documents', 'webhooks', 'secrets']) expect(r.stdout).toMatch(new RegExp(`\\n  ${command} `));
  });

  it.each(['serve', 'migrate', 'seed', 'schema', 'token', 'retention', 'policy', 'trusted-documents', 'secrets'])('%s --help says what it does and exits 0', (command) => {
    const r = cli([command, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: need-to-know /);
  });

  it('mints a development token, printed alone on stdout', () => {
    const r = cli(['token', '--kind', 'staff', '--role', 'customer_service', '--purpose', 'after_sales']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it.each([
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['an unknown option', ['token', '--kindd', 'staff'], /Unknown option '--kindd'/],
    ['a token without a purpose', ['token', '--kind', 'staff', '--role', 'customer_service'], /--purpose is required/],
    ['a partner token without a partner id', ['token', '--kind', 'logistics_partner', '--purpose', 'fulfillment'], /partner_id/],
    ['a seed of an unknown size', ['seed', '--size', 'huge'], /--size: expected demo or bench/],
    ['a webhooks subcommand that does not exist', ['webhooks', 'send'], /webhooks: expected the subcommand deliver/],
    ['a secrets subcommand that does not exist', ['secrets', 'rotate'], /secrets: expected the subcommand reseal/],
    ['a reseal batch that is no whole number', ['secrets', 'reseal', '--batch', '0'], /--batch: expected a whole number from 1 to 10000, got "0"/],
    ['a policy publication without its file', ['policy', 'publish', '--version', '2030-01', '--effective', '2030-01-01'], /--file is required/],
    ['a policy publication of a file that is not there', ['policy', 'publish', '--file', '/nonexistent/policy.txt', '--version', '2030-01', '--effective', '2030-01-01'], /--file: cannot read/],
    ['a registration without an audience', ['trusted-documents', 'register', 'a.graphql'], /--audience is required/],
    ['a registration for an audience that is no principal kind', ['trusted-documents', 'register', '--audience', 'carrier', 'a.graphql'], /--audience: expected one of .*logistics_partner/],
    ['a registration of a file that is not there', ['trusted-documents', 'register', '--audience', 'logistics_partner', '--dry-run', '/nonexistent/a.graphql'], /\/nonexistent\/a\.graphql: cannot read it/],
    ['an unknown trusted-documents subcommand', ['trusted-documents', 'approve'], /expected the subcommand register, list, revoke or check/],
  ])('refuses %s with exit code 2 and a message', (_label, args, message) => {
    const r = cli(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stdout).toBe('');
  });

  it('checks trusted documents against the audience contract without a database (--dry-run), printing each id', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-documents-'));
    const text = 'query Waiting { shipments(first: 5) { nodes { id status } } }';
    fs.writeFileSync(path.join(dir, 'ok.graphql'), text);
    fs.writeFileSync(path.join(dir, 'peek.graphql'), 'query Peek { customers(first: 1) { nodes { email } } }');
    const ok = cli(['trusted-documents', 'register', '--audience', 'logistics_partner', '--dry-run', path.join(dir, 'ok.graphql')]);
    expect(ok.status).toBe(0);
    const id = `sha256:${createHash('sha256').update(print(parse(text))).digest('hex')}`;
    expect(ok.stdout).toBe(`valid               ${id}  query Waiting  (${path.join(dir, 'ok.graphql')})\n`);
    const peek = cli(['trusted-documents', 'register', '--audience', 'logistics_partner', '--dry-run', path.join(dir, 'ok.graphql'), path.join(dir, 'peek.graphql')]);
    expect(peek.status).toBe(2);
    expect(peek.stderr).toContain(`${path.join(dir, 'peek.graphql')}:1:14: Cannot query field "customers" on type "Query".`);
    expect(peek.stdout).toBe('');
  });

  it('refuses a TRUSTED_DOCUMENTS setting it does not know, naming the variable', () => {
    const r = cli(['trusted-documents', 'list'], { TRUSTED_DOCUMENTS: 'sometimes' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/TRUSTED_DOCUMENTS: expected one of off, optional, required, got "sometimes"/);
  });

  it('refuses to mint tokens with production settings', () => {
    const r = cli(['token', '--kind', 'staff', '--role', 'customer_service', '--purpose', 'after_sales'], {
      NODE_ENV: 'production',
      JWT_JWKS_URL: 'https://keys.example/jwks.json',
      BEHAVIOR_PSEUDONYM_KEY: 'k'.repeat(40),
      CURSOR_SECRET: 'c'.repeat(40),
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/production/);
    expect(r.stdout).toBe('');
  });
});
