/**
 * A real SMTP server that keeps what it receives: development (`npm start` without SMTP_URL
 * starts one and writes each mail to a file) and the tests (which read one-time codes from it).
 * It accepts any sender and recipient without authentication, on the loopback interface only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  /** Its Message-ID header, angle brackets included. */
  messageId?: string;
  receivedAt: Date;
  /** The file the mail was written to, when the sink keeps files. */
  file?: string;
}

export interface MailSink {
  /** smtp://127.0.0.1:PORT, for SMTP_URL. */
  url: string;
  readonly mails: readonly ReceivedMail[];
  /** The first mail, received or to come, that `match` accepts; rejects after `timeoutMs`. */
  next(match: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startMailSink(options: { port?: number; dir?: string } = {}): Promise<MailSink> {
  const mails: ReceivedMail[] = [];
  const waiting = new Set<{ match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }>();
  if (options.dir) mkdirSync(options.dir, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            const mail: ReceivedMail = {
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              messageId: parsed.messageId,
              receivedAt: new Date(),
            };
            if (options.dir) {
              mail.file = path.join(options.dir, `${mail.receivedAt.toISOString().replace(/[:.]/g, '-')}-${mails.length + 1}.eml`);
              writeFileSync(mail.file, raw, { mode: 0o600 });
            }
            mails.push(mail);
            for (const w of waiting) {
              if (w.match(mail)) {
                waiting.delete(w);
                w.resolve(mail);
              }
            }
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    mails,
    next(match, timeoutMs = 10_000) {
      const found = mails.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const entry = { match, resolve: (m: ReceivedMail) => { clearTimeout(timer); resolve(m); } };
        const timer = setTimeout(() => {
          waiting.delete(entry);
          reject(new Error(`no matching mail arrived within ${timeoutMs} ms (${mails.length} received)`));
        }, timeoutMs);
        waiting.add(entry);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
