-- Every change that can end or alter a session is announced on the channel `session_changes`,
-- by the database itself, whichever code made it: each API process keeps recent sessions in
-- memory and drops a copy the moment its row changes (apps/api/src/session-cache.ts, ADR 026).
-- The payload names what changed: 'sid:<session id>', 'user:<user id>' (a user's sessions are
-- read only while the user exists and is not deleted), or 'all'.
CREATE FUNCTION notify_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('session_changes', 'sid:' || OLD.sid);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('session_changes', 'user:' || OLD.id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION notify_all_sessions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('session_changes', 'all');
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A new row needs no notice: no process holds a copy of a session that did not exist.
CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION notify_session_change();
--> statement-breakpoint
CREATE TRIGGER sessions_truncated AFTER TRUNCATE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION notify_all_sessions_changed();
--> statement-breakpoint
-- Any change to a user, not only deleted_at: a column that decides whether a session is honoured
-- tomorrow (a disabled flag, a role) is then covered without touching this trigger.
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_user_change();
--> statement-breakpoint
CREATE TRIGGER users_truncated AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION notify_all_sessions_changed();
