// The test suites' certificate and key makers live with the demo's, in src/devtools (one generator).
export * from '../../src/devtools/certificates.ts';
