// The Chaman backend contract v1 (SPEC section 5) as TypeScript types, and the one seam
// between the controller and the backend: ChamanClient. The controller never sees HTTP.
import type { CertificateUpload, ChamanAccount, ChamanCertificate, ChamanSenderInfo, CreateAccountRequest, EditAccountRequest } from '../domain/account.ts';
import type { ChannelType, Contact, Permission } from '../domain/types.ts';

// The account, sender and request shapes are the domain's (src/domain/account.ts): the pure
// decisions (the plan of an update, the desired account) speak of them without knowing this client.
export type { CertificateUpload, ChamanAccount, ChamanCertificate, ChamanSenderInfo, CreateAccountRequest, EditAccountRequest };

/** A validation error item of a 422 problem+json body. */
export interface FieldError {
  field: string;
  rule: string;
  message: string;
}

/** Everything the operator needs from Chaman. Implemented over HTTP by `ChamanHttpClient`. */
export interface ChamanClient {
  listPermissions(channelType?: ChannelType): Promise<Permission[]>;
  getSender(senderNumber: string): Promise<ChamanSenderInfo>;
  putContact(senderNumber: string, contact: Contact): Promise<ChamanSenderInfo>;
  listAccounts(senderNumber: string): Promise<ChamanAccount[]>;
  getAccount(senderNumber: string, accountId: string): Promise<ChamanAccount>;
  /** POST with an Idempotency-Key: the same key yields the same account, never two. */
  createAccount(senderNumber: string, request: CreateAccountRequest, idempotencyKey: string): Promise<ChamanAccount>;
  editAccount(senderNumber: string, accountId: string, request: EditAccountRequest): Promise<ChamanAccount>;
  deleteAccount(senderNumber: string, accountId: string): Promise<void>;
  /** REST only (else ConflictError OPERATION_NOT_ALLOWED). Answers 201 with the certificate. */
  addCertificate(senderNumber: string, accountId: string, certificate: CertificateUpload, idempotencyKey?: string): Promise<ChamanCertificate>;
  /** Answers 200 with the new certificate (it may get a new id). */
  replaceCertificate(senderNumber: string, accountId: string, certificateId: string, certificate: CertificateUpload): Promise<ChamanCertificate>;
  /** REST only; never the last one (ConflictError LAST_CERTIFICATE). Answers 204. */
  removeCertificate(senderNumber: string, accountId: string, certificateId: string): Promise<void>;
  downloadCertificate(senderNumber: string, accountId: string, certificateId: string): Promise<Uint8Array>;
  /**
   * The same client bound to `signal`: every call, with its retries and waits, stops as soon as the
   * signal aborts and rejects with an AbortedError. The reconcile driver passes its deadline here:
   * that signal is what bounds the time one reconcile spends on Chaman.
   */
  withSignal(signal: AbortSignal): ChamanClient;
  /** Releases the connections once the calls in flight are done (a view from withSignal releases nothing). */
  close(): Promise<void>;
}
