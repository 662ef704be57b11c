// The database tables. `pnpm db:generate` turns changes here into a new SQL
// migration under migrations/, which is committed and applied by `pnpm db:migrate`.
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';

// One clock for every time the app stores: the database's. Machines' clocks drift apart, and
// a time written by one process is compared with `now()` by another (the cleanup and
// resume-work jobs), so no process stamps a time from its own clock.

/** updated_at, stamped with the database's `now()` by every update that does not set it itself. */
const lastUpdated = () =>
  timestamp('updated_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => sql`now()`);

export const userRoles = ['user', 'admin'] as const;
export type UserRole = (typeof userRoles)[number];

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    /** Set when the owner followed the link mailed to this address (see ADR 028). */
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    /**
     * Set when the owner asked to delete the account: from then on nobody can sign in to it, and
     * the 'delete-account' job removes its objects and then this row (and with it every other).
     */
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    /** 'admin' opens /api/admin (see ADR 035); only an admin or `pnpm user:promote` sets it. */
    role: text('role', { enum: userRoles }).notNull().default('user'),
    /** Set by an admin: while set, the account cannot sign in and none of its sessions is read. */
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true }),
    // To the millisecond, as every column a list pages by (see http/pagination.ts).
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    // Unique regardless of case: Ada@example.com and ada@example.com are one person.
    uniqueIndex('users_email_lower_unique').on(sql`lower(${t.email})`),
    // Serves the admin's list of users, newest first.
    index('users_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check('users_role_known', sql`${t.role} in ('user', 'admin')`),
  ],
);

export const notes = pgTable(
  'notes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: lastUpdated(),
  },
  // Serves "this user's notes, newest first", the only way notes are listed.
  (t) => [index('notes_user_created_idx').on(t.userId, t.createdAt.desc(), t.id.desc())],
);

// Server-side sessions, in the layout connect-pg-simple expects.
export const sessions = pgTable(
  'sessions',
  {
    sid: varchar('sid').primaryKey(),
    sess: json('sess').notNull(),
    expire: timestamp('expire', { precision: 6 }).notNull(),
  },
  (t) => [
    index('sessions_expire_idx').on(t.expire),
    // Serves "this user's sessions": the devices list, and ending them all after a reset.
    index('sessions_user_idx').using('btree', sql`(${t.sess} #>> '{passport,user,id}')`),
  ],
);

export type Note = typeof notes.$inferSelect;

// Lifecycle: uploading (invisible to the user) → uploaded → processing → ready | failed | refused.
// A row is written before its multipart upload starts and removed if the upload is given up, so
// a visible row has its object; the cleanup job removes what an abandoned upload left behind.
// 'refused': the worker found the bytes are not what the upload declared (another type, another
// size); the object is deleted and failure_reason tells the user why.
export const fileStatuses = [
  'uploading',
  'uploaded',
  'processing',
  'ready',
  'failed',
  'refused',
] as const;

export const files = pgTable(
  'files',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    noteId: uuid('note_id').references(() => notes.id, { onDelete: 'set null' }),
    objectKey: text('object_key').notNull().unique(),
    /** The S3 multipart upload the browser sends parts to; set while 'uploading' only. */
    uploadId: text('upload_id'),
    originalName: text('original_name').notNull(),
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }),
    sha256: text('sha256'),
    width: integer('width'),
    height: integer('height'),
    thumbnailKey: text('thumbnail_key'),
    status: text('status', { enum: fileStatuses }).notNull().default('uploading'),
    failureReason: text('failure_reason'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: lastUpdated(),
  },
  (t) => [
    index('files_user_created_idx').on(t.userId, t.createdAt.desc(), t.id.desc()),
    index('files_status_idx').on(t.status, t.updatedAt),
  ],
);

export const exportStatuses = ['pending', 'running', 'ready', 'failed'] as const;

export const dataExports = pgTable(
  'exports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: exportStatuses }).notNull().default('pending'),
    objectKey: text('object_key'),
    size: bigint('size', { mode: 'number' }),
    failureReason: text('failure_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    // One export under way per user: a second request gets the first one back.
    uniqueIndex('exports_one_under_way_per_user')
      .on(t.userId)
      .where(sql`${t.status} in ('pending', 'running')`),
    index('exports_user_idx').on(t.userId, t.createdAt.desc()),
    index('exports_expires_idx').on(t.expiresAt),
  ],
);

// Failed sign-in attempts and mail requests per key (a client IP, an account, a signed-in
// browser), for deployments without Redis (see ADR 030). The layout is the one
// rate-limiter-flexible's RateLimiterPostgres reads and writes, so its names are the library's:
// `points` counted so far, and `expire`, when the window closes, in epoch milliseconds of the
// API's clock (the one exception to the database's clock; the ADR says why it is harmless).
export const authAttempts = pgTable(
  'auth_attempts',
  {
    key: varchar('key', { length: 255 }).primaryKey(),
    points: integer('points').notNull().default(0),
    expire: bigint('expire', { mode: 'number' }),
  },
  // Serves the limiter's sweep of windows that closed an hour ago.
  (t) => [index('auth_attempts_expire_idx').on(t.expire)],
);

export const accountTokenPurposes = ['verify-email', 'reset-password', 'change-email'] as const;
export type AccountTokenPurpose = (typeof accountTokenPurposes)[number];

// The links mailed to prove an address or reset a password. Only a hash of each token is
// stored: someone who reads this table (a backup, a leak) holds no link that works.
export const accountTokens = pgTable(
  'account_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: accountTokenPurposes }).notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    /** For 'change-email': the address that becomes the account's once this link is followed. */
    newEmail: text('new_email'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('account_tokens_user_idx').on(t.userId, t.purpose)],
);

export const emailTemplates = [
  'verify-email',
  'reset-password',
  'password-changed',
  'confirm-email-change',
  'email-change-requested',
  'email-changed',
  'account-deleted',
] as const;

// pending → sent, or failed (refused for good, the reason kept), or dropped (nothing to send:
// a reset asked for an address without an account). 'pending' is the outbox: resume-work
// enqueues the job of every pending mail whose job Redis lost or never got.
export const emailStatuses = ['pending', 'sent', 'failed', 'dropped'] as const;

// The mail outbox. A row is written in the same transaction as the change it reports, so a
// mail is never lost to an outage of Redis or of the SMTP server, only delayed. The link, if
// the mail has one, is made by the job that sends it: no token is ever at rest in plain text.
export const emails = pgTable(
  'emails',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    toAddress: text('to_address').notNull(),
    template: text('template', { enum: emailTemplates }).notNull(),
    tokenId: uuid('token_id').references(() => accountTokens.id, { onDelete: 'set null' }),
    newEmail: text('new_email'),
    status: text('status', { enum: emailStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    failureReason: text('failure_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: lastUpdated(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [index('emails_status_idx').on(t.status, t.updatedAt)],
);

export type FileRow = typeof files.$inferSelect;
export type ExportRow = typeof dataExports.$inferSelect;
export type EmailRow = typeof emails.$inferSelect;
export type EmailTemplate = (typeof emailTemplates)[number];

export const adminActions = ['disable', 'enable', 'sign-out', 'promote', 'demote'] as const;
export type AdminAction = (typeof adminActions)[number];

// Every change an admin makes to another account: who, what, whom, when, from where. Written in
// the transaction that makes the change, so there is no change without its row. The emails are
// copied as they were, so a row still says whom it was about after that account is deleted.
export const adminAudit = pgTable(
  'admin_audit',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The admin who acted; null for `pnpm user:promote`, run on a server by its operator. */
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    /** The admin's email then, or 'command'. */
    actor: text('actor').notNull(),
    action: text('action', { enum: adminActions }).notNull(),
    targetId: uuid('target_id').references(() => users.id, { onDelete: 'set null' }),
    targetEmail: text('target_email').notNull(),
    details: jsonb('details').notNull().default({}),
    clientIp: text('client_ip'),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('admin_audit_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check(
      'admin_audit_action_known',
      sql`${t.action} in ('disable', 'enable', 'sign-out', 'promote', 'demote')`,
    ),
  ],
);

export type AdminAuditRow = typeof adminAudit.$inferSelect;
