/** Prints the engine's accuracy on the development set and every miss: `node --import tsx bench/eval-devset.ts`. */
import { createEvaluationEngine, evaluate, loadDevset, summarize } from './devset.js';

const { dispatcher, store } = await createEvaluationEngine();
const results = await evaluate(loadDevset(), dispatcher);
for (const miss of results.filter((r) => !r.correct)) {
  console.log(`${miss.id}\t${miss.kind}/${miss.entry ?? ''}\t→ ${miss.gotKind}/${miss.gotEntry ?? ''}\t${miss.text}`);
}
console.log(JSON.stringify(summarize(results), null, 2));
await store.close();
