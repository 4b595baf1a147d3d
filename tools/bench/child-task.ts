/**
 * The child side of a forked bench process: the parent sends `{ type: 'task', task }`, then
 * `{ type: 'go' }` when every child is ready (so set-up is not timed); the child answers with
 * `{ type: 'report', report }` or `{ type: 'error', error }` and exits.
 */
export function serveBenchTask<Task, Report>(main: (task: Task, go: Promise<void>) => Promise<Report>): void {
  let release: () => void = () => undefined;
  const go = new Promise<void>((resolveGo) => (release = resolveGo));
  process.on('message', (message: { type: 'task'; task: Task } | { type: 'go' }) => {
    if (message.type === 'go') release();
    if (message.type !== 'task') return;
    main(message.task, go).then(
      (report) => process.send?.({ type: 'report', report }, () => process.exit(0)),
      (error: unknown) => {
        process.send?.({ type: 'error', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.exit(1));
      },
    );
  });
}
