import { existsSync, statSync } from 'node:fs';

export class MissingModelError extends Error {
  constructor(readonly file: string, readonly fetchCommand: string) {
    super(`model file not found: ${file} (fetch the default models with: ${fetchCommand})`);
    this.name = 'MissingModelError';
  }
}

export const fetchModelsCommand = 'bash scripts/models/fetch.sh';

/** Startup check: the model file exists and is not empty, or an error names it and the fetch command. */
export function requireModelFile(file: string): string {
  if (!existsSync(file) || statSync(file).size === 0) throw new MissingModelError(file, fetchModelsCommand);
  return file;
}
