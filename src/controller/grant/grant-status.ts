// A ChamanSenderGrant's status: the senders it covers (status.claims) and Ready. Computed from the
// domain's grantClaims and the driver's conditions, so it says what the tenancy gate decides. Pure.
import type { ChamanSender, ChamanSenderGrant, ChamanSenderGrantStatus } from '../../api/types.generated.ts';
import { grantClaims, type Labels } from '../../domain/tenancy.ts';
import { mergeConditions, type Condition } from '../driver/conditions.ts';

export function grantStatus(grant: ChamanSenderGrant, senders: readonly ChamanSender[], namespaceLabels: (namespace: string) => Labels | undefined, now: Date): ChamanSenderGrantStatus {
  const claims = grantClaims(grant, senders, namespaceLabels);
  const message = claims.length ? `Covers ${claims.length} ChamanSender(s).` : 'Covers no ChamanSender yet.';
  const generation = grant.metadata.generation ?? 0;
  const conditions = mergeConditions(grant.status?.conditions as Condition[] | undefined, [{ type: 'Ready', status: 'True', reason: 'Accepted', message }], generation, now);
  return { observedGeneration: generation, conditions, claims };
}
