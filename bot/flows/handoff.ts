/**
 * Handing a conversation to a human. The conversation becomes `waiting`;
 * from then on the engine stays silent (see `stayQuietWhileHumansHelp`)
 * until an agent hands it back or the citizen cancels while still waiting.
 */
import type { TurnContext } from '../context.js';
import { isOfficeOpen, nextOpeningText } from '../office.js';
import { texts } from '../texts.js';

export function requestHandoff(ctx: TurnContext): void {
  ctx.change({ state: 'waiting', handoffRequestedAt: ctx.now, flow: null });
  const open = isOfficeOpen(ctx.office, ctx.now);
  ctx.reply('handoff', open ? texts.handoff.open(ctx.office) : texts.handoff.closed(ctx.office, nextOpeningText(ctx.office, ctx.now)));
}
