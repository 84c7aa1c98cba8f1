// A small test runner for the extension host (no mocha needed): tests run in order, each with a timeout;
// the summary line is the plain "N passed, N failed" that CI reads.
export interface Case {
  name: string;
  fn: () => Promise<void> | void;
  timeoutMs: number;
}

const cases: Case[] = [];

export function test(name: string, fn: Case['fn'], timeoutMs = 60_000): void {
  cases.push({ name, fn, timeoutMs });
}

export async function runAll(log: (line: string) => void = console.log): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    const t0 = Date.now();
    try {
      await Promise.race([
        Promise.resolve().then(c.fn),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs)),
      ]);
      passed++;
      log(`  ok   ${c.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      log(`  FAIL ${c.name} (${Date.now() - t0} ms)\n       ${String((e instanceof Error ? e.stack : undefined) ?? e).replace(/\n/g, '\n       ')}`);
    }
  }
  log(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}
