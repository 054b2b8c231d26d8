// Who may act for which sender (SPEC section 3, Tenancy), asked before anything is sent to Chaman:
// a sender needs a grant for its namespace and number (or its own credentials) and must be the only
// ChamanSender of its number; an account adopted by external name must be that id's only claim. The
// decisions are the pure functions of tenancy.ts; this reads the cluster's state for them.
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import type { Outcome } from './conditions.ts';
import { stalledOutcome } from './error-policy.ts';
import type { KubeStore, Settings } from './ports.ts';
import { adoptionConflict, grantFor, senderConflict } from './tenancy.ts';

export class TenancyGate {
  private readonly kube: KubeStore;
  private readonly settings: Settings;

  constructor(kube: KubeStore, settings: Settings) {
    this.kube = kube;
    this.settings = settings;
  }

  /** Why the operator may not act for this sender, or undefined when it may. */
  senderRefusal(sender: ChamanSender): Outcome | undefined {
    const conflict = senderConflict(sender, this.kube.sendersWithNumber(sender.spec.senderNumber));
    if (conflict.conflict) return stalledOutcome('SenderConflict', 'SenderConflict', conflict.message);
    const namespace = sender.metadata.namespace ?? 'default';
    const grant = grantFor(sender, this.kube.grants(), this.kube.namespaceLabels(namespace), this.settings.requireSenderGrant);
    if (!grant.granted) return stalledOutcome('NotGranted', 'NotGranted', grant.message);
    return undefined;
  }

  /** Why this account may not act on the Chaman account it names, or undefined when it may. */
  adoptionRefusal(account: ChannelAccount): Outcome | undefined {
    const id = account.metadata.annotations?.['chaman.io/external-name'];
    if (!id) return undefined;
    const decision = adoptionConflict(account, this.kube.accountsClaiming(account.metadata.namespace ?? 'default', account.spec.senderRef.name, id));
    return decision.conflict ? stalledOutcome('AdoptionConflict', 'AdoptionConflict', decision.message) : undefined;
  }
}
