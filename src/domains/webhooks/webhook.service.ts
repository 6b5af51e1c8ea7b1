/**
 * A partner's webhook endpoints and deliveries, written in the request's transaction: register
 * (a new secret, answered once), rotate (a new secret; the previous one signs too for a grace
 * period), disable (its pending deliveries are cancelled), redeliver (a delivery made due again,
 * with its attempts counted afresh). Whose endpoint or delivery it is has been decided before
 * these run: the resolver found it through the caller's scoped loaders.
 */
import type { EntityManager } from 'typeorm';
import { badUserInput } from '../../platform/errors';
import { WebhookDeliveryEntity, WebhookDeliveryStatus } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { newSigningSecret, type SigningSecretBox } from './webhook-signing';
import { isPublicAddress } from './webhook-transport';
import { isIP } from 'node:net';

/** What the gateway's webhooks need in a request: the secret box, and which URLs are accepted. */
export interface WebhookSettings {
  secrets: SigningSecretBox;
  /**
   * Development and tests: accept http:// to the loopback interface, and call endpoints at
   * private addresses; https to public addresses only otherwise.
   */
  allowLocalEndpoints: boolean;
}

/** At most this many endpoints in use per partner. */
export const MAX_ENDPOINTS_PER_PARTNER = 5;
export const DEFAULT_GRACE_HOURS = 24;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The URL as it will be called, or BAD_USER_INPUT saying what was expected. */
export function checkEndpointUrl(raw: string, settings: Pick<WebhookSettings, 'allowLocalEndpoints'>): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badUserInput(`input.url: expected an absolute https URL, got ${JSON.stringify(raw.slice(0, 100))}`);
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(loopbackHttp && settings.allowLocalEndpoints)) {
    throw badUserInput(`input.url: expected an https URL, got ${url.protocol.replace(':', '')}`);
  }
  if (url.username || url.password) throw badUserInput('input.url: credentials in the URL are not accepted; verify the signature instead');
  if (url.hash) throw badUserInput('input.url: expected no fragment (#...)');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!settings.allowLocalEndpoints && (LOOPBACK_HOSTS.has(url.hostname) || (isIP(host) && !isPublicAddress(host)))) {
    throw badUserInput('input.url: expected a host on the public internet');
  }
  return url.toString();
}

export async function registerEndpoint(
  em: EntityManager,
  settings: WebhookSettings,
  args: { partnerId: string; url: string; purpose: string; at: Date },
): Promise<{ endpoint: WebhookEndpointEntity; secret: string }> {
  const url = checkEndpointUrl(args.url, settings);
  // Counted under a lock on the partner, so two registrations at once cannot pass the limit together.
  await em.query(`SELECT 1 FROM partner WHERE id = $1 FOR UPDATE`, [args.partnerId]);
  const [{ n }] = (await em.query(`SELECT count(*)::int AS n FROM webhook_endpoint WHERE partner_id = $1 AND disabled_at IS NULL`, [args.partnerId])) as Array<{ n: number }>;
  if (n >= MAX_ENDPOINTS_PER_PARTNER) throw badUserInput(`input.url: at most ${MAX_ENDPOINTS_PER_PARTNER} endpoints in use per partner; disable one first`);
  const repo = em.getRepository(WebhookEndpointEntity);
  const endpoint = repo.create({ partnerId: args.partnerId, url, purpose: args.purpose, createdAt: args.at, secretRotatedAt: null, previousSecretExpiresAt: null, sealedPreviousSecret: null, disabledAt: null });
  endpoint.id = (await em.query(`SELECT gen_random_uuid() AS id`))[0].id as string;
  const secret = newSigningSecret();
  endpoint.sealedSecret = settings.secrets.seal(secret, endpoint.id);
  await repo.insert(endpoint);
  return { endpoint, secret };
}

export async function rotateSecret(
  em: EntityManager,
  settings: WebhookSettings,
  endpointId: string,
  graceHours: number,
  at: Date,
): Promise<{ endpoint: WebhookEndpointEntity; secret: string }> {
  const repo = em.getRepository(WebhookEndpointEntity);
  const endpoint = await repo.findOne({ where: { id: endpointId }, lock: { mode: 'pessimistic_write' } });
  if (!endpoint) throw new Error(`webhook endpoint ${endpointId} vanished while being rotated`);
  if (endpoint.disabledAt) throw badUserInput('input.endpointId: the endpoint is disabled; register a new one');
  const secret = newSigningSecret();
  const changes = {
    sealedPreviousSecret: graceHours > 0 ? endpoint.sealedSecret : null,
    previousSecretExpiresAt: graceHours > 0 ? new Date(at.getTime() + graceHours * 3_600_000) : null,
    sealedSecret: settings.secrets.seal(secret, endpoint.id),
    secretRotatedAt: at,
  };
  await repo.update({ id: endpoint.id }, changes);
  return { endpoint: { ...endpoint, ...changes }, secret };
}

export async function disableEndpoint(em: EntityManager, endpointId: string, at: Date): Promise<void> {
  await em.query(`UPDATE webhook_endpoint SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL`, [endpointId, at]);
  await em.query(`UPDATE webhook_delivery SET status = 'cancelled', last_error = 'the endpoint was disabled' WHERE endpoint_id = $1 AND status = 'pending'`, [endpointId]);
}

/** Makes a delivery due now, its attempts counted afresh; the event keeps its id, so receivers still de-duplicate. */
export async function redeliver(em: EntityManager, delivery: WebhookDeliveryEntity, at: Date): Promise<void> {
  const [endpoint] = (await em.query(`SELECT disabled_at FROM webhook_endpoint WHERE id = $1`, [delivery.endpointId])) as Array<{ disabled_at: Date | null }>;
  if (!endpoint || endpoint.disabled_at) throw badUserInput('input.deliveryId: its endpoint is disabled');
  await em.getRepository(WebhookDeliveryEntity).update({ id: delivery.id }, { status: WebhookDeliveryStatus.PENDING, attempts: 0, nextAttemptAt: at });
}
