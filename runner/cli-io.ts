/** Where a CLI verb writes: stdout lines and stderr lines (tests pass their own). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}
