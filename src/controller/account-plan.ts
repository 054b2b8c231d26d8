// Moved to src/domain/account-plan.ts; this re-export goes once every importer names the new place.
export * from '../domain/account-plan.ts';
