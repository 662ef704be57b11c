DROP TABLE "auth_attempts" CASCADE;--> statement-breakpoint
CREATE TABLE "auth_attempts" (
	"key" varchar(255) PRIMARY KEY NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"expire" bigint
);
--> statement-breakpoint
CREATE INDEX "auth_attempts_expire_idx" ON "auth_attempts" USING btree ("expire");