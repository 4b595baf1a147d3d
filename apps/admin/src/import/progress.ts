import { Presets, SingleBar } from 'cli-progress';

/**
 * A progress bar on stderr (cli-progress). Without a terminal (CI, a log file) it prints a
 * plain line every `plainIntervalMs` instead of redrawing, plus the final state.
 */
export class Progress {
  private readonly bar: SingleBar;
  private startedAt = 0;
  private startValue = 0;

  constructor(
    label: string,
    unit: string,
    detail: string,
    plainIntervalMs: number,
    stream: NodeJS.WritableStream = process.stderr,
  ) {
    this.bar = new SingleBar(
      {
        format: `${label.padEnd(8)} [{bar}] {value}/{total} ${unit} | ${detail} | {rate} ${unit}/s | ETA {eta_formatted}`,
        stream: stream as NodeJS.WritableStream & { isTTY?: boolean },
        noTTYOutput: true,
        notTTYSchedule: plainIntervalMs,
        barsize: 24,
        etaBuffer: 50,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
  }

  start(total: number, value: number, payload: Record<string, unknown>): void {
    this.startedAt = performance.now();
    this.startValue = value;
    this.bar.start(total, value, { ...payload, rate: '0.0' });
  }

  update(value: number, payload: Record<string, unknown>): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? ((value - this.startValue) / seconds).toFixed(1) : '0.0';
    this.bar.update(value, { ...payload, rate });
  }

  stop(): void {
    this.bar.stop();
  }
}
