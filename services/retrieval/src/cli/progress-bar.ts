// A progress bar on stderr: redrawn in place on a terminal, a line every 10 % otherwise (logs, CI).
export class ProgressBar {
  private readonly started = Date.now();
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, extra = ''): void {
    const fraction = this.total ? Math.min(1, done / this.total) : 1;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 && done < this.total ? ` eta ${formatSeconds((this.total - done) / rate)}` : '';
    const text = `${this.label} ${done}/${this.total} (${(fraction * 100).toFixed(0)}%, ${rate.toFixed(1)}/s${eta})${extra ? ` ${extra}` : ''}`;
    if (this.out.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`);
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile > this.lastDecile) {
        this.lastDecile = decile;
        this.out.write(`${text}\n`);
      }
    }
  }

  finish(done: number, extra = ''): void {
    this.update(done, extra);
    if (this.out.isTTY) this.out.write('\n');
  }
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
