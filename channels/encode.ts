/**
 * Adapting the engine's replies to what a channel can show (*bold* markup,
 * options as a numbered list where there are no buttons, long texts split).
 * The functions live in bot/channel-format.ts, where the admin area's answer
 * preview uses the same code; the channel adapters import them from here.
 */
export { convertMarkup, encodeForChannel, splitText, WHATSAPP_CAPABILITIES } from '../bot/channel-format.js';
