// node-llama-cpp is an ES module with top-level await: CommonJS can load it only with a real
// import(), which TypeScript (module: commonjs) would rewrite into require(). The Function
// constructor keeps the import() as written.
import type * as NodeLlamaCpp from 'node-llama-cpp';

export type NodeLlamaCppModule = typeof NodeLlamaCpp;
export type LoadNodeLlamaCpp = () => Promise<NodeLlamaCppModule>;

const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export const importNodeLlamaCpp: LoadNodeLlamaCpp = () => importModule('node-llama-cpp') as Promise<NodeLlamaCppModule>;
