/**
 * How the engine decides a reply. Each turn runs this middleware in order;
 * the first one that replies usually stops the chain:
 *
 *   1. stayQuietWhileHumansHelp  a human owns the conversation: no bot reply
 *      lateOrUnreadable          hours late → to a human; a voice note → "please type it"
 *   2. commands                  "batal", "menu", "0"
 *   3. optionChoice              "2", or a button's label, picks that option of the last reply
 *   4. continueFlow              the next step of a complaint or status check
 *   5. menuChoice                "2", "dua" or a menu label
 *   6. attachmentsOnly           a photo without text
 *   7. understandMessage         the NLU decides: answer, complaint, status, handoff...
 *   wrapped by rememberChoices   (what a number means next turn) and privacyNotice
 *
 * The engine knows no channel and no storage engine: it reads and writes a
 * TurnContext, and the dispatcher commits the result.
 */
import { compose, type Middleware, type TurnContext } from './context.js';
import { COMPLAINT_FLOW, continueComplaint, startComplaint } from './flows/complaint.js';
import { requestHandoff } from './flows/handoff.js';
import { RATING_FLOW, continueRating } from './flows/rating.js';
import { STATUS_FLOW, continueStatus, startStatus } from './flows/status.js';
import { MAIN_MENU, MENUS, menuOptions, readChoice, type MenuAction } from './menu.js';
import { isOfficeOpen, nextOpeningText } from './office.js';
import { answerWithEntry, fallback, showMenu } from './replies.js';
import { NUMBER_WORDS, texts } from './texts.js';

const MENU_WORDS = new Set(['menu', 'menu utama', '0', 'nol', 'kembali', 'main menu', '/menu']);
/** Telegram's START button and friends: a fresh start with the greeting and the menu. */
const START_WORDS = new Set(['/start', 'start', 'mulai']);

const stayQuietWhileHumansHelp: Middleware = async (ctx, next) => {
  const { state } = ctx.conversation;
  if (state === 'bot') return next();
  // While still waiting, the citizen may change their mind; once an agent owns the chat, only the agent answers.
  if (state === 'waiting' && ctx.understand().intent === 'cancel') {
    ctx.change({ state: 'bot', handoffRequestedAt: null });
    showMenu(ctx, MAIN_MENU, { intro: texts.handoff.cancelled });
  }
};

/**
 * A message that came hours late (the channel was disconnected) is not
 * answered blindly: a human reads it, and the citizen is told. Content the
 * engine cannot read (a voice note, a location) gets a polite "please type
 * it". Flows are left as they are.
 */
const lateOrUnreadable: Middleware = async (ctx, next) => {
  const { late, unreadable } = ctx.message;
  if (late) {
    ctx.change({ state: 'waiting', handoffRequestedAt: ctx.now, flow: null });
    const sentAt = new Intl.DateTimeFormat('id-ID', {
      timeZone: ctx.office.timeZone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(ctx.message.createdAt);
    const whenAgents = isOfficeOpen(ctx.office, ctx.now) ? 'secepatnya' : nextOpeningText(ctx.office, ctx.now);
    ctx.reply('handoff', texts.late(ctx.office, sentAt, whenAgents));
    return;
  }
  if (unreadable) {
    ctx.reply('fallback', texts.unreadable[unreadable]);
    return;
  }
  return next();
};

const commands: Middleware = async (ctx, next) => {
  const text = ctx.text.trim().toLowerCase();
  if (START_WORDS.has(text)) {
    ctx.setFlow(null);
    showMenu(ctx, MAIN_MENU, { kind: 'greeting', intro: texts.greeting(ctx.office) });
    return;
  }
  if (MENU_WORDS.has(text) && !(text === '0' && ctx.flow?.name === COMPLAINT_FLOW && ctx.flow.step === 'phone')) {
    ctx.setFlow(null);
    showMenu(ctx);
    return;
  }
  if (ctx.understand().intent === 'cancel') {
    const hadFlow = ctx.flow !== null;
    ctx.setFlow(null);
    showMenu(ctx, MAIN_MENU, { intro: hadFlow ? texts.cancelled : texts.nothingToCancel });
    return;
  }
  return next();
};

/**
 * Options reach citizens as buttons (which send their label) or as a
 * numbered list (people type "2" or "dua"). Either way the engine reads the
 * option's value, whatever the option was: a menu item, a kecamatan, "Ya, kirim".
 */
const optionChoice: Middleware = async (ctx, next) => {
  const choices = ctx.memory.choices ?? [];
  const typed = ctx.text.trim().toLowerCase();
  const bare = typed.replace(/[.)!]+$/u, '');
  const number = /^\d{1,2}$/u.test(bare) ? Number(bare) : NUMBER_WORDS[bare];
  const byNumber = number !== undefined && number >= 1 ? choices[number - 1] : undefined;
  const byLabel = choices.find((choice) => choice.label.trim().toLowerCase() === typed);
  const choice = byNumber ?? byLabel;
  if (choice) ctx.choose(choice.value);
  return next();
};

/** After the turn: the options of the last reply are what a number means next time. */
const rememberChoices: Middleware = async (ctx, next) => {
  await next();
  if (ctx.replies.length === 0) return;
  const options = ctx.replies.at(-1)!.options;
  ctx.remember({ choices: options?.length ? options : undefined });
};

const continueFlow: Middleware = async (ctx, next) => {
  const flow = ctx.flow;
  if (flow?.name === COMPLAINT_FLOW) return continueComplaint(ctx);
  if (flow?.name === STATUS_FLOW) return continueStatus(ctx, next);
  if (flow?.name === RATING_FLOW) return continueRating(ctx, next);
  return next();
};

async function act(ctx: TurnContext, action: MenuAction): Promise<void> {
  switch (action.type) {
    case 'entry':
      answerWithEntry(ctx, action.entry);
      return;
    case 'submenu':
      showMenu(ctx, action.menu);
      return;
    case 'complaint':
      startComplaint(ctx, {});
      return;
    case 'status':
      return startStatus(ctx);
    case 'handoff':
      return requestHandoff(ctx);
  }
}

const menuChoice: Middleware = async (ctx, next) => {
  const menu = MENUS[ctx.memory.menu ?? MAIN_MENU] ?? MENUS[MAIN_MENU]!;
  const choice = readChoice(menu, ctx.text);
  if (choice === undefined) return next();
  if (choice === 'back') return showMenu(ctx);
  const item = menu.items[choice - 1];
  if (!item) {
    ctx.reply('menu', texts.unknownChoice(menu.items.length), { options: menuOptions(menu) });
    ctx.remember({ menu: menu.id });
    return;
  }
  return act(ctx, item.action);
};

const attachmentsOnly: Middleware = async (ctx, next) => {
  const attachments = ctx.message.attachments ?? [];
  if (attachments.length === 0 || ctx.text.trim()) return next();
  const ticketId = ctx.memory.lastTicketId;
  const ticket = ticketId ? await ctx.store.tickets.addAttachments(ticketId, attachments, 'citizen') : null;
  ctx.reply('complaint', ticket ? `Lampiran sudah ditambahkan ke pengaduan *${ticket.number}*.` : texts.attachmentOutsideFlow);
};

const understandMessage: Middleware = async (ctx) => {
  const understanding = ctx.understand();
  switch (understanding.intent) {
    case 'answer':
      for (const entry of understanding.entries) answerWithEntry(ctx, entry, { aspect: understanding.aspect, confidence: understanding.confidence });
      return;
    case 'complaint': {
      const informative = understanding.complaintCategory !== undefined && ctx.text.trim().split(/\s+/u).length >= 4;
      startComplaint(ctx, { category: understanding.complaintCategory, story: informative ? ctx.text.trim() : undefined });
      return;
    }
    case 'status':
      return startStatus(ctx, understanding.ticketNumber);
    case 'handoff':
      return requestHandoff(ctx);
    case 'greeting':
      showMenu(ctx, MAIN_MENU, { kind: 'greeting', intro: texts.greeting(ctx.office) });
      return;
    case 'thanks':
      ctx.reply('thanks', texts.thanks);
      return;
    case 'menu':
    case 'cancel':
      showMenu(ctx);
      return;
    case 'fallback':
      ctx.noteFallback(understanding);
      fallback(ctx, understanding);
      return;
  }
};

const privacyNotice: Middleware = async (ctx, next) => {
  await next();
  const last = ctx.replies.at(-1);
  if (!ctx.memory.noticeShown && last) {
    last.text = `${last.text}\n\n${texts.privacyNotice(ctx.office)}`;
    ctx.remember({ noticeShown: true });
  }
};

/** The whole decision for one turn. */
export const engine: Middleware = compose([
  privacyNotice,
  rememberChoices,
  stayQuietWhileHumansHelp,
  lateOrUnreadable,
  commands,
  optionChoice,
  continueFlow,
  menuChoice,
  attachmentsOnly,
  understandMessage,
]);
