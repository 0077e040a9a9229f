export { runConsole, chooseMonitor, ConsoleFailure, type ConsoleOptions } from './console.ts';
export { parseEscapeKey, describeEscapeKey } from './escape-key.ts';
export { menuChoice, menuText, type MenuChoice } from './menu.ts';
