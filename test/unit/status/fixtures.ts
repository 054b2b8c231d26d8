// Objects as the API server returns them, for the status view tests.
import type { ChamanSender, ChannelAccount } from '../../../src/api/types.generated.ts';
import type { CoreEvent, SecretSummary, StatusSnapshot, StatusTarget } from '../../../src/status/snapshot.ts';

export const NOW = new Date('2026-12-07T12:00:00Z');

export function condition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, observedGeneration = 1) {
  return { type, status, reason, message, observedGeneration, lastTransitionTime: '2026-12-07T11:00:00Z' };
}

export function readySender(name = 'apk', extra: Partial<ChamanSender['status']> = {}): ChamanSender {
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChamanSender',
    metadata: { name, namespace: 'payroll', uid: `uid-${name}`, generation: 1 },
    spec: { senderNumber: '300010', contact: { name: 'Jane', phone: { countryCode: '+32', number: '0486531619' }, email: 'j@apk.example', language: 'fr' } },
    status: {
      observedGeneration: 1,
      lastSyncTime: '2026-12-07T11:58:00Z',
      conditions: [condition('Ready', 'True', 'Available', 'Chaman matches the spec.'), condition('Synced', 'True', 'ReconcileSuccess', 'Chaman was read and matches the spec.')],
      ...extra,
    },
  };
}

export function readyRestAccount(name = 'dimona', extra: Partial<ChannelAccount['status']> = {}): ChannelAccount {
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChannelAccount',
    metadata: { name, namespace: 'payroll', uid: `uid-${name}`, generation: 1 },
    spec: {
      senderRef: { name: 'apk' },
      type: 'REST',
      permissions: ['DimonaDeclaration'],
      certificates: [{ name: 'c1', secretRef: { name: `${name}-cert` } }],
    },
    status: {
      observedGeneration: 1,
      externalId: 'acc-1',
      clientId: 'self_service_chaman_300010_abcdefghij',
      lastSyncTime: '2026-12-07T11:59:00Z',
      nextCertificateExpiry: '2027-01-06T12:00:00Z',
      certificates: [
        {
          name: 'c1',
          fileName: 'c1.cer',
          subject: 'CN=dimona, O=APK',
          organization: 'APK',
          issuer: 'Test CA',
          serialNumber: '1954966050899170291',
          notBefore: '2026-01-01T00:00:00Z',
          notAfter: '2027-01-06T12:00:00Z',
          sha256Fingerprint: 'AB:CD',
          keyAlgorithm: 'RSA-2048',
          signatureAlgorithm: 'SHA-256',
          selfSigned: false,
        },
      ],
      conditions: [condition('Ready', 'True', 'Available', 'Chaman matches the spec.'), condition('Synced', 'True', 'ReconcileSuccess', 'ok')],
      ...extra,
    },
  };
}

export function secret(name: string, keys: string[], resourceVersion = '42'): SecretSummary {
  return { name, keys, resourceVersion };
}

export function event(uid: string, reason: string, lastTimestamp: string, message = `${reason} happened`): CoreEvent {
  return { involvedObject: { uid }, type: 'Normal', reason, message, count: 1, lastTimestamp };
}

export function snapshot(parts: Partial<Omit<StatusSnapshot, 'target'>> & { target?: Partial<StatusTarget> } = {}): StatusSnapshot {
  const accounts = parts.accounts ?? [readyRestAccount()];
  return {
    target: { namespace: 'payroll', kind: 'all', ...parts.target },
    senders: parts.senders ?? [readySender()],
    accounts,
    secrets: parts.secrets ?? new Map(accounts.map((a) => [`${a.metadata.name}-cert`, secret(`${a.metadata.name}-cert`, ['tls.crt', 'tls.key'])])),
    events: parts.events ?? [],
    observedAt: NOW,
  };
}
