/**
 * Sends the webhook outbox (webhook_delivery, written by triggers in the transaction of each
 * change). The worker has `batchSize` places for attempts under way, and one partner at most
 * half of them, so a partner's slow endpoint holds up no other partner; a started worker fills a
 * place as soon as it frees. Each claim takes due deliveries with `FOR UPDATE SKIP LOCKED` and leases them
 * (`next_attempt_at` moves LEASE_MS ahead and the attempt is counted), so replicas never send one
 * attempt twice, and a worker that dies mid-attempt leaves its deliveries due again when the
 * lease ends: delivery is at least once, and receivers de-duplicate by the event id.
 *
 * An attempt: read the record as the partner, under the purpose its endpoint was registered
 * with, through the gateway's own request path (`disclose`: matrix, row scope, contract, field
 * rules — and the audit log, whose event is written before `disclose` returns, so before a byte
 * leaves); a record no longer within the partner's reach cancels the delivery, nothing sent.
 * Right before the POST the delivery, its endpoint and its partner are looked at again, so an
 * endpoint disabled, a partner suspended or a customer erased (the delivery deleted, or kept
 * restricted under a legal hold) while the record was read stops it.
 * Then sign (webhook-signing.ts) and POST with a timeout, no redirects followed, to a public
 * address only outside development (webhook-transport.ts). A 2xx delivers;
 * anything else is retried after an exponential back-off with jitter, and after `maxAttempts`
 * the delivery is dead until the partner asks `redeliverWebhook`.
 */
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../platform/logger';
import type { GatewayMetrics } from '../../platform/metrics';
import { exponentialDelayMs, PollingLoop } from '../../platform/polling-loop';
import type { ContractAudience } from '../../policy/contracts';
import type { Caller, PartnerPrincipal } from '../../policy/principal';
import { isPurpose } from '../../policy/vocabulary';
import { fenceNewHolds, orderIsHeld } from '../legal-holds/legal-hold.service';
import { PartnerKind, PartnerStatus } from '../partners/partner.entity';
import { notificationDocument } from './notification-documents';
import { WebhookDeliveryStatus, type WebhookEventType } from './webhook-delivery.entity';
import { signNotification, type SigningSecretBox } from './webhook-signing';
import { EndpointRefused, postNotification } from './webhook-transport';

/** What the gateway answered a notification's read, as far as the worker needs it. */
export interface DisclosedRead {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }>;
}

/**
 * Runs `document` as `caller` through the gateway's request path, its audit event (with
 * `audit.detail`) written before it returns (server.ts supplies it).
 */
export type Disclose = (caller: Caller, document: string, variables: Record<string, unknown>, audit: { requestId: string; detail: Record<string, unknown> }) => Promise<DisclosedRead>;

export interface WebhookWorkerOptions {
  dataSource: DataSource;
  disclose: Disclose;
  /** The partner contracts (policy/contracts.ts): notifications carry fields of these only. */
  contracts: ReadonlyMap<ContractAudience, GraphQLSchema>;
  secrets: SigningSecretBox;
  logger: Logger;
  /** Development and tests: endpoints on the loopback interface and private networks are called too. */
  allowLocalEndpoints: boolean;
  /** How often the outbox is looked at, in ms. Default 1000. */
  pollMs?: number;
  /** Deliveries per run, attempted concurrently. Default 10. */
  batchSize?: number;
  /** Attempts before a delivery is dead. Default 12 (7 to 14 hours of retries with the default back-off). */
  maxAttempts?: number;
  /** The wait after the first failure, doubling after each; default 30 s. */
  backoffBaseMs?: number;
  /** The longest wait between attempts; default 6 hours. */
  backoffMaxMs?: number;
  /** How long a receiver has to answer, in ms. Default 10 s. */
  timeoutMs?: number;
  /** The jobs metric: a run that attempted deliveries counts as ok with those delivered, a run that failed as failed. */
  metrics?: Pick<GatewayMetrics, 'job'>;
  /** Deliveries no longer pending are deleted this many days after their event (checked hourly), unless a legal hold covers their record. Default 30. */
  keepDays?: number;
  now?: () => Date;
  /** A number in [0, 1): the jitter. */
  random?: () => number;
}

/** How long a claimed attempt keeps its delivery from other workers. */
export const LEASE_MS = 2 * 60_000;
const PURGE_EVERY_MS = 3_600_000;

export interface WebhookRun {
  delivered: number;
  retrying: number;
  dead: number;
  cancelled: number;
}

/**
 * The wait after the `attempt`-th failure: base × 2^(attempt−1), at most `max`, of which a random
 * half is taken off (equal jitter), so receivers that failed together are not retried together.
 */
export function backoffMs(attempt: number, random: number, base = 30_000, max = 6 * 3_600_000): number {
  const full = exponentialDelayMs(attempt, base, max);
  return Math.round(full / 2 + (full / 2) * random);
}

interface Claimed {
  id: string;
  event_id: string;
  endpoint_id: string;
  event_type: WebhookEventType;
  resource_id: string;
  occurred_at: Date;
  attempts: number;
  url: string;
  purpose: string;
  sealed_secret: Buffer;
  sealed_previous_secret: Buffer | null;
  previous_secret_expires_at: Date | null;
  disabled_at: Date | null;
  partner_id: string;
  partner_kind: PartnerKind;
  partner_status: PartnerStatus;
}

type Outcome = { kind: 'delivered'; status: number } | { kind: 'failed'; status: number | null; error: string } | { kind: 'cancelled'; error: string };

const PRINCIPAL_OF_KIND: Partial<Record<PartnerKind, PartnerPrincipal['kind'] & ContractAudience>> = {
  [PartnerKind.LOGISTICS]: 'logistics_partner',
  [PartnerKind.PAYMENT]: 'payment_provider',
};

export class WebhookWorker {
  /** `runOnce`: claims what is due into the free places and waits for those attempts. */
  private readonly loop: PollingLoop<WebhookRun>;
  /** `start`: claims what is due into the free places every `pollMs`, without waiting for the attempts. */
  private readonly background: PollingLoop<void>;
  private lastPurge = 0;
  private readonly now: () => Date;
  private readonly random: () => number;
  /** Attempts at once, and of them at most `partnerShare` for one partner. */
  private readonly places: number;
  private readonly partnerShare: number;
  /** The attempts under way, each settled (never rejecting), and how many of them each partner has. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly busy = new Map<string, number>();
  private started = false;
  /** Whether the last claim filled every place it was given: more may be due. */
  private moreDue = false;

  constructor(private readonly options: WebhookWorkerOptions) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.places = options.batchSize ?? 10;
    this.partnerShare = Math.max(1, Math.floor(this.places / 2));
    const onError = (error: unknown) => options.logger.warn({ err: error }, 'the webhook outbox could not be sent');
    this.loop = new PollingLoop(() => this.counted(async () => (await this.dispatch()).done), options.pollMs ?? 1000, onError);
    this.background = new PollingLoop(() => this.fillPlaces(), options.pollMs ?? 1000, onError);
  }

  start(): void {
    this.started = true;
    this.background.start();
  }

  /** Stops polling and waits for the attempts under way. */
  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([this.background.stop(), this.loop.stop()]);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Attempts the deliveries due now, as many as there are free places; one run at a time per worker. */
  runOnce(): Promise<WebhookRun> {
    return this.loop.runOnce();
  }

  /** The jobs metric of one claim's attempts: ok with those delivered when it attempted any, failed when it failed. */
  private async counted(attempts: () => Promise<WebhookRun>): Promise<WebhookRun> {
    try {
      const run = await attempts();
      if (run.delivered + run.retrying + run.dead + run.cancelled > 0) this.options.metrics?.job('webhook_outbox', 'ok', run.delivered);
      return run;
    } catch (error) {
      this.options.metrics?.job('webhook_outbox', 'failed');
      throw error;
    }
  }

  /** A background round: claims into the free places and leaves the attempts running (each frees its place as it ends). */
  private async fillPlaces(): Promise<void> {
    let claimed: Promise<WebhookRun> | undefined;
    await this.counted(async () => {
      claimed = (await this.dispatch()).done;
      return { delivered: 0, retrying: 0, dead: 0, cancelled: 0 };
    });
    this.counted(() => claimed!).catch((error: unknown) => this.options.logger.warn({ err: error }, 'the webhook outbox could not be sent'));
  }

  /**
   * Claims the due deliveries the free places allow — at most `partnerShare` of one partner's in
   * flight at once, so a partner whose endpoint is slow (or answers never, until the timeout)
   * holds up no other partner's notifications — and starts their attempts. `done` settles when
   * they have all ended.
   */
  private async dispatch(): Promise<{ done: Promise<WebhookRun> }> {
    const at = this.now();
    if (at.getTime() - this.lastPurge >= PURGE_EVERY_MS) {
      await this.purgeFinished(at);
      this.lastPurge = at.getTime();
    }
    const free = this.places - this.inFlight.size;
    const run: WebhookRun = { delivered: 0, retrying: 0, dead: 0, cancelled: 0 };
    if (free <= 0) return { done: Promise.resolve(run) };
    const busy = [...this.busy].filter(([, n]) => n > 0);
    // Claimed and leased in one statement, committed at once: no transaction is held while a
    // receiver answers. Each partner's oldest due first, as many as its share leaves room for;
    // then the oldest of those across partners, as many as there are free places.
    const claimed: Claimed[] = await this.options.dataSource.query(
      `WITH busy AS (SELECT b.partner_id, b.n FROM unnest($4::uuid[], $5::int[]) AS b(partner_id, n)),
       candidates AS (
         SELECT x.id, x.next_attempt_at,
                row_number() OVER (PARTITION BY p.id ORDER BY x.next_attempt_at, x.id) + coalesce(busy.n, 0) AS place
           FROM partner p
           LEFT JOIN busy ON busy.partner_id = p.id
           CROSS JOIN LATERAL (
             SELECT d.id, d.next_attempt_at FROM webhook_delivery d
              WHERE d.partner_id = p.id AND d.status = 'pending' AND d.next_attempt_at <= $1 AND d.restricted_at IS NULL
              ORDER BY d.next_attempt_at, d.id LIMIT $6 FOR UPDATE SKIP LOCKED) x),
       due AS (SELECT id FROM candidates WHERE place <= $6 ORDER BY next_attempt_at, id LIMIT $2),
       leased AS (
         UPDATE webhook_delivery d SET attempts = d.attempts + 1, last_attempt_at = $1, next_attempt_at = $3
           FROM due WHERE d.id = due.id
         RETURNING d.id, d.event_id, d.endpoint_id, d.event_type, d.resource_id, d.occurred_at, d.attempts)
       SELECT l.*, e.url, e.purpose, e.sealed_secret, e.sealed_previous_secret, e.previous_secret_expires_at, e.disabled_at,
              p.id AS partner_id, p.kind AS partner_kind, p.status AS partner_status
         FROM leased l JOIN webhook_endpoint e ON e.id = l.endpoint_id JOIN partner p ON p.id = e.partner_id`,
      [at, free, new Date(at.getTime() + LEASE_MS), busy.map(([id]) => id), busy.map(([, n]) => n), this.partnerShare],
    );
    this.moreDue = claimed.length === free;
    const attempts = claimed.map((delivery) =>
      this.occupy(delivery.partner_id, async () => {
        const outcome = await this.attempt(delivery).catch((error: unknown): Outcome => {
          this.options.logger.error({ err: error, delivery: delivery.id }, 'a webhook attempt failed unexpectedly');
          return { kind: 'failed', status: null, error: 'the gateway could not make the attempt' };
        });
        run[await this.record(delivery, outcome)]++;
      }),
    );
    return { done: Promise.all(attempts).then(() => run) };
  }

  /** Runs one attempt in a place of `partnerId`'s; when it ends and more may be due, a started worker fills the place at once. */
  private occupy(partnerId: string, attempt: () => Promise<void>): Promise<void> {
    this.busy.set(partnerId, (this.busy.get(partnerId) ?? 0) + 1);
    const running = attempt();
    const settled = running
      .catch(() => undefined)
      .finally(() => {
        this.inFlight.delete(settled);
        const left = (this.busy.get(partnerId) ?? 1) - 1;
        if (left > 0) this.busy.set(partnerId, left);
        else this.busy.delete(partnerId);
        if (this.started && this.moreDue) void this.background.runOnce().catch(() => undefined);
      });
    this.inFlight.add(settled);
    return running;
  }

  /**
   * The record of finished deliveries is kept for a while (the partner reads it, may redeliver),
   * then deleted — but not while a legal hold covers the order the shipment or payment
   * verification belongs to (a hold on the order or on its customer): a hold freezes what it
   * names, and who was told what about it is part of that. Behind the holds' fence, so a hold
   * placed while the purge runs is committed before it reads the holds, or after it.
   */
  private async purgeFinished(at: Date): Promise<void> {
    await this.options.dataSource.transaction(async (em) => {
      await fenceNewHolds(em);
      await em.query(
        `DELETE FROM webhook_delivery d WHERE (d.status <> 'pending' OR d.restricted_at IS NOT NULL) AND d.occurred_at < $1
            AND NOT EXISTS (
              SELECT 1 FROM "order" o
               WHERE o.id IN (SELECT s.order_id FROM shipment s WHERE s.id = d.resource_id
                              UNION ALL SELECT p.order_id FROM payment_verification p WHERE p.id = d.resource_id)
                 AND ${orderIsHeld('o')})`,
        [new Date(at.getTime() - (this.options.keepDays ?? 30) * 86_400_000)],
      );
    });
  }

  private async attempt(d: Claimed): Promise<Outcome> {
    if (d.disabled_at) return { kind: 'cancelled', error: 'the endpoint was disabled' };
    const principalKind = PRINCIPAL_OF_KIND[d.partner_kind];
    const contract = principalKind && this.options.contracts.get(principalKind);
    const document = contract && notificationDocument(contract, d.event_type);
    if (!principalKind || !document || !isPurpose(d.purpose)) return { kind: 'cancelled', error: 'the event is not in the partner\'s contract' };
    if (d.partner_status !== PartnerStatus.ACTIVE) return { kind: 'failed', status: null, error: 'the partner is not active' };
    // Opened before the read: a secret that cannot sign must not cost a disclosure.
    const at = this.now();
    const current = this.openSecret(d.sealed_secret, d.endpoint_id);
    if (!current) return { kind: 'failed', status: null, error: 'the signing secret cannot be read: rotate it' };
    const secrets = [current];
    if (d.sealed_previous_secret && d.previous_secret_expires_at && d.previous_secret_expires_at > at) {
      // A previous secret sealed under a key since changed no longer signs; the current one does.
      const previous = this.openSecret(d.sealed_previous_secret, d.endpoint_id);
      if (previous) secrets.push(previous);
    }
    const caller: Caller = { principal: { kind: principalKind, partnerId: d.partner_id, subject: `webhook-endpoint:${d.endpoint_id}` }, purpose: d.purpose };
    const read = await this.options.disclose(caller, document.text, { id: d.resource_id }, {
      requestId: `webhook:${d.id}:${d.attempts}`,
      detail: { webhookDelivery: d.id, webhookEvent: d.event_id, eventType: d.event_type, endpoint: d.endpoint_id, attempt: d.attempts },
    });
    if (read.errors?.length) {
      const codes = [...new Set(read.errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
      return { kind: 'failed', status: null, error: `the notification could not be read: ${codes.join(', ')}` };
    }
    const record = read.data?.[document.root];
    // Out of reach now (given to another carrier, restricted by an erasure): as if it did not exist, so nothing is sent.
    if (!record) return { kind: 'cancelled', error: "the record is no longer within the partner's reach" };

    // Looked at again as it leaves: what happened while the record was read — the endpoint
    // disabled, the partner suspended, the customer erased (which deletes the delivery) — holds.
    const stopped = await this.stoppedSinceClaim(d.id);
    if (stopped) return stopped;

    const body = JSON.stringify({ type: d.event_type, timestamp: new Date(d.occurred_at).toISOString(), data: { [document.root]: record } });
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    try {
      const headers = { 'content-type': 'application/json', 'user-agent': 'need-to-know-webhooks/1', ...signNotification(d.event_id, at, body, secrets) };
      const status = await postNotification(d.url, body, headers, { timeoutMs, allowLocal: this.options.allowLocalEndpoints });
      if (status >= 200 && status < 300) return { kind: 'delivered', status };
      return { kind: 'failed', status, error: `the endpoint answered HTTP ${status}` };
    } catch (error) {
      if (error instanceof EndpointRefused && error.refused === 'address') return { kind: 'failed', status: null, error: 'the endpoint is not at a public address' };
      // A name resolving to a private address is what the operators must see, and the partner must not.
      if (error instanceof EndpointRefused) this.options.logger.warn({ endpoint: d.endpoint_id }, 'a webhook endpoint\'s name resolves to no public address: not called');
      return { kind: 'failed', status: null, error: (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'the endpoint could not be reached' };
    }
  }

  /** Why the claimed delivery must not be sent now, or undefined when it still may be. */
  private async stoppedSinceClaim(deliveryId: string): Promise<Outcome | undefined> {
    const [now]: Array<{ status: WebhookDeliveryStatus; restricted: boolean; disabled_at: Date | null; partner_status: PartnerStatus }> = await this.options.dataSource.query(
      `SELECT d.status, d.restricted_at IS NOT NULL AS restricted, e.disabled_at, p.status AS partner_status
         FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id JOIN partner p ON p.id = e.partner_id WHERE d.id = $1`,
      [deliveryId],
    );
    // Deleted or kept restricted by an erasure: as if it did not exist.
    if (!now || now.restricted) return { kind: 'cancelled', error: "the record is no longer within the partner's reach" };
    if (now.disabled_at) return { kind: 'cancelled', error: 'the endpoint was disabled' };
    if (now.status !== WebhookDeliveryStatus.PENDING) return { kind: 'cancelled', error: 'the delivery was cancelled' };
    if (now.partner_status !== PartnerStatus.ACTIVE) return { kind: 'failed', status: null, error: 'the partner is not active' };
    return undefined;
  }

  /** The secret, or undefined (logged) when it opens under neither WEBHOOK_SECRET_KEY nor WEBHOOK_SECRET_KEY_PREVIOUS. */
  private openSecret(sealed: Buffer, endpointId: string): string | undefined {
    try {
      return this.options.secrets.open(sealed, endpointId);
    } catch {
      this.options.logger.error({ endpoint: endpointId }, 'a webhook signing secret does not open under WEBHOOK_SECRET_KEY or WEBHOOK_SECRET_KEY_PREVIOUS');
      return undefined;
    }
  }

  private async record(d: Claimed, outcome: Outcome): Promise<keyof WebhookRun> {
    const q = (sql: string, params: unknown[]) => this.options.dataSource.query(sql, params);
    switch (outcome.kind) {
      case 'delivered':
        await q(`UPDATE webhook_delivery SET status = 'delivered', delivered_at = $2, last_response_status = $3, last_error = NULL WHERE id = $1`, [d.id, this.now(), outcome.status]);
        return 'delivered';
      case 'cancelled':
        await q(`UPDATE webhook_delivery SET status = 'cancelled', last_error = $2 WHERE id = $1`, [d.id, outcome.error]);
        return 'cancelled';
      case 'failed': {
        const dead = d.attempts >= (this.options.maxAttempts ?? 12);
        const next = new Date(this.now().getTime() + backoffMs(d.attempts, this.random(), this.options.backoffBaseMs, this.options.backoffMaxMs));
        await q(`UPDATE webhook_delivery SET status = $2::webhook_delivery_status, next_attempt_at = $3, last_response_status = $4, last_error = $5 WHERE id = $1`, [
          d.id,
          dead ? WebhookDeliveryStatus.DEAD : WebhookDeliveryStatus.PENDING,
          next,
          outcome.status,
          outcome.error.slice(0, 300),
        ]);
        this.options.logger.warn({ delivery: d.id, attempt: d.attempts, status: outcome.status, dead }, 'a webhook delivery failed');
        return dead ? 'dead' : 'retrying';
      }
    }
  }
}
