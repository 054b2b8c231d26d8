import { describe, expect, it } from 'vitest';
import type { ChamanSender, ChamanSenderGrant } from '../../../src/api/types.generated.ts';
import { grantStatus } from '../../../src/controller/grant/grant-status.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const grant = (numbers: string[], generation = 3): ChamanSenderGrant =>
  ({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChamanSenderGrant', metadata: { name: 'payroll', generation }, spec: { senderNumbers: numbers, namespaces: ['payroll'] } }) as ChamanSenderGrant;
const sender = (namespace: string, number: string, own = false): ChamanSender =>
  ({ metadata: { name: 'apk', namespace }, spec: { senderNumber: number, ...(own ? { credentialsSecretRef: { name: 'own' } } : {}) } }) as ChamanSender;

describe('grantStatus', () => {
  it('lists the senders the grant covers (namespace and number), Ready=Accepted, at its generation', () => {
    const status = grantStatus(grant(['300010']), [sender('payroll', '300010'), sender('other', '300010'), sender('payroll', '300011'), sender('payroll', '300010', true)], () => ({}), NOW);
    expect(status.claims).toEqual([{ namespace: 'payroll', name: 'apk', senderNumber: '300010' }]);
    expect(status.observedGeneration).toBe(3);
    expect(status.conditions).toEqual([{ type: 'Ready', status: 'True', reason: 'Accepted', message: 'Covers 1 ChamanSender(s).', observedGeneration: 3, lastTransitionTime: '2026-12-01T10:00:00Z' }]);
  });

  it('covering nothing yet is still Accepted, and says so', () => {
    expect(grantStatus(grant(['300099']), [sender('payroll', '300010')], () => ({}), NOW).conditions![0]!.message).toBe('Covers no ChamanSender yet.');
  });
});
