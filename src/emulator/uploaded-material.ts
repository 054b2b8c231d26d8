// What the emulator keeps of uploaded key material once the rules accept it: a certificate as its
// details and DER bytes, an SSH public key in RFC 4716 form.
import type { CertificateUpload } from '../chaman/types.ts';
import * as domain from '../domain/index.ts';
import type { ChannelType, RulePolicy } from '../domain/types.ts';
import { CERTIFICATE_SHAPE, dedupe, errorsOnly, privateKeyErrors, shapeErrors, validation } from './request-shapes.ts';
import type { StoredCertificate } from './store.ts';

/** A certificate upload body, once it has the contract's shape. */
export function uploadShape(body: unknown): CertificateUpload {
  const shape = shapeErrors(body, CERTIFICATE_SHAPE, '');
  if (shape.length > 0) throw validation(shape);
  return body as CertificateUpload;
}

/** The certificate to store under `id`, once the rules for an account of `type` accept it. */
export async function checkedCertificate(id: string, upload: CertificateUpload, type: ChannelType, field: string, policy: RulePolicy): Promise<StoredCertificate> {
  const bytes = new Uint8Array(Buffer.from(upload.content, 'base64'));
  const at = field === '' ? 'content' : `${field}.content`;
  const checked = await domain.checkCertificate(bytes, type, at, policy);
  const findings = dedupe([...errorsOnly(checked.findings), ...privateKeyErrors(upload, at)]);
  if (findings.length > 0) throw validation(findings);
  return storedCertificate(id, upload, checked.certificate);
}

/** What is stored of an upload the rules accepted; `inspected` is their reading of it, when at hand. */
export async function storedCertificate(id: string, upload: CertificateUpload, inspected?: domain.InspectedCertificate): Promise<StoredCertificate> {
  inspected ??= await domain.inspectCertificate(new Uint8Array(Buffer.from(upload.content, 'base64')));
  const details = domain.certificateDetails(inspected, upload.name, upload.fileName);
  return { ...details, id, content: Buffer.from(inspected.der).toString('base64') };
}

/** An SSH public key in the form Chaman shows, or the problem with it. */
export function rfc4716(text: string, field: string): string {
  const checked = domain.checkSshPublicKey(text, field);
  if (!checked.key) throw validation(errorsOnly(checked.findings));
  return checked.key.rfc4716;
}
