// Types for scripts/test-packages.mjs (plain JavaScript so that it runs on the machine's Node 20).
export interface PackageLine {
  line: number;
  name: string;
  /** Programs looked up on PATH, or absolute paths of files the tests read. */
  tools: string[];
}
export const PACKAGE_LIST: string;
export function readPackageList(text?: string): PackageLine[];
export function locate(tool: string): string | undefined;
export function missingPackages(packages?: PackageLine[]): string[];
