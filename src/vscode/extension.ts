// VS Code entry point. The sidebar, commands and settings arrive with the extension issue; the engine
// (src/core, src/host) they will drive is complete and usable today through the CLI (src/cli.ts).
export function activate(): void {}
export function deactivate(): void {}
