/**
 * Memory of another process (a service under test or benchmark), from Linux's
 * /proc/<pid>/status: the resident set now (VmRSS) and its high-water mark (VmHWM), which
 * resetPeakRss() sets back to the current RSS so that one phase's peak can be read alone.
 */
import { readFile, writeFile } from 'node:fs/promises';

export interface ProcessMemory {
  rssMiB: number;
  peakRssMiB: number;
}

/** Undefined where /proc is missing (not Linux). */
export async function processMemory(pid: number): Promise<ProcessMemory | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  if (status === undefined) return undefined;
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

/** Sets VmHWM back to VmRSS (Linux ≥ 4.0, own processes); false where that is not possible. */
export async function resetPeakRss(pid: number): Promise<boolean> {
  return writeFile(`/proc/${pid}/clear_refs`, '5').then(
    () => true,
    () => false,
  );
}
