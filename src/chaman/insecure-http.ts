// Plain http:// to Chaman sends the bearer token in clear text. It is refused unless the host is this
// machine's loopback (the emulator, a sidecar) or the operator said it is meant (--allow-insecure-http,
// e.g. a test network): issue 16 item 8.
import { isIP } from 'node:net';

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Why `baseUrl` must not carry a token, or undefined when it may. Never names a credential. */
export function insecureHttpProblem(baseUrl: string, allowInsecureHttp: boolean): string | undefined {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' || allowInsecureHttp || isLoopbackHost(url.hostname)) return undefined;
  return (
    `--chaman-url ${url.protocol}//${url.host}: plain http:// would send the bearer token in clear text to a host ` +
    'other than this machine (only localhost, 127.0.0.0/8 and ::1 may use http); use https://, ' +
    'or pass --allow-insecure-http if this is meant (a test network).'
  );
}
