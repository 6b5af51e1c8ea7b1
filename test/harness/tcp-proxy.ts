/**
 * A TCP proxy in front of the test PostgreSQL, to make the database vanish or hang for one data
 * source without touching the server other tests use:
 *
 *   const proxy = await TcpProxy.start(db.url);   // proxy.url(db.url): the same database through it
 *   proxy.cut();        // every connection reset, new ones refused (the server is down)
 *   proxy.freeze();     // connections stay open, nothing passes either way (the server hangs)
 *   await proxy.restore();
 */
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private frozen = false;

  private constructor(private readonly target: { host: string; port: number }, readonly port: number) {}

  static async start(databaseUrl: string): Promise<TcpProxy> {
    const u = new URL(databaseUrl);
    const probe = net.createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as net.AddressInfo).port)));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = new TcpProxy({ host: u.hostname, port: Number(u.port || 5432) }, port);
    await proxy.restore();
    return proxy;
  }

  /** `databaseUrl` with its host and port replaced by the proxy's. */
  url(databaseUrl: string): string {
    const u = new URL(databaseUrl);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Listens (again) and forwards. */
  async restore(): Promise<void> {
    this.frozen = false;
    for (const s of this.sockets) s.resume();
    if (this.server) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
        this.sockets.add(from);
        from.on('data', (chunk) => to.write(chunk));
        from.on('error', () => to.destroy());
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
      }
      if (this.frozen) {
        client.pause();
        upstream.pause();
      }
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Resets every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Keeps every connection open and accepts new ones, but lets nothing through. */
  freeze(): void {
    this.frozen = true;
    for (const s of this.sockets) s.pause();
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
