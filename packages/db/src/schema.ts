// The database tables. `pnpm db:generate` turns changes here into a new SQL
// migration under migrations/, which is committed and applied by `pnpm db:migrate`.
import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  json,
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

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Unique regardless of case: Ada@example.com and ada@example.com are one person.
  (t) => [uniqueIndex('users_email_lower_unique').on(sql`lower(${t.email})`)],
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
  (t) => [index('sessions_expire_idx').on(t.expire)],
);

export type Note = typeof notes.$inferSelect;

// Lifecycle: uploading (invisible to the user) → uploaded → processing → ready | failed.
// A row is written before its object and removed if the upload fails, so a visible row
// always has its object; the cleanup job removes rows and objects that a crash left behind.
export const fileStatuses = ['uploading', 'uploaded', 'processing', 'ready', 'failed'] as const;

export const files = pgTable(
  'files',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    noteId: uuid('note_id').references(() => notes.id, { onDelete: 'set null' }),
    objectKey: text('object_key').notNull().unique(),
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

// Failed sign-in and sign-up attempts per key (a client IP, an account, a signed-in browser),
// counted in a fixed window that opens with the first failure. The API keeps these counters in
// Redis when it has one; this table serves deployments without Redis (see ADR 015).
export const authAttempts = pgTable(
  'auth_attempts',
  {
    key: text('key').primaryKey(),
    count: integer('count').notNull(),
    windowEndsAt: timestamp('window_ends_at', { withTimezone: true }).notNull(),
  },
  // Serves the sweep that deletes windows long over.
  (t) => [index('auth_attempts_window_ends_idx').on(t.windowEndsAt)],
);

export type FileRow = typeof files.$inferSelect;
export type ExportRow = typeof dataExports.$inferSelect;
