// The development/sandbox outbox: every message that would have been sent, with its code or link, so the
// code- and link-based flows work with no provider configured. One capped, expiring list per tenant in the
// KV store, newest first; nothing here is durable and nothing here is ever shown for a production tenant
// (the composition root decides whether the page is mounted at all).
import { randomUUID } from 'node:crypto';
import type { KvStore } from '../store/kv-store.js';

export interface OutboxEntry {
  id: string;
  /** ISO 8601 */
  at: string;
  channel: 'email' | 'sms' | 'whatsapp';
  to: string;
  subject: string | null;
  text: string;
  code: string | null;
  link: string | null;
  /** who delivered it for real (sandbox tenants may also send), null when only recorded */
  provider: string | null;
  delivered: boolean;
}

export interface Outbox {
  record(tenantId: string, entry: Omit<OutboxEntry, 'id' | 'at'>): Promise<OutboxEntry>;
  /** newest first */
  list(tenantId: string): Promise<OutboxEntry[]>;
}

export const outboxDefaults = Object.freeze({ maxPerTenant: 200, ttlSeconds: 24 * 60 * 60 });

const CHANNELS = new Set(['email', 'sms', 'whatsapp']);

const keyOf = (tenantId: string) => `outbox:${tenantId}`;

export function createOutbox(store: KvStore, options: { maxPerTenant?: number; ttlSeconds?: number } = {}): Outbox {
  const maxPerTenant = options.maxPerTenant ?? outboxDefaults.maxPerTenant;
  const ttlSeconds = options.ttlSeconds ?? outboxDefaults.ttlSeconds;

  return {
    async record(tenantId, entry) {
      // Fields are copied one by one so a caller's extra properties never reach the page or the JSON.
      const saved: OutboxEntry = {
        id: randomUUID(),
        at: new Date().toISOString(),
        channel: entry.channel,
        to: entry.to,
        subject: entry.subject,
        text: entry.text,
        code: entry.code,
        link: entry.link,
        provider: entry.provider,
        delivered: entry.delivered,
      };
      await store.listPush(keyOf(tenantId), JSON.stringify(saved), maxPerTenant, ttlSeconds);
      return saved;
    },
    async list(tenantId) {
      const raw = await store.listRange(keyOf(tenantId));
      // An entry written by an older or newer version that no longer parses is skipped, not fatal:
      // the outbox is a developer convenience and must not break the page.
      return raw.map(parseEntry).filter((e): e is OutboxEntry => e !== null);
    },
  };
}

function parseEntry(raw: string): OutboxEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  const str = (v: unknown) => typeof v === 'string';
  const strOrNull = (v: unknown) => v === null || typeof v === 'string';
  const ok =
    str(e.id) && str(e.at) && CHANNELS.has(e.channel as string) && str(e.to) && strOrNull(e.subject) &&
    str(e.text) && strOrNull(e.code) && strOrNull(e.link) && strOrNull(e.provider) && typeof e.delivered === 'boolean';
  return ok ? (e as unknown as OutboxEntry) : null;
}
