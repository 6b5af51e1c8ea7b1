/**
 * The fault suite's load: a mix of partner reads, staff reads and writes, sent by a fixed number
 * of workers, each waiting for its answer before sending the next (optionally paced to a rate).
 * Every answer is kept as a Sample: when it was sent and answered, its status, its request id
 * (`x-request-id`), whether it carried data, its error codes, and whether its errors were masked.
 *
 * Writes carry a marker, unique in the run, as their operation name and in what they store (a
 * scan's description, a payment's provider reference, a message's body), so the suite can find
 * every write that committed and the audit event written for it, whatever the caller was told.
 */
import http from 'node:http';
import { ErrorCode, SERVICE_UNAVAILABLE_MESSAGE } from '../src/platform/errors';
import { INTERNAL_ERROR_MESSAGE } from '../src/platform/error-format';
import { sleep } from './processes';

const REQUEST_KINDS = ['partner-read', 'provider-read', 'staff-read', 'write-scan', 'write-payment', 'write-message'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** The three groups recovery is measured for: a fault has ended once each answers well again. */
export type KindGroup = 'partner read' | 'staff read' | 'write';
export const GROUP_OF: Record<RequestKind, KindGroup> = {
  'partner-read': 'partner read',
  'provider-read': 'partner read',
  'staff-read': 'staff read',
  'write-scan': 'write',
  'write-payment': 'write',
  'write-message': 'write',
};

/** Operation-name prefixes of the writes; the marker is the operation name. */
export const WRITE_PREFIX: Record<WriteKind, string> = { 'write-scan': 'FaultScan_', 'write-payment': 'FaultPay_', 'write-message': 'FaultMsg_' };

/** One cycle of the mix: three reads to one write. */
const MIX: readonly RequestKind[] = [
  'partner-read', 'staff-read', 'provider-read', 'write-scan',
  'partner-read', 'staff-read', 'partner-read', 'write-payment',
  'staff-read', 'provider-read', 'staff-read', 'write-message',
];

export interface Fixtures {
  /** Shipments of the carrier whose token the load uses. */
  shipmentIds: string[];
  /** Orders the provider whose token the load uses was assigned. */
  orders: Array<{ id: string; currency: string }>;
  /** Cases that are not closed. */
  caseIds: string[];
  customerIds: string[];
}

export interface Tokens {
  carrier: string;
  provider: string;
  /** customer_service, purposes after_sales (and fulfillment). */
  staff: string;
}

export interface Sample {
  kind: RequestKind;
  /** Index of the gateway it was sent to. */
  target: number;
  /** performance.now() when sent and when the answer was complete. */
  start: number;
  end: number;
  /** HTTP status; 0 when no answer came (connection refused or reset, timeout). */
  status: number;
  transportError?: string;
  requestId?: string;
  retryAfter?: string;
  codes: string[];
  /** The answer carried data: at least one root field that is not null. */
  carriedData: boolean;
  /** HTTP 200, data, no error. */
  good: boolean;
  /** Writes: the operation name, also stored in the row written. */
  marker?: string;
  /** Why the errors of this answer are not masked and coded as they must be. */
  unmasked?: string;
}

const READS: Record<'partner-read' | 'provider-read' | 'staff-read', string> = {
  'partner-read': 'query Manifest { shipments(first: 10) { nodes { id trackingNumber order { orderNumber shippingAddress { recipientName city } } } } }',
  'provider-read': 'query Settlements { paymentVerifications(first: 10) { nodes { providerReference amount currency status } } }',
  'staff-read': 'query Customer($id: ID!) { customer(id: $id) { accountName email orders(first: 3) { nodes { orderNumber status } } } }',
};

type WriteKind = 'write-scan' | 'write-payment' | 'write-message';

/** Each write: who sends it, the operation after its name, and its input, which stores the marker. */
const WRITES: Record<WriteKind, { caller: keyof Tokens; operation: string; input(marker: string, pick: <T>(list: T[]) => T, fixtures: Fixtures): Record<string, unknown> }> = {
  'write-scan': {
    caller: 'carrier',
    operation: '($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id status } }',
    input: (marker, pick, f) => ({ shipmentId: pick(f.shipmentIds), events: [{ eventId: marker, occurredAt: new Date().toISOString(), location: 'Fault suite depot', description: marker }] }),
  },
  'write-payment': {
    caller: 'provider',
    operation: '($input: RecordPaymentResultInput!) { recordPaymentResult(input: $input) { id status } }',
    input: (marker, pick, f) => {
      const order = pick(f.orders);
      return { orderId: order.id, providerReference: marker, method: 'CARD', amount: '1.00', currency: order.currency, status: 'AUTHORIZED' };
    },
  },
  'write-message': {
    caller: 'staff',
    operation: '($input: PostCaseMessageInput!) { postCaseMessage(input: $input) { id } }',
    input: (marker, pick, f) => ({ caseId: pick(f.caseIds), body: marker }),
  },
};

interface Built {
  token: string;
  purpose?: string;
  body: { query: string; variables?: Record<string, unknown>; operationName?: string };
  marker?: string;
}

export interface LoadOptions {
  /** Gateways (http://host:port) to send to, in turn; read before each request, so it may change. */
  targets: () => readonly string[];
  tokens: Tokens;
  fixtures: Fixtures;
  concurrency: number;
  /** Requests per second over all workers; unpaced (as fast as answers come) when absent. */
  ratePerSecond?: number;
  /** An answer not complete after this long counts as a transport error. Default 35 s. */
  timeoutMs?: number;
  /** Which request kinds to send; all of the mix by default. */
  kinds?: readonly RequestKind[];
  /**
   * Whether each write names its operation after its marker (default true), which the fault
   * suite needs to find its audit event, at the price of a new document per write. The soak
   * sends the same documents over and over, as partners do, so caches keyed by document stay
   * as they would in production; the marker is then only in the row written.
   */
  markerAsOperationName?: boolean;
}

/** Markers are numbered per process, so that two loads of one run (the soak's) never repeat one. */
let markers = 0;

export class LoadDriver {
  readonly samples: Sample[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private sequence = 0;
  private nextSlot = 0;
  private readonly agent: http.Agent;
  private readonly mix: readonly RequestKind[];

  constructor(private readonly options: LoadOptions) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
    this.mix = options.kinds ? MIX.filter((k) => options.kinds!.includes(k)) : MIX;
    if (this.mix.length === 0) throw new Error('LoadDriver: no request kind left to send');
  }

  /** The samples so far, removed from `samples` (a long run keeps memory flat this way). */
  takeSamples(): Sample[] {
    return this.samples.splice(0, this.samples.length);
  }

  start(): void {
    this.running = true;
    this.nextSlot = performance.now();
    for (let w = 0; w < this.options.concurrency; w++) this.workers.push(this.work(w));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
    this.agent.destroy();
  }

  private async work(worker: number): Promise<void> {
    for (let i = worker * 5; this.running; i++) {
      if (this.options.ratePerSecond) {
        const slot = Math.max(this.nextSlot, performance.now());
        this.nextSlot = slot + 1000 / this.options.ratePerSecond;
        const wait = slot - performance.now();
        if (wait > 0) await sleep(wait);
        if (!this.running) return;
      }
      const targets = this.options.targets();
      const target = this.sequence % targets.length;
      this.samples.push(await this.send(this.mix[i % this.mix.length]!, target, targets[target]!));
    }
  }

  private build(kind: RequestKind): Built {
    const n = ++this.sequence;
    const { tokens, fixtures } = this.options;
    const pick = <T>(list: T[]): T => list[n % list.length]!;
    switch (kind) {
      case 'partner-read':
        return { token: tokens.carrier, body: { query: READS[kind] } };
      case 'provider-read':
        return { token: tokens.provider, body: { query: READS[kind] } };
      case 'staff-read':
        return { token: tokens.staff, purpose: 'after_sales', body: { query: READS[kind], variables: { id: pick(fixtures.customerIds) } } };
      default: {
        const write = WRITES[kind];
        const marker = `${WRITE_PREFIX[kind]}${++markers}`;
        const name = this.options.markerAsOperationName === false ? `Fault_${kind.replace('-', '_')}` : marker;
        return {
          token: tokens[write.caller],
          purpose: write.caller === 'staff' ? 'after_sales' : undefined,
          marker,
          body: { query: `mutation ${name}${write.operation}`, operationName: name, variables: { input: write.input(marker, pick, fixtures) } },
        };
      }
    }
  }

  private send(kind: RequestKind, target: number, base: string): Promise<Sample> {
    const built = this.build(kind);
    const payload = JSON.stringify(built.body);
    const start = performance.now();
    const sample: Sample = { kind, target, start, end: start, status: 0, codes: [], carriedData: false, good: false, marker: built.marker };
    return new Promise((resolve) => {
      const finish = () => {
        sample.end = performance.now();
        resolve(sample);
      };
      const req = http.request(
        `${base}/graphql`,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: `Bearer ${built.token}`,
            ...(built.purpose ? { 'x-purpose': built.purpose } : {}),
          },
          timeout: this.options.timeoutMs ?? 35_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (error) => {
            sample.transportError = (error as NodeJS.ErrnoException).code ?? error.message;
            finish();
          });
          res.on('end', () => {
            sample.status = res.statusCode ?? 0;
            sample.requestId = header(res.headers['x-request-id']);
            sample.retryAfter = header(res.headers['retry-after']);
            readAnswer(sample, Buffer.concat(chunks).toString('utf8'));
            finish();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within the timeout')));
      req.on('error', (error) => {
        sample.transportError = (error as NodeJS.ErrnoException).code ?? error.message;
        finish();
      });
      req.end(payload);
    });
  }
}

/** What an answer was, for counting: `503 SERVICE_UNAVAILABLE`, `200`, `no answer (ECONNRESET)`. */
export function outcomeKey(s: Sample): string {
  if (s.status === 0) return `no answer (${s.transportError ?? 'unknown'})`;
  const codes = [...new Set(s.codes)].join('+');
  return codes ? `${s.status} ${codes}` : String(s.status);
}

export function count<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The only codes an answer under load may carry, and the one message each masked code has. */
const MASKED_MESSAGES: Record<string, string | undefined> = {
  [ErrorCode.INTERNAL_SERVER_ERROR]: INTERNAL_ERROR_MESSAGE,
  [ErrorCode.SERVICE_UNAVAILABLE]: SERVICE_UNAVAILABLE_MESSAGE,
};

function readAnswer(sample: Sample, text: string): void {
  let body: { data?: Record<string, unknown> | null; errors?: Array<{ message?: unknown; extensions?: Record<string, unknown> }> };
  try {
    body = JSON.parse(text);
  } catch {
    sample.unmasked = `not JSON: ${text.slice(0, 80)}`;
    return;
  }
  sample.carriedData = !!body.data && Object.values(body.data).some((v) => v !== null && v !== undefined);
  const errors = body.errors ?? [];
  for (const error of errors) {
    const code = error.extensions?.code;
    if (typeof code !== 'string') {
      sample.unmasked = 'an error without a code';
      continue;
    }
    sample.codes.push(code);
    const extensionKeys = Object.keys(error.extensions ?? {}).filter((k) => k !== 'code' && k !== 'retryAfterSeconds');
    if (extensionKeys.length > 0) sample.unmasked = `extensions ${extensionKeys.join(', ')}`;
    const expected = MASKED_MESSAGES[code];
    if (expected === undefined) sample.unmasked = `unexpected code ${code}: ${String(error.message).slice(0, 120)}`;
    else if (error.message !== expected) sample.unmasked = `${code} with the message ${JSON.stringify(error.message).slice(0, 120)}`;
    if (code === ErrorCode.SERVICE_UNAVAILABLE && (sample.status !== 503 || !sample.retryAfter)) {
      sample.unmasked = `SERVICE_UNAVAILABLE with HTTP ${sample.status} and ${sample.retryAfter ? '' : 'no '}Retry-After`;
    }
  }
  sample.good = sample.status === 200 && errors.length === 0 && sample.carriedData;
}

/** Polls GET /readyz of each gateway every `intervalMs`, keeping every answer. */
export class ReadyProbe {
  readonly answers: Array<{ target: number; at: number; ready: boolean }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly targets: () => readonly string[], private readonly intervalMs = 500) {}

  start(): void {
    const poll = () => {
      this.targets().forEach((base, target) => {
        const at = performance.now();
        const req = http.get(`${base}/readyz`, { timeout: 3000, agent: false }, (res) => {
          res.resume();
          this.answers.push({ target, at, ready: res.statusCode === 200 });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => this.answers.push({ target, at, ready: false }));
      });
    };
    poll();
    this.timer = setInterval(poll, this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
