// A user's sessions as rows of the `sessions` table (see session.ts): listed as "signed-in
// devices", ended one at a time or all but this one, ended all at once after a password reset.
// This is why sessions live on the server (ADR 001): ending one takes effect on the next request.
import { createHash } from 'node:crypto';
import Bowser from 'bowser';
import type { Request, RequestHandler } from 'express';
import { sql } from 'drizzle-orm';
import type { Database, Transaction } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';

/** Where and when a session began, kept in the session itself. */
export interface DeviceInfo {
  createdAt: number;
  lastSeenAt: number;
  userAgent: string;
  ip: string;
}

declare module 'express-session' {
  interface SessionData {
    device?: DeviceInfo;
  }
}

export interface Device {
  /** Not the session id, which would be as good as the cookie: a hash of it. */
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  browser: string;
  place: string;
}

// "Last active" is worth a write this often at most, not on every request.
const SEEN_EVERY_MS = 5 * 60_000;

const ofUser = (userId: string) => sql`(sess #>> '{passport,user,id}') = ${userId}`;
export const deviceId = (sid: string) =>
  createHash('sha256').update(sid).digest('base64url').slice(0, 22);

/** Called right after sign-in, on the new session. */
export function recordDevice(req: Request): void {
  const now = Date.now();
  req.session.device = {
    createdAt: now,
    lastSeenAt: now,
    userAgent: (req.get('user-agent') ?? '').slice(0, 300),
    ip: req.ip ?? '',
  };
}

/**
 * Keeps "last active" roughly current. An UPDATE of the row, not a change to the session object:
 * saving the object writes the whole row back, which would bring back a session that a reset on
 * another device deleted while this request ran.
 */
export function touchDevice(db: Database, logger: Logger): RequestHandler {
  return (req, _res, next) => {
    const device = req.session.device;
    if (req.user && device && Date.now() - device.lastSeenAt > SEEN_EVERY_MS) {
      // The next request reads the new time from the row; the object here stays as loaded.
      db.execute(
        sql`update sessions set sess = jsonb_set(sess::jsonb, '{device,lastSeenAt}', to_jsonb(${Date.now()}::bigint))::json
            where sid = ${req.sessionID}`,
      ).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not record when this session was last active');
      });
    }
    next();
  };
}

export async function listDevices(db: Database, userId: string, currentSid: string) {
  const { rows } = await db.execute<{ sid: string; device: DeviceInfo | null }>(
    sql`select sid, sess -> 'device' as device from sessions where ${ofUser(userId)} and expire >= now()`,
  );
  const devices: Device[] = rows.map(({ sid, device }) => ({
    id: deviceId(sid),
    current: sid === currentSid,
    createdAt: new Date(device?.createdAt ?? 0).toISOString(),
    lastSeenAt: new Date(device?.lastSeenAt ?? 0).toISOString(),
    browser: describeBrowser(device?.userAgent ?? ''),
    place: describePlace(device?.ip ?? ''),
  }));
  return devices.sort(
    (a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt),
  );
}

/** Ends one of the user's sessions by its device id; false when there is none such. */
export async function endDevice(db: Database, userId: string, id: string): Promise<boolean> {
  const { rows } = await db.execute<{ sid: string }>(
    sql`select sid from sessions where ${ofUser(userId)}`,
  );
  const match = rows.find((row) => deviceId(row.sid) === id);
  if (!match) return false;
  await db.execute(sql`delete from sessions where sid = ${match.sid} and ${ofUser(userId)}`);
  return true;
}

/** Ends every session of the user, or every one but `except`; returns how many ended. */
export async function endSessions(
  db: Database | Transaction,
  userId: string,
  { except }: { except?: string } = {},
): Promise<number> {
  const { rowCount } = await db.execute(
    except === undefined
      ? sql`delete from sessions where ${ofUser(userId)}`
      : sql`delete from sessions where ${ofUser(userId)} and sid <> ${except}`,
  );
  return rowCount ?? 0;
}

/** The address a session shows (it keeps { id, email }) follows an email change everywhere. */
export async function renameInSessions(db: Transaction, userId: string, email: string) {
  await db.execute(
    sql`update sessions set sess = jsonb_set(sess::jsonb, '{passport,user,email}', to_jsonb(${email}::text))::json
        where ${ofUser(userId)}`,
  );
}

export function describeBrowser(userAgent: string): string {
  if (!userAgent) return 'Unknown browser';
  const { browser, os } = Bowser.parse(userAgent);
  const name = [browser.name, browser.version?.split('.')[0]].filter(Boolean).join(' ');
  const system = [os.name, os.versionName].filter(Boolean).join(' ');
  return [name || 'Unknown browser', system].filter(Boolean).join(' on ');
}

/**
 * An approximate place from the address: its network, never the whole address. A country or a
 * city would need a GeoIP database, which this template does not ship (docs/security.md says how
 * to add one); the network is enough to tell "my office" from "somewhere else".
 */
export function describePlace(ip: string): string {
  const address = ip.replace(/^::ffff:/, '');
  if (address === '') return 'Unknown network';
  if (address === '127.0.0.1' || address === '::1') return 'This computer';
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.\d+$/.exec(address);
  if (v4) {
    const [, a, b, c] = v4;
    const network = `${a}.${b}.${c}.0/24`;
    const isPrivate =
      a === '10' ||
      (a === '192' && b === '168') ||
      (a === '172' && Number(b) >= 16 && Number(b) <= 31);
    return isPrivate ? `Private network ${network}` : `Network ${network}`;
  }
  const groups = address.split(':').slice(0, 3).join(':');
  return `Network ${groups}::/48`;
}
