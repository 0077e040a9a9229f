// Types of program.js (plain JavaScript: it runs before any TypeScript is loaded).
export function privateCompileCache(): string | undefined;
export function startProgram(name: string, binUrl: string, main: string): Promise<void>;
