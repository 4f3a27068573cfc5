export default async function globalTeardown(): Promise<void> {
  await globalThis.__llmopsPlatform?.stop();
  await globalThis.__llmopsCollector?.stop();
}
