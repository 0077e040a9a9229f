export { runConsole, type ConsoleOptions } from './console.ts';
export { attachConsole, attachTo, chooseMonitor, endOfAttachment, ConsoleFailure, type AttachOptions } from './attach.ts';
export { parseEscapeKey, describeEscapeKey } from './escape-key.ts';
export { EscapeMenu, MENU_ITEMS, menuChoice, menuText, type KeyStep, type MenuChoice } from './menu.ts';
