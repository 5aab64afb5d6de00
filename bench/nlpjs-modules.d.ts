/**
 * Types for the parts of nlp.js (v4, CommonJS, no bundled types) the
 * benchmark baseline uses. Imported as default exports (module.exports).
 */
declare module '@nlpjs/core' {
  interface Container {
    use(plugin: unknown): unknown;
    get(name: string, settings?: unknown): unknown;
    register(name: string, instance: unknown, isSingleton?: boolean): void;
  }
  const core: { containerBootstrap(settings?: unknown): Promise<Container> };
  export default core;
}

declare module '@nlpjs/nlp' {
  const nlp: { Nlp: unknown };
  export default nlp;
}

declare module '@nlpjs/lang-id' {
  const langId: { LangId: unknown };
  export default langId;
}
