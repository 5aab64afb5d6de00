/**
 * Prints the engine's accuracy on a labelled set and every miss:
 *   node --import tsx bench/eval-devset.ts [bench/devset2/messages.jsonl]
 * (defaults to the development set; never point it at bench/holdout while tuning).
 */
import { createEvaluationEngine, evaluate, loadDevset, summarize } from './devset.js';

const { dispatcher, store } = await createEvaluationEngine();
const results = await evaluate(loadDevset(process.argv[2]), dispatcher);
for (const miss of results.filter((r) => !r.correct)) {
  console.log(`${miss.id}\t${miss.kind}/${miss.entry ?? ''}\t→ ${miss.gotKind}/${miss.gotEntry ?? ''}\t${miss.text}`);
}
console.log(JSON.stringify(summarize(results), null, 2));
await store.close();
