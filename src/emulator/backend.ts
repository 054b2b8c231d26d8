// The Chaman behaviour of the emulator: every endpoint of SPEC section 5 over the persistent store.
// Every domain rule (R1–R17) is decided by the shared rule library in src/domain — the same code
// the operator's validators run — so the emulator and the operator cannot disagree. What lives here
// is only the contract's plumbing: body shapes, state preconditions, ids, idempotency, persistence.
import type { ChamanSenderInfo, CreateAccountRequest } from '../chaman/types.ts';
import * as domain from '../domain/index.ts';
import { CHANNEL_TYPES, DEFAULT_SHA1_CUTOFF } from '../domain/types.ts';
import type { ChannelType, Contact, Organization, Permission, RulePolicy } from '../domain/types.ts';
import { checkedEdit } from './account-edit.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { ProblemError, type Reply } from './problem-error.ts';
import { fingerprintOf, hashPassword, newId, publicAccount, publicCertificate, randomSuffix, verifyPassword } from './records.ts';
import { CONTACT_SHAPE, CREATE_SHAPE, dedupe, errorsOnly, privateKeyErrors, shapeErrors, validation } from './request-shapes.ts';
import type { IdempotencyRecord, Mutation, StoredAccount, StoredCertificate, StoredSender, Store } from './store.ts';
import { checkedCertificate, rfc4716, storedCertificate, uploadShape } from './uploaded-material.ts';

export interface HandleInput {
  /** path parameters in order: senderNumber, accountId, certificateId */
  params: string[];
  query: URLSearchParams;
  body: unknown;
  idempotencyKey?: string;
  /** who is calling (a label, never the token): Idempotency-Keys are scoped to it */
  scope: string;
}

export interface BackendOptions {
  store: Store;
  now: () => Date;
  sha1Cutoff?: Date;
  catalog?: Permission[];
  organizations: Record<string, Organization>;
}

/** R2's message: "one FTP, one SFTP and one SOAP". */
const ONE_OF_EACH_SINGLETON = domain.listTypes(domain.SINGLETON_TYPES.map((type) => `one ${type}`));

/** R12: a type whose certificates are added and removed, never replaced, rotates by add-then-remove. */
function rotatesByAddAndRemove(type: ChannelType): boolean {
  return domain.allowedEdit(type, 'certificateAdd') && domain.allowedEdit(type, 'certificateRemove');
}

/** Operations that change state: each runs its checks and its commit under its sender's lock. */
const MUTATING_OPERATIONS = new Set(['putContact', 'createAccount', 'editAccount', 'deleteAccount', 'addCertificate', 'replaceCertificate', 'removeCertificate']);

export class EmulatorBackend {
  readonly #store: Store;
  readonly #now: () => Date;
  readonly #sha1Cutoff: Date;
  readonly #catalog: Permission[];
  readonly #organizations: Record<string, Organization>;
  /** Per sender: a write reads state, awaits the rule library, then commits; two must never interleave. */
  readonly #senderLocks = new KeyedMutex();

  constructor(options: BackendOptions) {
    this.#store = options.store;
    this.#now = options.now;
    this.#sha1Cutoff = options.sha1Cutoff ?? DEFAULT_SHA1_CUTOFF;
    this.#catalog = options.catalog ?? (domain.PERMISSION_CATALOG as Permission[]);
    this.#organizations = options.organizations;
  }

  #policy(): RulePolicy {
    return { now: this.#now(), sha1Cutoff: this.#sha1Cutoff };
  }

  /**
   * Answers one API operation. Writes are serialized per sender (checks and commit as one step), so
   * concurrent requests get the answers they would get one after the other (issue 9 item 7).
   */
  handle(operation: string, input: HandleInput): Promise<Reply> {
    const senderNumber = input.params[0];
    if (senderNumber !== undefined && MUTATING_OPERATIONS.has(operation)) {
      return this.#senderLocks.run(senderNumber, () => this.#dispatch(operation, input));
    }
    return this.#dispatch(operation, input);
  }

  async #dispatch(operation: string, input: HandleInput): Promise<Reply> {
    switch (operation) {
      case 'listPermissions':
        return this.listPermissions(input.query.get('channelType'));
      case 'getSender':
        return { status: 200, body: this.#senderInfo(this.#sender(input.params[0]!)) };
      case 'putContact':
        return this.putContact(input.params[0]!, input.body);
      case 'listAccounts':
        return this.listAccounts(input.params[0]!);
      case 'getAccount':
        return { status: 200, body: publicAccount(this.#account(input.params[0]!, input.params[1]!)) };
      case 'createAccount':
        return this.createAccount(input.params[0]!, input.body, input.idempotencyKey, input.scope);
      case 'editAccount':
        return this.editAccount(input.params[0]!, input.params[1]!, input.body);
      case 'deleteAccount':
        return this.deleteAccount(input.params[0]!, input.params[1]!);
      case 'addCertificate':
        return this.addCertificate(input.params[0]!, input.params[1]!, input.body, input.idempotencyKey, input.scope);
      case 'replaceCertificate':
        return this.replaceCertificate(input.params[0]!, input.params[1]!, input.params[2]!, input.body);
      case 'removeCertificate':
        return this.removeCertificate(input.params[0]!, input.params[1]!, input.params[2]!);
      case 'downloadCertificate':
        return this.downloadCertificate(input.params[0]!, input.params[1]!, input.params[2]!);
      default:
        throw new ProblemError('NOT_FOUND', `unknown operation ${operation}`);
    }
  }

  // ---- permissions ----

  listPermissions(channelType: string | null): Reply {
    if (channelType !== null && !(CHANNEL_TYPES as readonly string[]).includes(channelType)) {
      throw validation([{ field: 'channelType', rule: 'SCHEMA', message: `channelType must be one of ${CHANNEL_TYPES.join(', ')}` }]);
    }
    const list = channelType === null ? this.#catalog : this.#catalog.filter((p) => p.channelTypes.includes(channelType as ChannelType));
    return { status: 200, body: list };
  }

  // ---- senders ----

  #sender(senderNumber: string): StoredSender {
    if (!domain.isValidSenderNumber(senderNumber)) throw new ProblemError('NOT_FOUND', `no sender ${senderNumber}: a sender number is 1 to 10 digits`);
    return (
      this.#store.state.senders[senderNumber] ?? {
        senderNumber,
        organization: this.#organizations[senderNumber] ?? null,
        contact: null,
      }
    );
  }

  #senderInfo(sender: StoredSender): ChamanSenderInfo {
    return { senderNumber: sender.senderNumber, organization: sender.organization ?? this.#organizations[sender.senderNumber] ?? null, contact: sender.contact };
  }

  putContact(senderNumber: string, body: unknown): Reply {
    const sender = this.#sender(senderNumber);
    const shape = shapeErrors(body, CONTACT_SHAPE, '');
    if (shape.length > 0) throw validation(shape);
    const contact = body as Contact;
    const findings = errorsOnly(domain.checkContact(contact, ''));
    if (findings.length > 0) throw validation(findings);
    const stored: Contact = {
      name: contact.name,
      ...(contact.role !== undefined ? { role: contact.role } : {}),
      phone: { countryCode: contact.phone.countryCode, number: contact.phone.number },
      email: contact.email,
      language: contact.language,
    };
    const next: StoredSender = { ...sender, contact: stored };
    this.#store.commit([{ op: 'putSender', sender: next }], this.#now());
    return { status: 200, body: this.#senderInfo(next) };
  }

  // ---- accounts ----

  #accountsOf(senderNumber: string): StoredAccount[] {
    const accounts = this.#store.state.accounts;
    return [...this.#store.accountIdsOf(senderNumber)]
      .map((id) => accounts[id]!)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  #account(senderNumber: string, accountId: string): StoredAccount {
    this.#sender(senderNumber);
    const account = this.#store.state.accounts[accountId];
    if (!account || account.senderNumber !== senderNumber) throw new ProblemError('NOT_FOUND', `sender ${senderNumber} has no account ${accountId}`);
    return account;
  }

  listAccounts(senderNumber: string): Reply {
    this.#sender(senderNumber);
    return { status: 200, body: this.#accountsOf(senderNumber).map(publicAccount) };
  }

  async createAccount(senderNumber: string, body: unknown, idempotencyKey: string | undefined, scope: string): Promise<Reply> {
    const sender = this.#sender(senderNumber);
    const shape = shapeErrors(body, CREATE_SHAPE, '');
    if (shape.length > 0) throw validation(shape);
    const request = body as CreateAccountRequest;

    // Idempotency-Key: the same key and body answer the account created the first time.
    const idemKey = idempotencyKey !== undefined ? `${scope}|${senderNumber}|createAccount|${idempotencyKey}` : undefined;
    const fingerprint = fingerprintOf(request);
    if (idemKey !== undefined) {
      const previous = this.#store.state.idempotency[idemKey];
      if (previous) return this.#replayCreate(senderNumber, previous, fingerprint, request);
    }

    // State preconditions first (the Chaman UI would not even offer the form), then the rules.
    if (!sender.contact) {
      throw new ProblemError('CONTACT_REQUIRED', `sender ${senderNumber} has no contact data yet: PUT /senders/${senderNumber}/contact first (R1)`);
    }
    if (domain.isSingletonType(request.type)) {
      const existing = this.#accountsOf(senderNumber).find((a) => a.type === request.type);
      if (existing) {
        throw new ProblemError(
          'CHANNEL_ALREADY_EXISTS',
          `sender ${senderNumber} already has a ${request.type} account (${existing.id}); a sender has at most ${ONE_OF_EACH_SINGLETON} account (R2)`,
        );
      }
    }
    const findings = [
      ...errorsOnly(await domain.checkAccountRequest(request, { catalog: this.#catalog, policy: this.#policy() })),
      ...(request.certificates ?? []).flatMap((c, i) => privateKeyErrors(c, `certificates[${i}].content`)),
    ];
    if (findings.length > 0) throw validation(dedupe(findings));

    const now = this.#now().toISOString();
    const certificates: StoredCertificate[] = [];
    for (const upload of request.certificates ?? []) certificates.push(await storedCertificate(newId('crt'), upload));
    const account: StoredAccount = {
      senderNumber,
      id: newId('acc'),
      type: request.type,
      name: request.name,
      permissions: [...new Set(request.permissions ?? [])],
      certificates,
      createdAt: now,
      updatedAt: now,
    };
    if (domain.hasManagementMode(request.type)) account.management = request.management ?? 'Internal';
    if (domain.credentialKind(request.type) === 'clientId') account.clientId = this.#newClientId(senderNumber);
    if (request.username !== undefined) account.username = domain.displayUsername(request.username);
    if (request.sshPublicKey !== undefined) account.sshPublicKey = rfc4716(request.sshPublicKey, 'sshPublicKey');
    if (request.password !== undefined) account.passwordHash = hashPassword(request.password);

    const mutations: Mutation[] = [{ op: 'putAccount', account }];
    if (idemKey !== undefined) mutations.push({ op: 'putIdempotency', key: idemKey, record: { fingerprint, accountId: account.id, createdAt: now } });
    this.#store.commit(mutations, this.#now());
    return { status: 201, body: publicAccount(account), headers: { location: `/api/v1/senders/${senderNumber}/accounts/${account.id}` } };
  }

  #replayCreate(senderNumber: string, previous: IdempotencyRecord, fingerprint: string, request: CreateAccountRequest): Reply {
    const account = this.#store.state.accounts[previous.accountId];
    const samePassword = request.password === undefined || !account?.passwordHash || verifyPassword(request.password, account.passwordHash);
    if (previous.fingerprint !== fingerprint || !samePassword) {
      throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request body: use a new key for a new request');
    }
    if (!account) {
      throw new ProblemError('NOT_FOUND', `the account created with this Idempotency-Key (${previous.accountId}) has since been deleted`);
    }
    return {
      status: 201,
      body: publicAccount(account),
      headers: { 'idempotent-replayed': 'true', location: `/api/v1/senders/${senderNumber}/accounts/${account.id}` },
    };
  }

  editAccount(senderNumber: string, accountId: string, body: unknown): Reply {
    const account = this.#account(senderNumber, accountId);
    const edit = checkedEdit(account, body, this.#catalog);
    const next: StoredAccount = { ...account, updatedAt: this.#now().toISOString() };
    if (typeof edit.name === 'string') next.name = edit.name;
    if (Array.isArray(edit.permissions)) next.permissions = [...new Set(edit.permissions as string[])];
    if (typeof edit.username === 'string') next.username = domain.displayUsername(edit.username);
    if (typeof edit.sshPublicKey === 'string') next.sshPublicKey = rfc4716(edit.sshPublicKey, 'sshPublicKey');
    this.#store.commit([{ op: 'putAccount', account: next }], this.#now());
    return { status: 200, body: publicAccount(next) };
  }

  deleteAccount(senderNumber: string, accountId: string): Reply {
    this.#account(senderNumber, accountId);
    // R13: definitive. Its Idempotency-Key records stay, so a late replay of its create says "deleted".
    this.#store.commit([{ op: 'deleteAccount', id: accountId }], this.#now());
    return { status: 204 };
  }

  // ---- certificates ----

  async addCertificate(senderNumber: string, accountId: string, body: unknown, idempotencyKey: string | undefined, scope: string): Promise<Reply> {
    const account = this.#account(senderNumber, accountId);
    const idemKey = idempotencyKey !== undefined ? `${scope}|${senderNumber}|${accountId}|addCertificate|${idempotencyKey}` : undefined;
    const upload = uploadShape(body);
    const fingerprint = fingerprintOf(upload);
    if (idemKey !== undefined) {
      const previous = this.#store.state.idempotency[idemKey];
      if (previous) {
        if (previous.fingerprint !== fingerprint) throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request body: use a new key for a new request');
        const existing = account.certificates.find((c) => c.id === previous.certificateId);
        if (!existing) throw new ProblemError('NOT_FOUND', `the certificate added with this Idempotency-Key (${previous.certificateId}) has since been removed`);
        return { status: 201, body: publicCertificate(existing), headers: { 'idempotent-replayed': 'true' } };
      }
    }
    if (!domain.allowedEdit(account.type, 'certificateAdd')) {
      throw new ProblemError('OPERATION_NOT_ALLOWED', `certificates cannot be added to a ${account.type} account: it has exactly one, replace it instead (R3, R12)`);
    }
    const count = errorsOnly(domain.checkCertificateCount(account.type, account.management, account.certificates.length + 1, 'certificates'));
    if (count.length > 0) throw new ProblemError('OPERATION_NOT_ALLOWED', count.map((f) => f.message).join('; '));
    const certificate = await checkedCertificate(newId('crt'), upload, account.type, '', this.#policy());
    const now = this.#now().toISOString();
    const next: StoredAccount = { ...account, certificates: [...account.certificates, certificate], updatedAt: now };
    const mutations: Mutation[] = [{ op: 'putAccount', account: next }];
    if (idemKey !== undefined) mutations.push({ op: 'putIdempotency', key: idemKey, record: { fingerprint, accountId, certificateId: certificate.id, createdAt: now } });
    this.#store.commit(mutations, this.#now());
    return {
      status: 201,
      body: publicCertificate(certificate),
      headers: { location: `/api/v1/senders/${senderNumber}/accounts/${accountId}/certificates/${certificate.id}` },
    };
  }

  async replaceCertificate(senderNumber: string, accountId: string, certificateId: string, body: unknown): Promise<Reply> {
    const account = this.#account(senderNumber, accountId);
    const index = account.certificates.findIndex((c) => c.id === certificateId);
    if (index < 0) throw new ProblemError('NOT_FOUND', `account ${accountId} has no certificate ${certificateId}`);
    const upload = uploadShape(body);
    if (!domain.allowedEdit(account.type, 'certificateReplace')) {
      throw new ProblemError('OPERATION_NOT_ALLOWED', `the certificate of a ${account.type} account cannot be replaced (R12)${rotatesByAddAndRemove(account.type) ? ': add the new certificate, then remove the old one' : ': delete the account and create it again'}`);
    }
    // PUT replaces the certificate at this URI: it keeps its id, so a repeated PUT is idempotent.
    const certificate = await checkedCertificate(certificateId, upload, account.type, '', this.#policy());
    const certificates = account.certificates.map((c, i) => (i === index ? certificate : c));
    const next: StoredAccount = { ...account, certificates, updatedAt: this.#now().toISOString() };
    this.#store.commit([{ op: 'putAccount', account: next }], this.#now());
    return { status: 200, body: publicCertificate(certificate) };
  }

  removeCertificate(senderNumber: string, accountId: string, certificateId: string): Reply {
    const account = this.#account(senderNumber, accountId);
    if (!account.certificates.some((c) => c.id === certificateId)) throw new ProblemError('NOT_FOUND', `account ${accountId} has no certificate ${certificateId}`);
    if (!domain.allowedEdit(account.type, 'certificateRemove')) {
      throw new ProblemError('OPERATION_NOT_ALLOWED', `the certificate of a ${account.type} account cannot be removed, only replaced (R3, R12)`);
    }
    if (!domain.canRemoveCertificate(account.certificates.length)) {
      throw new ProblemError('LAST_CERTIFICATE', `certificate ${certificateId} is the last one of account ${accountId}: add another certificate first (R3)`);
    }
    const next: StoredAccount = { ...account, certificates: account.certificates.filter((c) => c.id !== certificateId), updatedAt: this.#now().toISOString() };
    this.#store.commit([{ op: 'putAccount', account: next }], this.#now());
    return { status: 204 };
  }

  downloadCertificate(senderNumber: string, accountId: string, certificateId: string): Reply {
    const account = this.#account(senderNumber, accountId);
    const certificate = account.certificates.find((c) => c.id === certificateId);
    if (!certificate) throw new ProblemError('NOT_FOUND', `account ${accountId} has no certificate ${certificateId}`);
    return {
      status: 200,
      bytes: Buffer.from(certificate.content, 'base64'),
      contentType: 'application/pkix-cert',
      headers: { 'content-disposition': `attachment; filename="${certificate.fileName.replace(/["\\\r\n]/g, '_')}"` },
    };
  }

  // ---- helpers ----

  #newClientId(senderNumber: string): string {
    for (;;) {
      const clientId = domain.makeClientId(senderNumber, randomSuffix());
      if (!this.#store.clientIdTaken(clientId)) return clientId;
    }
  }

  /** GET /admin/state: everything but password material and certificate bytes. */
  dump(): unknown {
    const state = this.#store.state;
    return {
      senders: Object.values(state.senders).map((s) => this.#senderInfo(s)),
      accounts: Object.values(state.accounts).map((a) => ({
        senderNumber: a.senderNumber,
        ...publicAccount(a),
        ...(domain.credentialKind(a.type) === 'password' ? { hasPassword: a.passwordHash !== undefined } : {}),
      })),
      idempotencyKeys: Object.keys(state.idempotency).length,
    };
  }
}
