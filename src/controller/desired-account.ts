// Moved to src/domain/desired-account.ts; this re-export goes once every importer names the new place.
export * from '../domain/desired-account.ts';
