// The shipped sample package, read from the repository for tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppPackage } from '../model/package';

export function samplePackage(): AppPackage {
  const file = path.resolve(import.meta.dirname, '../../../apps/project-registration.json');
  return JSON.parse(readFileSync(file, 'utf8')) as AppPackage;
}
