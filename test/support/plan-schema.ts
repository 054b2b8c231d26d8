// docs/plan.schema.json compiled with ajv, for the tests that check plan's JSON output against it.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/plan.schema.json', import.meta.url), 'utf8'));

/** RFC 3339 in UTC, as Date.toISOString and Chaman write it. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export const validatePlanJson = new Ajv2020({ strict: true, allErrors: true, formats: { 'date-time': DATE_TIME } }).compile(schema);
