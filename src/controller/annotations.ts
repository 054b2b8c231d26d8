// Moved to src/domain/annotations.ts; this re-export goes once every importer names the new place.
export * from '../domain/annotations.ts';
