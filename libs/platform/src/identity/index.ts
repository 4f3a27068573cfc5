export * from './identity';
export * from './identity-context';
export * from './internal-token';
export * from './internal-auth';
export * from './cli-credentials';
