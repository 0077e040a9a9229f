export * from './endpoint.ts';
export * from './client.ts';
export * from './start-manager.ts';
export * from './transport/index.ts';
export * from './service-paths.ts';
