export * from './infra';
export * from './stack/programs';
export * from './stack/start-stack';
export * from './stack/stack-auth';
export * from './graphql-client';
export * from './stack/local-platform';
export * from './otlp-collector';
export * from './stack/control-server';
