// extensionTestsPath entry: VS Code's extension host calls run().
import './extension.suite';
import { runAll } from './runner';

export async function run(): Promise<void> {
  const { failed, passed } = await runAll();
  if (failed > 0 || passed === 0) throw new Error(`${failed} extension-host test(s) failed`);
}
