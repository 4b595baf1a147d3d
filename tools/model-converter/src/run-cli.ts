/** Runs a command's `main` with the process arguments: its result is the exit code; an error prints its message and the usage. */
export function runCli(main: (args: string[]) => Promise<number>, usage: string): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      console.error(usage);
      process.exitCode = 1;
    },
  );
}
