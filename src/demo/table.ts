// kubectl-style tables of senders and accounts, for the demo's summary.
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import { CHANNEL_TYPES, accountCountKey } from '../domain/types.ts';

type Conditions = { type: string; status: string; reason: string }[] | undefined;

const condition = (conditions: Conditions, type: string) => conditions?.find((c) => c.type === type);

export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('   ').trimEnd()).join('\n');
}

export function sendersTable(senders: ChamanSender[]): string {
  const rows = [['NAMESPACE', 'NAME', 'SENDER', 'READY', 'REASON', `ACCOUNTS (${CHANNEL_TYPES.join('/')})`]];
  for (const s of senders) {
    const ready = condition(s.status?.conditions, 'Ready');
    const a = s.status?.accounts as Record<string, number | undefined> | undefined;
    const counts = a ? CHANNEL_TYPES.map((type) => a[accountCountKey(type)] ?? 0).join('/') : '-';
    rows.push([s.metadata.namespace ?? '', s.metadata.name, s.spec.senderNumber, ready?.status ?? '-', ready?.reason ?? '-', counts]);
  }
  return formatTable(rows);
}

export function accountsTable(accounts: ChannelAccount[]): string {
  const rows = [['NAMESPACE', 'NAME', 'TYPE', 'SENDER', 'READY', 'REASON', 'CERT-EXPIRING', 'NEXT-CERT-EXPIRY', 'USERNAME/CLIENT-ID']];
  for (const a of accounts) {
    const ready = condition(a.status?.conditions, 'Ready');
    const expiring = condition(a.status?.conditions, 'CertExpiring');
    rows.push([
      a.metadata.namespace ?? '',
      a.metadata.name,
      a.spec.type,
      a.spec.senderRef.name,
      ready?.status ?? '-',
      ready?.reason ?? '-',
      expiring?.status ?? '-',
      a.status?.nextCertificateExpiry ?? '-',
      a.status?.clientId ?? a.status?.username ?? '-',
    ]);
  }
  return formatTable(rows);
}
