// ChamanSender (SPEC section 3): a sender (expéditeur) and its contact data (R1).
import { EMAIL_PATTERN, PHONE_COUNTRY_CODE_PATTERN, PHONE_NUMBER_PATTERN, SENDER_NUMBER_PATTERN } from '../domain/contact.ts';
import { CHANNEL_TYPES, LANGUAGES, accountCountKey } from '../domain/types.ts';
import { conditions, localRef, observedGeneration } from './common.ts';
import { immutable, int, obj, oneOf, str, type Schema } from './openapi.ts';
import { AGE_COLUMN, READY_COLUMNS, type CrdSource } from './crd.ts';

const contact = obj(
  'Contact data of the person who manages the sender\'s channels (R1). Chaman needs it before any channel can be created.',
  {
    name: str('Contact person ("Nom").', { minLength: 1, maxLength: 100 }),
    role: str('Role of the contact person, e.g. Technical lead (optional).', { maxLength: 100 }),
    phone: obj(
      'Phone number.',
      {
        countryCode: str('Country code ("Indicatif"), e.g. +32.', { pattern: PHONE_COUNTRY_CODE_PATTERN, maxLength: 5 }),
        number: str('Phone number without the country code, e.g. 0486531619.', {
          pattern: PHONE_NUMBER_PATTERN,
          maxLength: 20,
        }),
      },
      ['countryCode', 'number'],
    ),
    email: str('E-mail address (one only).', { pattern: EMAIL_PATTERN, maxLength: 254 }),
    language: oneOf(LANGUAGES, 'Language of the contact: fr, nl, de or en.'),
  },
  ['name', 'phone', 'email', 'language'],
);

const spec: Schema = obj(
  'Desired state of the sender in Chaman.',
  {
    senderNumber: immutable(
      str('Sender number (numéro d\'expéditeur / afzendernummer), digits only. Immutable.', {
        pattern: SENDER_NUMBER_PATTERN,
        maxLength: 10,
      }),
      'spec.senderNumber',
      'create a new ChamanSender for another sender number',
    ),
    organization: obj(
      'The organization behind the sender.',
      {
        kind: oneOf(['Enterprise', 'Professional'], 'Enterprise (ONSS/RSZ) or Professional (BCSS/KSZ).'),
        name: str('Name of the organization, as shown in Chaman.', { maxLength: 200 }),
      },
      ['kind'],
    ),
    contact,
    credentialsSecretRef: localRef(
      'A Secret with the Chaman credentials for this sender (`token`, or `tls.crt` + `tls.key` [+ `ca.crt`]). Optional: the operator-wide credentials are used otherwise.',
    ),
  },
  ['senderNumber', 'contact'],
);

const status: Schema = obj('Observed state, written by the operator.', {
  observedGeneration,
  conditions,
  accounts: obj(
    'Number of ChannelAccounts per channel type that reference this sender.',
    Object.fromEntries(CHANNEL_TYPES.map((type) => [accountCountKey(type), int(`${type} accounts.`, { minimum: 0 })])),
  ),
  lastSyncTime: str('When Chaman was last read successfully.', { format: 'date-time' }),
  lastHandledReconcileAt: str('The value of the annotation chaman.io/reconcile-requested-at that the last reconcile handled (wait for it after setting the annotation).'),
});

export const chamanSenderCrd: CrdSource = {
  kind: 'ChamanSender',
  plural: 'chamansenders',
  singular: 'chamansender',
  // `cs` as the spec asks; kubectl resolves a bare `cs` to the built-in componentstatuses first, so `chs` too.
  shortNames: ['cs', 'chs'],
  description:
    `A sender (expéditeur) in Chaman, the social-security application that manages technical channels (${CHANNEL_TYPES.join(', ')}), and its contact data.`,
  spec,
  status,
  printerColumns: [
    { name: 'Sender', type: 'string', jsonPath: '.spec.senderNumber' },
    ...READY_COLUMNS,
    AGE_COLUMN,
  ],
};
