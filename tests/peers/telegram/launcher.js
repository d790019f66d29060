#!/usr/bin/env node
/*
 * Test peer for python-telegram-bot (PTB) 22.x: starts the `telegram-test-api`
 * Bot API emulator on 127.0.0.1 and patches, at start-up and without touching
 * node_modules, the places where its answers do not de-serialize in PTB.
 *
 *   node launcher.js [PORT]        (or TELEGRAM_TEST_PORT; 0 = pick a free port)
 *
 * Prints exactly one line `READY <port>` on stdout once listening; everything
 * else goes to stderr (quiet unless TELEGRAM_TEST_DEBUG=1). Exits 0 on
 * SIGTERM/SIGINT (and on stdin EOF when TELEGRAM_TEST_EXIT_ON_STDIN_EOF=1).
 * See README.md for the HTTP surface.
 */
'use strict';

const TelegramServer = require('telegram-test-api');
// The emulator registers `routes` in order inside its constructor; a registrar
// put first in this array runs before all of its own handlers.
const { routes } = require('telegram-test-api/lib/routes/index');

const HOST = '127.0.0.1';
const DEBUG = process.env.TELEGRAM_TEST_DEBUG === '1';
const STORE_TIMEOUT_S = Number(process.env.TELEGRAM_TEST_STORE_TIMEOUT || 3600);
const MAX_POLL_S = 50;
const BOT_FIRST_NAME = process.env.TELEGRAM_TEST_BOT_FIRST_NAME || 'Test First name';
const BOT_USERNAME = process.env.TELEGRAM_TEST_BOT_USERNAME || 'TestNameBot';
const DEFAULT_BOT_ID = 666; // the emulator's hard-coded getMe id

const log = (...a) => { if (DEBUG) console.error('[telegram-peer]', ...a); };
const warn = (...a) => console.error('[telegram-peer]', ...a);

// ---------------------------------------------------------------- helpers
const nowSec = () => Math.floor(Date.now() / 1000);
const preciseNow = () => (performance.timeOrigin + performance.now()) / 1000;
const toSec = (d) => { const n = Number(d); return n > 1e11 ? Math.floor(n / 1000) : Math.floor(n); };
const parseJSON = (v) => {
  if (typeof v !== 'string') return v;
  try { return JSON.parse(v); } catch (_e) { return v; }
};
const parseBool = (v) => v === true || v === 1 || /^(true|1)$/i.test(String(v ?? ''));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clean = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));

function botUser(token) {
  const m = /^(\d+):/.exec(token || '');
  return {
    id: m ? Number(m[1]) : DEFAULT_BOT_ID,
    is_bot: true,
    first_name: BOT_FIRST_NAME,
    username: BOT_USERNAME,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  };
}

function normalizeUser(u, dflt = {}) {
  const user = { id: 1, first_name: 'TestName', username: 'testUserName', ...dflt, ...(u || {}) };
  user.id = Number(user.id);
  user.is_bot = parseBool(user.is_bot);
  if (!user.first_name) user.first_name = 'TestName';
  return user;
}

// chats seen from the client side, so bot-side results carry the real type/title
const chats = new Map();
function normalizeChat(c, from) {
  const chat = { ...(c || {}) };
  chat.id = Number(chat.id ?? from.id);
  if (!chat.type) chat.type = chat.id < 0 ? 'group' : 'private';
  if (chat.type === 'private') {
    if (!chat.first_name) chat.first_name = from.first_name;
    if (!chat.username && from.username) chat.username = from.username;
  } else if (!chat.title) chat.title = 'Test Group';
  chats.set(String(chat.id), chat);
  return chat;
}
function chatFor(chatId) {
  const known = chats.get(String(chatId));
  if (known) return known;
  const id = Number(chatId);
  if (!Number.isFinite(id)) { // '@channelusername'
    return { id: -1001000000001, type: 'channel', title: String(chatId), username: String(chatId).replace(/^@/, '') };
  }
  return id < 0 ? { id, type: 'group', title: 'Test Group' } : { id, type: 'private', first_name: 'TestName' };
}

const MESSAGE_CONTENT_FIELDS = ['text', 'entities', 'caption', 'caption_entities', 'photo', 'document',
  'audio', 'video', 'voice', 'animation', 'sticker', 'location', 'contact'];

// A stored bot message (server.storage.botMessages entry) as a Bot API Message.
function messageFromEntry(entry) {
  const m = entry.message;
  const out = {
    message_id: entry.messageId,
    from: botUser(entry.botToken),
    chat: chatFor(m.chat_id),
    date: toSec(entry.time),
  };
  for (const f of MESSAGE_CONTENT_FIELDS) if (m[f] !== undefined && m[f] !== null) out[f] = parseJSON(m[f]);
  if (m.reply_markup && m.reply_markup.inline_keyboard) out.reply_markup = { inline_keyboard: m.reply_markup.inline_keyboard };
  if (entry.editDate) out.edit_date = entry.editDate;
  return out;
}

function findBotEntry(server, token, chatId, messageId) {
  return server.storage.botMessages.find((e) => e.botToken === token
    && String(e.messageId) === String(messageId)
    && (chatId === undefined || String(e.message.chat_id) === String(chatId)));
}

const ERROR_TEXT = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden: bot was blocked by the user', 404: 'Not Found',
  409: 'Conflict', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
};
function tgError(res, code, description, parameters) {
  const body = { ok: false, error_code: code, description: description || ERROR_TEXT[code] || 'Error' };
  if (parameters && Object.keys(parameters).length) body.parameters = parameters;
  res.__tgNormalized = true;
  res.status(code).json(body);
}
const ok = (res, result) => res.json({ ok: true, result });

// ---------------------------------------------------------------- multipart (PTB file uploads)
function parseMultipart(buf, boundary) {
  const delim = Buffer.from(`--${boundary}`);
  const out = {};
  let pos = buf.indexOf(delim);
  while (pos !== -1) {
    pos += delim.length;
    if (buf.subarray(pos, pos + 2).toString() === '--') break;
    const headEnd = buf.indexOf('\r\n\r\n', pos);
    if (headEnd === -1) break;
    const headers = buf.subarray(pos, headEnd).toString('utf8');
    const nextPos = buf.indexOf(delim, headEnd + 4);
    if (nextPos === -1) break;
    const content = buf.subarray(headEnd + 4, nextPos - 2);
    const name = /(?:^|;)\s*name="([^"]*)"/im.exec(headers);
    const filename = /filename="([^"]*)"/i.exec(headers);
    const ctype = /content-type:\s*([^\r\n]+)/i.exec(headers);
    if (name) {
      out[name[1]] = filename
        ? { __upload: true, filename: filename[1], size: content.length, mime_type: ctype ? ctype[1].trim() : undefined }
        : content.toString('utf8');
    }
    pos = nextPos;
  }
  return out;
}
function multipartMiddleware(req, _res, next) {
  const m = /^multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(req.headers['content-type'] || '');
  if (!m) { next(); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => { req.body = parseMultipart(Buffer.concat(chunks), m[1] || m[2]); next(); });
  req.on('error', next);
}

// ---------------------------------------------------------------- state kept by the launcher
const state = {
  calls: [], // every bot API call: {seq, t, method, token, params, faulted?}
  callSeq: 0,
  faults: [], // {id, method, token?, error_code?, description?, retry_after?, parameters?, delay_ms?, remaining}
  faultSeq: 0,
  commands: new Map(), // token|scope|lang -> [{command, description}]
  webhookStatus: new Map(), // token -> {last_error_date, last_error_message}
  callbackIds: new Set(),
  fileSeq: 0,
  waiters: new Set(), // long-polling getUpdates
};

function recordCall(token, method, params) {
  const safe = {};
  for (const [k, v] of Object.entries(params || {})) safe[k] = (v && v.__upload) ? { upload: v.filename, size: v.size } : v;
  const call = { seq: ++state.callSeq, t: preciseNow(), method, token, params: safe };
  state.calls.push(call);
  if (state.calls.length > 20000) state.calls.splice(0, state.calls.length - 20000);
  return call;
}

function takeFault(token, method) {
  const f = state.faults.find((x) => x.remaining > 0 && x.method.toLowerCase() === method
    && (!x.token || x.token === token));
  if (!f) return null;
  f.remaining -= 1;
  return f;
}

function notifyUpdate(token) {
  for (const w of [...state.waiters]) if (w.token === token) w.wake();
}
function waitForUpdate(token, ms) {
  return new Promise((resolve) => {
    const w = { token, wake: () => { clearTimeout(w.timer); state.waiters.delete(w); resolve(); } };
    w.timer = setTimeout(w.wake, ms);
    state.waiters.add(w);
  });
}

function pendingUpdates(server, token) {
  return server.storage.userMessages.filter((u) => u.botToken === token && !u.isRead);
}

// ---------------------------------------------------------------- update formatting (getUpdates + webhook)
// Replaces the emulator's static formatUpdate: strips the internal botToken from
// messages and emits callback queries with chat_instance (PTB requires it).
TelegramServer.formatUpdate = function formatUpdate(update) {
  if ('callbackQuery' in update) {
    const cq = update.callbackQuery;
    return {
      update_id: update.updateId,
      callback_query: clean({
        id: String(update.callbackId),
        from: cq.from,
        message: cq.message,
        inline_message_id: cq.inline_message_id,
        chat_instance: cq.chat_instance,
        data: cq.data,
      }),
    };
  }
  const { botToken: _t, ...message } = update.message;
  return { update_id: update.updateId, message: { ...message, message_id: update.messageId } };
};

// Webhook push with the secret-token header; never throws (the emulator's version
// rejects unawaited promises, which kills Node on a webhook error).
async function deliverUserUpdate(server, update) {
  const token = update.botToken;
  const webhook = server.webhooks[token];
  server.updateId = Math.max(server.updateId, update.updateId + 1);
  if (!webhook) {
    server.storage.userMessages.push(update);
    notifyUpdate(token);
    return { delivered: 'queued' };
  }
  update.isRead = true; // never handed out by getUpdates
  server.storage.userMessages.push(update);
  return pushToWebhook(token, webhook, update);
}

// Pushes for one bot are serialized so the webhook sees updates in update_id order.
const webhookChains = new Map();
function pushToWebhook(token, webhook, update) {
  const run = (webhookChains.get(token) || Promise.resolve()).then(() => doPush(token, webhook, update));
  webhookChains.set(token, run);
  return run;
}

async function doPush(token, webhook, update) {
  const headers = { 'content-type': 'application/json' };
  if (webhook.secret_token) headers['X-Telegram-Bot-Api-Secret-Token'] = webhook.secret_token;
  try {
    const r = await fetch(webhook.url, {
      method: 'POST', headers, body: JSON.stringify(TelegramServer.formatUpdate(update)),
      signal: AbortSignal.timeout(10000),
    });
    await r.arrayBuffer();
    if (r.status > 299) throw new Error(`Wrong response from the webhook: ${r.status} ${r.statusText}`);
    return { delivered: 'webhook', webhook_status: r.status };
  } catch (e) {
    const msg = e.cause ? `${e.message}: ${e.cause.message || e.cause}` : e.message;
    state.webhookStatus.set(token, { last_error_date: nowSec(), last_error_message: msg });
    warn(`webhook delivery to ${webhook.url} failed: ${msg}`);
    return { delivered: 'webhook_failed', error: msg };
  }
}

// ---------------------------------------------------------------- client (user) side
function clientUserMessage(server, kind) {
  return async (req, res) => {
    const body = { ...req.body };
    const token = body.botToken || body.token;
    if (!token) { tgError(res, 400, 'Bad Request: `botToken` is required'); return; }
    const from = normalizeUser(body.from);
    const chat = normalizeChat(body.chat || (body.chat_id !== undefined ? { id: body.chat_id } : undefined), from);
    const text = body.text;
    let entities = parseJSON(body.entities);
    if (!entities && typeof text === 'string' && text.startsWith('/')) { // Telegram marks a leading /command
      const end = text.search(/\s/);
      entities = [{ offset: 0, length: end === -1 ? text.length : end, type: 'bot_command' }];
    }
    if (kind === 'command' && !entities) { tgError(res, 400, 'Bad Request: a command must start with / or carry entities'); return; }
    const { botToken: _a, token: _b, chat_id: _c, chat: _d, from: _e, date, ...extra } = body;
    const message = clean({ ...extra, botToken: token, from, chat, date: date ? toSec(date) : nowSec(), text, entities });
    const update = {
      time: Date.now(), botToken: token, updateId: server.updateId, messageId: server.messageId, isRead: false, message,
    };
    server.updateId += 1;
    server.messageId += 1;
    const status = await deliverUserUpdate(server, update);
    server.emit(kind === 'command' ? 'AddedUserCommand' : 'AddedUserMessage');
    ok(res, { update_id: update.updateId, message_id: update.messageId, ...status });
  };
}

function clientCallback(server) {
  return async (req, res) => {
    const body = { ...req.body };
    const token = body.botToken || body.token;
    if (!token) { tgError(res, 400, 'Bad Request: `botToken` is required'); return; }
    const from = normalizeUser(body.from);
    let message = body.message && body.message.message_id !== undefined ? body.message : undefined;
    if (!message && !body.inline_message_id) {
      const chatId = body.chat_id ?? (body.message && body.message.chat && body.message.chat.id);
      let entry;
      if (body.message_id !== undefined) entry = findBotEntry(server, token, chatId, body.message_id);
      else {
        entry = [...server.storage.botMessages].reverse().find((e) => e.botToken === token
          && (chatId === undefined || String(e.message.chat_id) === String(chatId))
          && ((e.message.reply_markup && e.message.reply_markup.inline_keyboard) || [])
            .some((row) => row.some((b) => b.callback_data === body.data)));
      }
      if (entry) message = messageFromEntry(entry);
      else if (body.message) { // partial message (e.g. the emulator's own JS client)
        message = { message_id: body.message_id ?? 1, date: nowSec(), ...body.message };
      } else {
        tgError(res, 400, 'Bad Request: no bot message with a matching inline button; pass message_id (+chat_id) or message');
        return;
      }
    }
    if (message) {
      message = { ...message, chat: normalizeChat(message.chat, from), date: toSec(message.date ?? nowSec()) };
      if (message.from) message.from = normalizeUser(message.from, { is_bot: true });
    }
    const chatId = message ? message.chat.id : from.id;
    const callbackQuery = clean({
      from, message, data: body.data, inline_message_id: body.inline_message_id,
      chat_instance: String(body.chat_instance ?? `ci${chatId}`),
    });
    const callbackId = server.callbackId;
    server.callbackId += 1;
    state.callbackIds.add(String(callbackId));
    const update = { time: Date.now(), botToken: token, updateId: server.updateId, isRead: false, callbackQuery, callbackId };
    server.updateId += 1;
    const status = await deliverUserUpdate(server, update);
    server.emit('AddedUserCallbackQuery');
    ok(res, { update_id: update.updateId, callback_query_id: String(callbackId), ...status });
  };
}

// ---------------------------------------------------------------- bot side
const EMULATOR_METHODS = new Set(['deletemessage', 'getupdates', 'answercallbackquery', 'getme', 'editmessagetext',
  'editmessagereplymarkup', 'sendmessage', 'setwebhook', 'deletewebhook']);

// Post-processors for responses produced by the emulator's own handlers.
const post = {
  getme: (body, { token }) => ({ ...body, result: { ...(body.result || {}), ...botUser(token) } }),
  sendmessage: (body, { server, token }) => {
    if (!body.ok || !body.result) return body;
    const entry = findBotEntry(server, token, undefined, body.result.message_id);
    const r = body.result;
    return { ok: true, result: entry ? messageFromEntry(entry) : { ...r, date: toSec(r.date), from: botUser(token), chat: chatFor(r.chat.id) } };
  },
  answercallbackquery: (body) => (body.ok ? { ok: true, result: true } : body),
  deletemessage: (body) => (body.ok ? { ok: true, result: true } : body),
  setwebhook: (body, { server, token }) => {
    if (!body.ok) return body;
    // like Telegram: updates still pending when the webhook is set are pushed to it, in order
    const pending = pendingUpdates(server, token).sort((a, b) => a.updateId - b.updateId);
    pending.forEach((u) => { u.isRead = true; });
    const webhook = server.webhooks[token];
    pending.forEach((u) => pushToWebhook(token, webhook, u));
    return { ok: true, result: true, description: 'Webhook was set' };
  },
};

// Checks run before the emulator's handler; returning true means "answered".
const pre = {
  sendmessage: (req, res, { params }) => {
    if (params.chat_id === undefined || params.chat_id === '') { tgError(res, 400, 'Bad Request: chat_id is empty'); return true; }
    if (!params.text) { tgError(res, 400, 'Bad Request: message text is empty'); return true; }
    return false;
  },
  answercallbackquery: (req, res, { params }) => {
    if (!state.callbackIds.has(String(params.callback_query_id))) {
      tgError(res, 400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
      return true;
    }
    return false;
  },
  setwebhook: (req, res, ctx) => {
    const { params, server, token } = ctx;
    if (parseBool(params.drop_pending_updates)) pendingUpdates(server, token).forEach((u) => { u.isRead = true; });
    if (!params.url) { server.deleteWebhook(token); ok(res, true); return true; }
    state.webhookStatus.delete(token);
    req.body = { ...params, allowed_updates: parseJSON(params.allowed_updates) };
    return false;
  },
  deletewebhook: (req, res, { params, server, token }) => {
    if (parseBool(params.drop_pending_updates)) pendingUpdates(server, token).forEach((u) => { u.isRead = true; });
    return false;
  },
};

function commandsKey(token, params) {
  return `${token}|${JSON.stringify(parseJSON(params.scope) || { type: 'default' })}|${params.language_code || ''}`;
}

function sameMarkup(a, b) { return JSON.stringify(a || null) === JSON.stringify(b || null); }

function sendMedia(field) {
  return (req, res, { server, token, params }) => {
    if (params.chat_id === undefined || params.chat_id === '') { tgError(res, 400, 'Bad Request: chat_id is empty'); return; }
    const v = params[field];
    if (!v) { tgError(res, 400, `Bad Request: there is no ${field} in the request`); return; }
    state.fileSeq += 1;
    const upload = v.__upload ? v : null;
    const fileId = upload || /^https?:\/\//.test(String(v)) ? `file-${field}-${state.fileSeq}` : String(v);
    const base = clean({ file_id: fileId, file_unique_id: `u${state.fileSeq}`, file_size: upload ? upload.size : undefined });
    const media = field === 'photo'
      ? [{ ...base, width: 320, height: 240 }]
      : clean({ ...base, file_name: upload ? upload.filename : undefined, mime_type: upload ? upload.mime_type : undefined });
    server.addBotMessage(clean({
      chat_id: params.chat_id, caption: params.caption, caption_entities: parseJSON(params.caption_entities),
      reply_markup: parseJSON(params.reply_markup), [field]: media,
    }), token);
    ok(res, messageFromEntry(server.storage.botMessages[server.storage.botMessages.length - 1]));
  };
}

// Methods the launcher answers itself (the emulator lacks them or gets them wrong).
const native = {
  getupdates: async (req, res, { server, token, params }) => {
    if (server.webhooks[token]) {
      tgError(res, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
      return;
    }
    const offset = parseInt(params.offset, 10) || 0;
    const limit = Math.min(Math.max(parseInt(params.limit, 10) || 100, 1), 100);
    const timeout = Math.min(Math.max(parseFloat(params.timeout) || 0, 0), MAX_POLL_S);
    const collect = () => {
      const mine = server.storage.userMessages.filter((u) => u.botToken === token);
      if (offset > 0) mine.forEach((u) => { if (u.updateId < offset) u.isRead = true; }); // confirmed
      return mine.filter((u) => !u.isRead).sort((a, b) => a.updateId - b.updateId).slice(0, limit);
    };
    let updates = collect();
    if (!updates.length && timeout > 0 && !state.stopping) {
      await waitForUpdate(token, timeout * 1000);
      updates = collect();
    }
    ok(res, updates.map((u) => TelegramServer.formatUpdate(u)));
  },
  editmessagetext: (req, res, { server, token, params }) => {
    if (params.inline_message_id) { ok(res, true); return; }
    const entry = findBotEntry(server, token, params.chat_id, params.message_id);
    if (!entry) { tgError(res, 400, 'Bad Request: message to edit not found'); return; }
    if (!params.text) { tgError(res, 400, 'Bad Request: message text is empty'); return; }
    const markup = parseJSON(params.reply_markup);
    const inline = markup && markup.inline_keyboard ? markup : undefined;
    if (entry.message.text === params.text && sameMarkup(entry.message.reply_markup, inline)) {
      tgError(res, 400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      return;
    }
    entry.message = clean({ ...entry.message, text: params.text, entities: parseJSON(params.entities), parse_mode: params.parse_mode, reply_markup: inline });
    if (!inline) delete entry.message.reply_markup; // Telegram drops the inline keyboard when none is passed
    entry.editDate = nowSec();
    server.emit('EditedMessageText');
    ok(res, messageFromEntry(entry));
  },
  editmessagereplymarkup: (req, res, { server, token, params }) => {
    if (params.inline_message_id) { ok(res, true); return; }
    const entry = findBotEntry(server, token, params.chat_id, params.message_id);
    if (!entry) { tgError(res, 400, 'Bad Request: message to edit not found'); return; }
    const markup = parseJSON(params.reply_markup);
    const inline = markup && markup.inline_keyboard ? markup : undefined;
    if (sameMarkup(entry.message.reply_markup, inline)) {
      tgError(res, 400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      return;
    }
    entry.message = { ...entry.message, reply_markup: inline };
    if (!inline) delete entry.message.reply_markup;
    entry.editDate = nowSec();
    server.emit('EditedMessageReplyMarkup');
    ok(res, messageFromEntry(entry));
  },
  editmessagecaption: (req, res, { server, token, params }) => {
    if (params.inline_message_id) { ok(res, true); return; }
    const entry = findBotEntry(server, token, params.chat_id, params.message_id);
    if (!entry) { tgError(res, 400, 'Bad Request: message to edit not found'); return; }
    const markup = parseJSON(params.reply_markup);
    entry.message = clean({ ...entry.message, caption: params.caption, reply_markup: markup && markup.inline_keyboard ? markup : undefined });
    entry.editDate = nowSec();
    ok(res, messageFromEntry(entry));
  },
  sendphoto: sendMedia('photo'),
  senddocument: sendMedia('document'),
  sendchataction: (req, res) => ok(res, true),
  setmycommands: (req, res, { token, params }) => {
    const cmds = parseJSON(params.commands);
    if (!Array.isArray(cmds) || cmds.length > 100) { tgError(res, 400, 'Bad Request: commands must be an array of at most 100 items'); return; }
    for (const c of cmds) {
      if (!c || !/^[a-z0-9_]{1,32}$/.test(String(c.command))) { tgError(res, 400, 'Bad Request: BOT_COMMAND_INVALID'); return; }
      if (!c.description || String(c.description).length > 256) { tgError(res, 400, 'Bad Request: command description is empty'); return; }
    }
    state.commands.set(commandsKey(token, params), cmds.map((c) => ({ command: c.command, description: c.description })));
    ok(res, true);
  },
  getmycommands: (req, res, { token, params }) => ok(res, state.commands.get(commandsKey(token, params)) || []),
  deletemycommands: (req, res, { token, params }) => { state.commands.delete(commandsKey(token, params)); ok(res, true); },
  getwebhookinfo: (req, res, { server, token }) => {
    const wh = server.webhooks[token];
    ok(res, clean({
      url: wh ? wh.url : '',
      has_custom_certificate: false,
      pending_update_count: pendingUpdates(server, token).length,
      max_connections: wh && wh.max_connections ? Number(wh.max_connections) : undefined,
      allowed_updates: wh ? wh.allowed_updates : undefined,
      ...(wh ? state.webhookStatus.get(token) : {}),
    }));
  },
  logout: (req, res) => ok(res, true),
  close: (req, res) => ok(res, true),
};

async function botDispatcher(req, res, next, server) {
  const token = req.params.token;
  const method = req.params.method;
  const key = method.toLowerCase();
  const params = { ...req.query, ...(req.body || {}) };
  const call = recordCall(token, method, params);
  const ctx = { server, token, method, params };

  // Telegram-style errors everywhere: {ok:false,error_code,description} + matching HTTP status.
  const origJson = res.json.bind(res);
  res.json = (body) => {
    let out = body;
    if (!res.__tgNormalized) {
      try {
        if (out && out.ok === undefined && out.message) out = { ok: false, error_code: res.statusCode >= 400 ? res.statusCode : 500, description: out.message };
        if (out && out.ok === true && post[key]) out = post[key](out, ctx);
        if (out && out.ok === false) res.status(out.error_code || 400);
      } catch (e) { warn(`post-processing ${method} failed: ${e.stack}`); }
    }
    if (out && out.ok === false) call.error_code = out.error_code;
    log(method, JSON.stringify(params), '->', JSON.stringify(out));
    return origJson(out);
  };

  const fault = takeFault(token, key);
  if (fault) {
    if (fault.delay_ms) await sleep(fault.delay_ms);
    if (fault.error_code) {
      call.faulted = true;
      const parameters = { ...(fault.parameters || {}) };
      if (fault.retry_after !== undefined) parameters.retry_after = Number(fault.retry_after);
      tgError(res, fault.error_code, fault.description, parameters);
      return;
    }
  }
  try {
    if (native[key]) { await native[key](req, res, ctx); return; }
    if (pre[key] && pre[key](req, res, ctx)) return;
    if (EMULATOR_METHODS.has(key)) { next(); return; }
    warn(`unsupported bot method ${method}`);
    tgError(res, 404, `Not Found: method '${method}' is not implemented by the telegram-test-api test peer`);
  } catch (e) { next(e); }
}

// ---------------------------------------------------------------- control endpoints
function controlRoutes(app, server) {
  app.get('/__health', (_req, res) => ok(res, true));
  app.post('/__fault', (req, res) => {
    const b = req.body || {};
    if (!b.method) { tgError(res, 400, 'Bad Request: `method` is required'); return; }
    if (!b.error_code && !b.delay_ms) { tgError(res, 400, 'Bad Request: `error_code` or `delay_ms` is required'); return; }
    const code = b.error_code ? Number(b.error_code) : undefined;
    const retryAfter = b.retry_after !== undefined ? Number(b.retry_after) : (code === 429 ? 1 : undefined);
    const f = clean({
      id: ++state.faultSeq, method: String(b.method), token: b.token, error_code: code,
      retry_after: retryAfter, parameters: b.parameters, delay_ms: b.delay_ms ? Number(b.delay_ms) : undefined,
      description: b.description || (code === 429 ? `Too Many Requests: retry after ${retryAfter}` : (code ? ERROR_TEXT[code] : undefined)),
      remaining: b.count !== undefined ? Number(b.count) : 1,
    });
    state.faults.push(f);
    ok(res, f);
  });
  app.get('/__fault', (_req, res) => ok(res, state.faults));
  app.delete('/__fault', (_req, res) => { state.faults = []; ok(res, true); });
  app.get('/__calls', (req, res) => {
    const { method, token } = req.query;
    const since = Number(req.query.since || 0);
    ok(res, state.calls.filter((c) => c.seq > since
      && (!method || c.method.toLowerCase() === String(method).toLowerCase())
      && (!token || c.token === token)));
  });
  app.delete('/__calls', (_req, res) => { state.calls = []; ok(res, true); });
  app.post('/__reset', (_req, res) => {
    server.storage.userMessages = [];
    server.storage.botMessages = [];
    server.webhooks = {};
    state.calls = []; state.faults = []; state.commands.clear(); state.webhookStatus.clear(); state.callbackIds.clear();
    chats.clear();
    ok(res, true);
  });
}

function launcherRoutes(app, server) {
  app.use(multipartMiddleware);
  controlRoutes(app, server);
  app.post('/sendMessage', (req, res, next) => clientUserMessage(server, 'message')(req, res).catch(next));
  app.post('/sendCommand', (req, res, next) => clientUserMessage(server, 'command')(req, res).catch(next));
  app.post('/sendCallback', (req, res, next) => clientCallback(server)(req, res).catch(next));
  app.all('/bot:token/:method', (req, res, next) => { botDispatcher(req, res, next, server).catch(next); });
}
routes.unshift(launcherRoutes);

// ---------------------------------------------------------------- start / stop
async function main() {
  const raw = process.argv[2] ?? process.env.TELEGRAM_TEST_PORT ?? '0';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    warn(`invalid port ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  const server = new TelegramServer({ host: HOST, port: port || 9000, storeTimeout: STORE_TIMEOUT_S });
  server.config.port = port; // normalizeConfig turns 0 into 9000; we want "any free port"
  try {
    await server.start();
  } catch (e) {
    warn(`cannot listen on ${HOST}:${port}: ${e.message}`);
    process.exit(1);
  }
  const actual = server.server.address().port;
  server.config.apiURL = `http://${HOST}:${actual}`;
  process.stdout.write(`READY ${actual}\n`);

  let stopping = false;
  const shutdown = (sig) => {
    if (stopping) return;
    stopping = true;
    state.stopping = true;
    log(`${sig}: shutting down`);
    for (const w of [...state.waiters]) w.wake();
    setTimeout(() => process.exit(0), 3000).unref();
    server.stop().then(() => process.exit(0), () => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (process.env.TELEGRAM_TEST_EXIT_ON_STDIN_EOF === '1') {
    process.stdin.on('end', () => shutdown('stdin EOF'));
    process.stdin.resume();
  }
}

process.on('unhandledRejection', (e) => warn('unhandled rejection:', e && e.stack ? e.stack : e));
main();
