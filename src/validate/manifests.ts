// What loading manifest files gives: the documents, the problems, and the documents too large to parse. Types only.

export interface SourceDocument {
  file: string;
  /** 1-based position of the document in its file */
  document: number;
  /** 1-based line where the document starts */
  line: number;
  object: unknown;
  /** Read from `sops --decrypt` output: holds plaintext; never print its values. */
  decrypted?: boolean;
}

export interface LoadProblem {
  file: string;
  document?: number;
  line?: number;
  message: string;
  /** Set when the file could not be decrypted (its YAML itself was fine). */
  decryption?: true;
}

/** A document too large to send to the API server: measured while streaming, never parsed. */
export interface OversizeDocument {
  file: string;
  document: number;
  line: number;
  bytes: number;
  /** kind, namespace and name as far as the document's first lines tell. */
  kind?: string;
  namespace?: string;
  name?: string;
}

export interface LoadedManifests {
  documents: SourceDocument[];
  problems: LoadProblem[];
  oversize: OversizeDocument[];
}
