import { readFileSync } from 'node:fs';

export interface TimingSummary {
  samples: number;
  medianMs: number;
  p90Ms: number;
  totalMs: number;
}

/** Nearest-rank percentile of unsorted values; `fraction` in [0, 1]. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * fraction) - 1))];
}

export function summarize(milliseconds: readonly number[]): TimingSummary {
  return {
    samples: milliseconds.length,
    medianMs: percentile(milliseconds, 0.5),
    p90Ms: percentile(milliseconds, 0.9),
    totalMs: milliseconds.reduce((sum, value) => sum + value, 0),
  };
}

/** Rows of cells as a fixed-width text table: first column left-aligned, the others right-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '))
    .join('\n');
}

/**
 * This process's peak resident memory in MiB. On Linux from VmHWM, the high-water mark of the
 * process's own address space: getrusage's maxRSS carries over from the parent across fork
 * and exec, so a small child of a big benchmark process would report the parent's peak.
 */
export function peakRssMiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}
