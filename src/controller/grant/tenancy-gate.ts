// Who may act for which sender (SPEC section 3, Tenancy), asked before anything is sent to Chaman:
// a sender needs a grant for its namespace and number (or its own credentials) and must be the only
// ChamanSender of its number; an account adopted by external name must be that id's only claim. The
// decisions are the pure functions of tenancy.ts; this reads the cluster's state for them.
import type { ChamanSender, ChannelAccount } from '../../api/types.generated.ts';
import { ANNOTATIONS } from '../../domain/annotations.ts';
import type { Outcome } from '../driver/conditions.ts';
import { NeedsUserError, stalledOutcome } from '../driver/error-policy.ts';
import type { KubeStore, Settings, Tenancy } from '../ports.ts';
import { adoptionConflict, grantFor, namesOperatorSecret, rankOf, senderConflict, type GrantDecision } from '../../domain/tenancy.ts';

export class TenancyGate implements Tenancy {
  private readonly kube: KubeStore;
  private readonly settings: Settings;

  constructor(kube: KubeStore, settings: Settings) {
    this.kube = kube;
    this.settings = settings;
  }

  /** Why the operator may not act for this sender, or undefined when it may. */
  senderRefusal(sender: ChamanSender): Outcome | undefined {
    // The grant first: a sender that may not act is told so, and takes no part in the ranking.
    const grant = this.grantOf(sender);
    if (!grant.granted) return stalledOutcome('NotGranted', 'NotGranted', grant.message);
    // A sender that names the operator's own credentials Secret is refused those (chaman-clients.ts): it ranks last.
    const rank = (s: ChamanSender) => (namesOperatorSecret(s, this.settings.chamanCredentialsSecret) ? undefined : rankOf(this.grantOf(s)));
    const conflict = senderConflict(sender, this.kube.sendersWithNumber(sender.spec.senderNumber), rank);
    if (conflict.conflict) return stalledOutcome('SenderConflict', 'SenderConflict', conflict.message);
    return undefined;
  }

  private grantOf(sender: ChamanSender): GrantDecision {
    const namespace = sender.metadata.namespace ?? 'default';
    return grantFor(sender, this.kube.grants(), this.kube.namespaceLabels(namespace), this.settings.requireSenderGrant);
  }

  /** Why this account may not act on the Chaman account it names, or undefined when it may. */
  adoptionRefusal(account: ChannelAccount): Outcome | undefined {
    const id = account.metadata.annotations?.[ANNOTATIONS.externalName];
    if (!id) return undefined;
    const decision = adoptionConflict(account, this.kube.accountsClaiming(account.metadata.namespace ?? 'default', account.spec.senderRef.name, id));
    return decision.conflict ? stalledOutcome('AdoptionConflict', 'AdoptionConflict', decision.message) : undefined;
  }
}

/** A refusal as the error a caller throws when it asked for Chaman anyway: terminal, with the same reasons. */
export function refusedError(refusal: Outcome): NeedsUserError {
  return new NeedsUserError(refusal.ready.message, { reason: refusal.ready.reason, stalledReason: refusal.stalled?.reason ?? refusal.ready.reason });
}
