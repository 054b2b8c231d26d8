// How the driver's events and conditions speak of an object in Chaman, for a kind that calls it
// `noun`. A kind overrides what its own rules add (the account's R12 and R13).
import type { ExternalWording } from './driver/managed.ts';

export function chamanWording(noun: string, unidentifiedReason: string): ExternalWording {
  return {
    unidentifiedReason,
    creating: 'Creating it in Chaman.',
    created: (name) => `Created the ${noun} ${name} in Chaman.`,
    createRecovered: (name) => `Found the ${noun} ${name} that an interrupted create had made in Chaman; no second ${noun} was created.`,
    vanished: `The ${noun} was deleted in Chaman by hand; creating it again.`,
    updating: (what) => `Updating in Chaman: ${what}.`,
    updated: (what) => `Updated in Chaman: ${what}.`,
    driftCorrected: (what) => `Chaman differed from the spec (changed outside the operator) and was corrected: ${what}.`,
    recreating: (what) => `Chaman does not allow editing ${what}: deleting and creating the ${noun} again (replacementPolicy Recreate).`,
    deleted: (name) => `Deleted the ${noun} ${name} in Chaman (deletionPolicy Delete).`,
    orphaned: (name) => `Left the ${noun} ${name} in Chaman (deletionPolicy Orphan or managementPolicy Observe).`,
    converged: { ready: 'Chaman matches the spec.', synced: 'Chaman was read and matches the spec.' },
    observed: {
      notFound: `No matching ${noun} found in Chaman to observe; create it there, or set the annotation chaman.io/external-name to its id.`,
      matches: 'Observed: Chaman matches the spec (managementPolicy Observe).',
      driftSynced: 'Chaman was read.',
    },
  };
}
