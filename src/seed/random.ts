/**
 * The seed's only source of randomness: sfc32, a small, fast 32-bit PRNG whose output depends on
 * nothing but its seed (integer arithmetic only, no Math.random, no clock). Each stage of the
 * seed draws from its own named stream, so adding rows to one stage never shifts another's data.
 */

/** cyrb128: spreads a string over four 32-bit words, a good starting state for sfc32. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** The stream `stream` of seed `seed`: same pair, same sequence, on every machine. */
  static stream(seed: number, stream: string): Random {
    return new Random(cyrb128(`need-to-know/${seed}/${stream}`));
  }

  private constructor([a, b, c, d]: [number, number, number, number]) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    // The first outputs of sfc32 still echo the seed words; discard them.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new Error(`expected integers min <= max, got ${min} and ${max}`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('expected a non-empty list to pick from, got an empty one');
    return items[Math.floor(this.next() * items.length)];
  }

  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i += 4) {
      let word = this.uint32();
      for (let j = i; j < Math.min(i + 4, count); j++) {
        out[j] = word & 0xff;
        word >>>= 8;
      }
    }
    return out;
  }

  hex(byteCount: number): string {
    let s = '';
    for (const byte of this.bytes(byteCount)) s += HEX[byte];
    return s;
  }

  /** A string of `count` decimal digits (leading zeros allowed). */
  digits(count: number): string {
    let s = '';
    for (let i = 0; i < count; i++) s += String(this.int(0, 9));
    return s;
  }

  /** An RFC 4122 version 4 UUID made of this stream's bytes. */
  uuid(): string {
    const b = this.bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX[b[i]];
    }
    return s;
  }

  /** `byteCount` bytes in unpadded base64url (32 bytes -> 43 characters). */
  base64url(byteCount: number): string {
    return Buffer.from(this.bytes(byteCount)).toString('base64url');
  }
}

/**
 * Picks values in proportion to integer weights. Built once per table of weights, so each draw is
 * one random number and a short scan.
 */
export function weighted<T>(entries: readonly (readonly [T, number])[]): (random: Random) => T {
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  if (entries.length === 0 || total <= 0) throw new Error('expected weights with a positive sum');
  return (random) => {
    let ticket = random.int(1, total);
    for (const [value, w] of entries) {
      ticket -= w;
      if (ticket <= 0) return value;
    }
    return entries[entries.length - 1][0];
  };
}

/**
 * Splits `total` into `mins.length` counts, each drawn around `total / n` and then nudged until
 * they sum to exactly `total` (never below its minimum). When the minimums alone exceed `total`,
 * every count is its minimum.
 */
export function distribute(random: Random, total: number, mins: readonly number[], spreadMax: number): Int32Array {
  const n = mins.length;
  const counts = new Int32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    counts[i] = Math.max(mins[i], random.int(Math.min(1, spreadMax), spreadMax));
    sum += counts[i];
  }
  const floor = mins.reduce((s, m) => s + m, 0);
  const target = Math.max(total, floor);
  while (sum < target) {
    counts[random.int(0, n - 1)] += 1;
    sum++;
  }
  while (sum > target) {
    const i = random.int(0, n - 1);
    if (counts[i] > mins[i]) {
      counts[i] -= 1;
      sum--;
    }
  }
  return counts;
}
