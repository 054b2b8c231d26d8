// Moved to src/domain/tenancy.ts; this re-export goes once every importer names the new place.
export * from '../domain/tenancy.ts';
