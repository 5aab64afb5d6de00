/** Replies several parts of the engine send: a menu, an answer, a fallback. */
import { renderAnswer } from './answers.js';
import type { TurnContext } from './context.js';
import { MAIN_MENU, MENUS, menuOptions } from './menu.js';
import type { Aspect, Understanding } from './nlu/understand.js';
import { texts } from './texts.js';
import type { ReplyKind } from './types.js';

export function showMenu(ctx: TurnContext, menuId = MAIN_MENU, options: { kind?: ReplyKind; intro?: string } = {}): void {
  const menu = MENUS[menuId]!;
  const heading = menuId === MAIN_MENU ? texts.mainMenu : texts.subMenu(menu.title);
  ctx.reply(options.kind ?? 'menu', options.intro ? `${options.intro}\n\n${heading}` : heading, { options: menuOptions(menu) });
  ctx.remember({ menu: menuId });
}

export function answerWithEntry(ctx: TurnContext, entryId: string, options: { aspect?: Aspect; confidence?: number } = {}): boolean {
  const entry = ctx.knowledge.entries.get(entryId);
  if (!entry) return false;
  ctx.reply('answer', renderAnswer(entry, ctx.office, { aspect: options.aspect, question: ctx.text }), { entry: entry.id, confidence: options.confidence ?? 1 });
  ctx.remember({ lastEntry: entry.id, lastDocument: entry.document, menu: undefined });
  return true;
}

/** "I don't know" that still leads somewhere: where to go instead, close matches, the menu. */
export function fallback(ctx: TurnContext, understanding: Understanding): void {
  const reason = understanding.fallbackReason ?? 'unknown';
  const suggestions = understanding.suggestions
    .map((id) => ctx.knowledge.entries.get(id))
    .filter((entry) => entry !== undefined)
    .map((entry) => ({ label: entry.title, value: entry.title }));
  const lead =
    reason === 'out-of-scope' && understanding.outOfScope
      ? texts.fallback.outOfScope(understanding.outOfScope.pointer)
      : reason === 'personal-data'
        ? texts.fallback.personalData
        : reason === 'injection'
          ? texts.fallback.injection
          : reason === 'empty'
            ? texts.fallback.empty
            : suggestions.length > 0
              ? texts.fallback.unsure
              : texts.fallback.unknown;
  if (suggestions.length > 0) {
    ctx.reply('fallback', lead, { options: suggestions, confidence: understanding.confidence });
    ctx.remember({ menu: undefined });
    return;
  }
  const main = MENUS[MAIN_MENU]!;
  ctx.reply('fallback', `${lead}\n\n${texts.fallback.footer}`, { options: menuOptions(main), confidence: understanding.confidence });
  ctx.remember({ menu: MAIN_MENU });
}
