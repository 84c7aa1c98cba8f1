// Transport on this machine: the same launcher and stdin protocol as over SSH, run with `sh -c`, optionally
// behind a prefix command (e.g. ['nsenter', '--net=/run/netns/lab1']) so tests can run scripts inside a namespace.
import { ChildProcess, spawn } from 'node:child_process';
import { l10n } from '../core/l10n';
import { LAUNCHER, OutputBuffer, RunOptions, RunResult, Transport, TransportError, checkLauncher, tooMuchOutput } from './transport';

const DEFAULT_RUN_TIMEOUT_MS = 120_000;

export function localTransport(opts: { prefix?: string[] } = {}): Transport {
  const prefix = opts.prefix ?? [];
  const description = prefix.length > 0 ? `local (${prefix.join(' ')})` : 'local';
  const who = prefix.length > 0 ? l10n.t('this machine ({0})', prefix.join(' ')) : l10n.t('this machine');
  const running = new Set<ChildProcess>();
  let roundTrips = 0;
  let closed = false;

  const run = (script: string, options: RunOptions = {}): Promise<RunResult> => {
    if (closed) return Promise.reject(new Error(`${description}: run() after close()`));
    roundTrips++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const started = performance.now();
    const [command, ...args] = [...prefix, 'sh', '-c', LAUNCHER];
    return new Promise<RunResult>((resolve, reject) => {
      // its own process group, so a timeout can kill the script together with what it started
      const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      running.add(child);
      const stdout = new OutputBuffer();
      const stderr = new OutputBuffer();
      let finished = false;
      const finish = (outcome: Error | RunResult) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        running.delete(child);
        if (outcome instanceof Error) {
          reject(outcome);
          return;
        }
        try {
          resolve(checkLauncher(outcome, who));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      const timer = setTimeout(() => {
        killGroup(child);
        finish(new TransportError('timeout', l10n.t('the script did not finish within {0} s on {1}; it was killed', timeoutMs / 1000, who)));
      }, timeoutMs);
      child.on('error', (e) => finish(new TransportError('connect', l10n.t('cannot start {0} on {1}: {2}', command, who, e.message))));
      const overflowed = (stream: 'stdout' | 'stderr') => {
        killGroup(child);
        child.stdout.destroy();
        child.stderr.destroy();
        finish(tooMuchOutput(stream, l10n.t('the script on {0}', who), l10n.t('it was killed')));
      };
      child.stdout.on('data', (chunk: Buffer) => stdout.add(chunk) || overflowed('stdout'));
      child.stderr.on('data', (chunk: Buffer) => stderr.add(chunk) || overflowed('stderr'));
      // a script that exits before reading all of stdin closes the pipe: not a transport error
      child.stdin.on('error', () => undefined);
      child.on('close', (code) => {
        finish({
          stdout: stdout.text(),
          stderr: stderr.text(),
          code: typeof code === 'number' ? code : null,
          ms: Math.round(performance.now() - started),
        });
      });
      child.stdin.end(script);
    });
  };

  return {
    description,
    get roundTrips() {
      return roundTrips;
    },
    run,
    close() {
      closed = true;
      for (const child of running) killGroup(child);
      running.clear();
      return Promise.resolve();
    },
  };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
