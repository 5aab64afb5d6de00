/** Shows how the NLU reads messages: `node --import tsx bench/explain.ts "ktp sy ilang"`. */
import { Understander } from '../bot/nlu/understand.js';
import { loadEntries, loadLanguage, loadOffice } from '../knowledge/load.js';

const understander = new Understander({ language: loadLanguage(), entries: loadEntries(), office: loadOffice('palu') });
for (const text of process.argv.slice(2)) {
  const normalized = understander.normalize(text);
  console.log(`\n${text}\n  words: ${normalized.words.join(' ')}\n  stems: ${normalized.stems.join(' ')}`);
  console.log(' ', JSON.stringify(understander.understand(text)));
}
