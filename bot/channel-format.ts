/**
 * Adapting the engine's replies to what a channel can show. The engine
 * writes WhatsApp-style markup (*bold*, _italic_) and attaches options; a
 * channel without buttons gets them as a numbered list, a channel with a
 * length limit gets the text in parts split at paragraph breaks.
 *
 * Pure functions, kept in bot/ so the channel adapters and the admin
 * area's answer preview (which shows exactly what a citizen would get)
 * share one implementation; channels/encode.ts re-exports them.
 */
import type { ChannelCapabilities, OutboundPart } from './delivery.js';
import type { Message } from './store/types.js';

/** What a WhatsApp linked device can send: no buttons, WhatsApp's own markup, long texts split. */
export const WHATSAPP_CAPABILITIES: ChannelCapabilities = { buttons: false, maxTextLength: 4000, markup: 'whatsapp' };

const escapeHtml = (text: string) => text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');

/** *bold* / _italic_ in the engine's text → the platform's markup. */
export function convertMarkup(text: string, markup: ChannelCapabilities['markup']): string {
  if (markup === 'whatsapp') return text;
  if (markup === 'plain') return text.replace(/\*([^*\n]+)\*/gu, '$1').replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,!?]|$)/gmu, '$1$2');
  return escapeHtml(text)
    .replace(/\*([^*\n]+)\*/gu, '<b>$1</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,!?]|$)/gmu, '$1<i>$2</i>');
}

/** Splits text into pieces of at most `max` characters, preferring paragraph, then line, then word breaks. */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const cut = [window.lastIndexOf('\n\n'), window.lastIndexOf('\n'), window.lastIndexOf(' ')].find((index) => index > max * 0.5) ?? max;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

/** The parts a stored outbound message becomes on a channel: its files first, then its text in pieces. */
export function encodeForChannel(message: Pick<Message, 'text' | 'options' | 'attachments'>, capabilities: ChannelCapabilities): OutboundPart[] {
  const files: OutboundPart[] = (message.attachments ?? []).map((attachment) => ({ text: '', attachment }));
  return [...files, ...encodeText(message, capabilities)];
}

function encodeText(message: Pick<Message, 'text' | 'options'>, capabilities: ChannelCapabilities): OutboundPart[] {
  const options = message.options ?? [];
  let text = message.text;
  if (options.length > 0 && !capabilities.buttons) {
    // Labels already carry their number ("1. KTP-el") when they are menu items.
    const lines = options.map((option, index) => (/^\d+\.\s/u.test(option.label) ? option.label : `${index + 1}. ${option.label}`));
    text = `${text}\n\n${lines.join('\n')}\n\n_Balas dengan angkanya._`;
  }
  const pieces = splitText(convertMarkup(text, capabilities.markup), capabilities.maxTextLength);
  return pieces.map((piece, index) => (index === pieces.length - 1 && capabilities.buttons && options.length > 0 ? { text: piece, options } : { text: piece }));
}
