/**
 * Opens the client's TCP connection.
 *
 * @module
 */

/**
 * Connects to `hostname:port` with TCP_NODELAY set. For `localhost` it tries
 * 127.0.0.1 and then ::1, so a server listening on 0.0.0.0 (IPv4 only) is
 * reached even where `localhost` resolves to ::1 first.
 */
export async function connectTcp(hostname: string, port: number): Promise<Deno.TcpConn> {
  const candidates = hostname === "localhost" ? ["127.0.0.1", "::1"] : [hostname];
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      const conn = await Deno.connect({ hostname: candidate, port, transport: "tcp" });
      conn.setNoDelay(true);
      return conn;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
