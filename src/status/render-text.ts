// The text form of `status`: a tree sender → accounts → certificates → Secrets, every condition with its
// full message, the events newest first, and a last line saying whether everything shown is Ready.
// Pure: `now` comes from the caller, so "2m ago" is testable.
import type { AccountView, CertificateView, ConditionView, EventView, ObjectStateView, SecretView, SenderView, StatusView } from './view.ts';
import { rfc3339 } from '../domain/time.ts';

interface TreeNode {
  lines: string[];
  children: TreeNode[];
}

export function renderText(view: StatusView, now: Date): string {
  if (view.empty) return `${view.empty}.\nNot ready: nothing to show.\n`;
  const lines = view.senders.flatMap((s) => renderTree(senderNode(s, now), '', ''));
  return `${lines.join('\n')}\n\n${summary(view)}\n`;
}

/** Box-drawing tree: each node's first line carries the branch, its other lines and children hang below. */
export function renderTree(node: TreeNode, lead: string, rest: string): string[] {
  const [first = '', ...details] = node.lines;
  const bar = node.children.length ? '│  ' : '   ';
  const out = [lead + first, ...details.map((l) => rest + bar + l)];
  node.children.forEach((child, i) => {
    const last = i === node.children.length - 1;
    out.push(...renderTree(child, rest + (last ? '└─ ' : '├─ '), rest + (last ? '   ' : '│  ')));
  });
  return out;
}

function senderNode(s: SenderView, now: Date): TreeNode {
  const head = `ChamanSender ${s.namespace}/${s.name}${s.senderNumber ? ` (sender ${s.senderNumber})` : ''}: ${verdict(s)}`;
  const lines = [head, ...stateLines(s, now)];
  if (s.nextCertificateExpiry) lines.push(`next certificate expiry (its accounts): ${when(s.nextCertificateExpiry, now)}`);
  const children = s.credentialsSecret ? [secretNode(s.credentialsSecret)] : [];
  if (s.found && s.accounts.length === 0) lines.push('no ChannelAccount references this sender');
  return { lines: [...lines, ...conditionLines(s), ...eventLines(s, now)], children: [...children, ...s.accounts.map((a) => accountNode(a, now))] };
}

function accountNode(a: AccountView, now: Date): TreeNode {
  const head = `ChannelAccount ${a.namespace}/${a.name}${a.type ? ` ${a.type}` : ''}: ${verdict(a)}`;
  const facts = [
    a.externalId ? `Chaman id ${a.externalId}` : '',
    a.username ? `user name ${a.username}` : '',
    a.clientId ? `client ID ${a.clientId}` : '',
  ].filter(Boolean);
  const lines = [head, ...stateLines(a, now), ...(facts.length ? [facts.join(', ')] : [])];
  if (a.nextCertificateExpiry) lines.push(`next certificate expiry: ${when(a.nextCertificateExpiry, now)}`);
  return { lines: [...lines, ...conditionLines(a), ...eventLines(a, now)], children: [...a.certificates.map((c) => certificateNode(c, now)), ...a.secrets.map(secretNode)] };
}

function certificateNode(c: CertificateView, now: Date): TreeNode {
  const lines = [`certificate ${c.name}${c.inSpec ? '' : ' (no longer in the spec: being removed from Chaman)'}`];
  if (c.held) {
    lines.push(`held by Chaman: serial ${c.held.serialNumber}, file ${c.held.fileName}, expires ${when(c.held.notAfter, now)}`);
    lines.push(`subject ${c.held.subject}; issuer ${c.held.issuer}`);
    lines.push(`SHA-256 ${c.held.sha256Fingerprint}`);
  } else {
    lines.push('not held by Chaman yet');
  }
  return { lines, children: c.secret ? [secretNode(c.secret)] : [] };
}

function secretNode(s: SecretView): TreeNode {
  const what = `Secret ${s.name}${s.key ? ` key ${s.key}` : ''} (${s.role})`;
  if (s.forbidden) return { lines: [`${what}: not readable with your credentials (get on secrets is forbidden; the view role has none)`], children: [] };
  if (!s.found) return { lines: [`${what}: NOT FOUND`], children: [] };
  const keyState = s.key && !s.keys.includes(s.key) ? `MISSING KEY ${s.key}` : 'present';
  return { lines: [`${what}: ${keyState}; keys ${s.keys.join(', ') || '(none)'}; resourceVersion ${s.resourceVersion ?? '?'}`], children: [] };
}

function verdict(o: ObjectStateView): string {
  if (!o.found) return 'NOT FOUND';
  return o.ready ? 'Ready' : 'NOT READY';
}

function stateLines(o: ObjectStateView, now: Date): string[] {
  const lines = [...o.problems.map((p) => `! ${p}`), ...o.warnings.map((w) => `~ ${w}`)];
  if (!o.found) return lines;
  lines.push(`generation ${o.generation ?? '?'}, observedGeneration ${o.observedGeneration ?? '(none yet)'}`);
  lines.push(`Chaman last read: ${o.lastSyncTime ? when(o.lastSyncTime, now) : 'never'}`);
  if (o.reconcileRequestedAt || o.lastHandledReconcileAt) {
    lines.push(`reconcile requested at: ${o.reconcileRequestedAt ?? '(none)'}; last handled: ${o.lastHandledReconcileAt ?? '(none)'}`);
  }
  if (o.paused) lines.push('paused (chaman.io/paused: "true"): the operator does not act on it');
  return lines;
}

function conditionLines(o: ObjectStateView): string[] {
  if (!o.found) return [];
  if (o.conditions.length === 0) return ['conditions: none yet'];
  return ['conditions:', ...o.conditions.flatMap(conditionLine)];
}

function conditionLine(c: ConditionView): string[] {
  const generation = c.observedGeneration === undefined ? '' : `generation ${c.observedGeneration}${c.current ? '' : ', STALE'}`;
  const since = c.lastTransitionTime ? `since ${c.lastTransitionTime}` : '';
  const facts = [generation, since].filter(Boolean).join(', ');
  const [first = '', ...more] = c.message.split('\n');
  return [`  ${c.type}=${c.status} ${c.reason}${facts ? ` (${facts})` : ''}: ${first}`, ...more.map((m) => `    ${m}`)];
}

function eventLines(o: ObjectStateView, now: Date): string[] {
  if (!o.found) return [];
  if (o.events.length === 0) return ['events: none recent'];
  return ['events (newest first):', ...o.events.map((e) => `  ${eventLine(e, now)}`)];
}

function eventLine(e: EventView, now: Date): string {
  const times = e.count > 1 ? ` (x${e.count})` : '';
  return `${e.lastSeen ? when(e.lastSeen, now) : '(no time)'} ${e.type} ${e.reason}${times}: ${e.message.replace(/\n/g, ' ')}`;
}

function summary(view: StatusView): string {
  const objects: (SenderView | AccountView)[] = view.senders.flatMap((s) => [s, ...s.accounts]);
  const notReady = objects.filter((o) => !o.ready);
  const warned = objects.filter((o) => o.ready && o.warnings.length > 0);
  const warnings = warned.length ? ` ${warned.length} with warnings (~): ${warned.map((o) => `${o.kind} ${o.name}`).join(', ')}.` : '';
  if (notReady.length === 0) return `Ready: all ${objects.length} object(s) shown are Ready.${warnings}`;
  return `Not ready: ${notReady.length} of ${objects.length} object(s): ${notReady.map((o) => `${o.kind} ${o.name}`).join(', ')}.`;
}

/** An instant with how far it is from now: `2026-12-07T01:02:03Z (2m ago)` or `(in 29d)`. */
export function when(time: string, now: Date): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return time;
  const delta = ms - now.getTime();
  const shown = rfc3339(new Date(ms));
  return delta >= 0 ? `${shown} (in ${span(delta)})` : `${shown} (${span(-delta)} ago)`;
}

function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
