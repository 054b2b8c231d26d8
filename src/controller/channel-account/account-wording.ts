// How events and conditions speak of a ChannelAccount's account in Chaman, with the rules that shape
// a replacement (R12: some fields cannot be edited) and a deletion (R13: definitive).
import { chamanWording } from '../chaman-wording.ts';
import type { ExternalWording } from '../driver/managed.ts';

export const ACCOUNT_WORDING: ExternalWording = {
  ...chamanWording('account', 'CannotIdentifyAccount'),
  recreating: (what) => `Chaman does not allow editing ${what} (R12): deleting and creating the account again (replacementPolicy Recreate).`,
  deleted: (name) => `Deleted the account ${name} in Chaman (deletionPolicy Delete; definitive, R13).`,
};
