/**
 * The SMTP transport the mail worker sends with: nodemailer over SMTP_URL, with a bound on every
 * wait. The worker sends one mail at a time, in a transaction that holds the mail's row, so a mail
 * server that accepts a connection and then says nothing must not hold it for nodemailer's
 * defaults (2 minutes to connect, 30 s for the greeting, 10 minutes of silence): one stalled
 * exchange would hold every code behind it past the 15 minutes it works. Each wait below ends the
 * attempt, which is retried with the usual back-off. Options written into SMTP_URL's query win.
 */
import nodemailer, { type Transporter } from 'nodemailer';

export const SMTP_TIMEOUTS = {
  /** To open the TCP connection (and TLS, for smtps). */
  connectionTimeout: 10_000,
  /** For the server's greeting once connected. */
  greetingTimeout: 10_000,
  /** Of silence at any point of the exchange. */
  socketTimeout: 30_000,
  /** To resolve the server's name. */
  dnsTimeout: 10_000,
} as const;

export function createSmtpTransport(url: string): Transporter {
  return nodemailer.createTransport({ url, ...SMTP_TIMEOUTS });
}
