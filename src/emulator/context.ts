// What the emulator's handlers share with the server that runs them.
import type { EmulatorBackend } from './backend.ts';
import type { Credentials } from './credentials.ts';
import type { Faults } from './faults.ts';
import type { Logger } from './logger.ts';
import type { RequestLogBook } from './request-log.ts';

export interface EmulatorContext {
  backend: EmulatorBackend;
  credentials: Credentials;
  requestLog: RequestLogBook;
  log: Logger;
  random: () => number;
  faults(): Faults;
  setFaults(faults: Faults): void;
}
