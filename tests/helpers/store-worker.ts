/**
 * Child process for the multi-process SQLite test:
 *   node --import tsx tests/helpers/store-worker.ts <dbfile> <worker> <tickets>
 * Opens the shared file, prints "ready", waits for a line on stdin (so all
 * workers start together), then files <tickets> tickets for one shared
 * contact, calling conversations.open() between them. Prints one JSON line
 * with what it saw.
 */
import { createInterface } from 'node:readline';
import { openSqliteStore } from '../../bot/store/sqlite.js';

const [file, worker, count] = process.argv.slice(2);
const store = openSqliteStore({ file });
const contact = await store.contacts.upsert('whatsapp', '6281234567890@s.whatsapp.net');
console.log('ready');
const input = createInterface({ input: process.stdin });
await new Promise((resolve) => input.once('line', resolve));
input.close(); // let the process end on its own once done

const conversations = new Set<string>();
let conversation = await store.conversations.open(contact);
conversations.add(conversation.id);
const numbers: string[] = [];
for (let i = 0; i < Number(count); i++) {
  const ticket = await store.tickets.create({
    contactId: contact.id,
    conversationId: conversation.id,
    channel: 'whatsapp',
    category: 'pelayanan',
    description: `worker ${worker}, pengaduan ${i}`,
    createdAt: new Date(Date.UTC(2026, 5, 1)),
  });
  numbers.push(ticket.number);
  conversation = await store.conversations.open(contact);
  conversations.add(conversation.id);
  await new Promise((resolve) => setTimeout(resolve, 1)); // spread the work so the workers interleave
}
await store.close();
console.log(JSON.stringify({ contactId: contact.id, conversations: [...conversations], numbers }));
