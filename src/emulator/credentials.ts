// Who is calling the emulator: a bearer token or a client certificate's CN, each allowed a set of
// sender numbers (R14), some tokens read-only. Labels name a credential in logs, never the token.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** `'*'` (every sender) or a list of sender numbers. */
export type SenderScope = '*' | string[];

export interface Credential {
  /** for logs: never the token itself */
  label: string;
  senders: SenderScope;
  readOnly?: boolean;
}

export class Credentials {
  private readonly tokens: Map<string, SenderScope>;
  private readonly clients: Map<string, SenderScope>;
  private readonly tokenLabels: Map<string, string>;
  private readonly readOnlyTokens: Set<string>;

  constructor(tokens: Record<string, SenderScope>, clients: Record<string, SenderScope>, readOnlyTokens: readonly string[]) {
    this.tokens = new Map(Object.entries(tokens));
    this.clients = new Map(Object.entries(clients));
    this.tokenLabels = new Map([...this.tokens.keys()].map((token, index) => [token, `token#${index + 1}`]));
    this.readOnlyTokens = new Set(readOnlyTokens);
  }

  get tokenCount(): number {
    return this.tokens.size;
  }

  get clientNames(): string[] {
    return [...this.clients.keys()];
  }

  authenticate(req: IncomingMessage): Credential | undefined {
    const header = req.headers.authorization;
    if (typeof header === 'string') {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const senders = match ? this.tokens.get(match[1]!) : undefined;
      return senders !== undefined ? { label: this.tokenLabels.get(match![1]!)!, senders, ...(this.readOnlyTokens.has(match![1]!) ? { readOnly: true } : {}) } : undefined;
    }
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate === 'function' && socket.authorized) {
      const cn = socket.getPeerCertificate()?.subject?.CN;
      const name = Array.isArray(cn) ? cn[0] : cn;
      const senders = name !== undefined ? this.clients.get(name) : undefined;
      if (senders !== undefined) return { label: `cn:${name}`, senders };
    }
    return undefined;
  }
}

export function mayManage(credential: Credential, senderNumber: string): boolean {
  return credential.senders === '*' || credential.senders.includes(senderNumber);
}
