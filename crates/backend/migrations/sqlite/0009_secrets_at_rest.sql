-- Secrets at rest. Keys are now derived from SECRET_KEY for each use;
-- second-factor secrets are stored encrypted and recovery codes as keyed
-- hashes, which SQL cannot compute from what was stored before.

-- Second factors enrolled before this migration (secrets in the clear,
-- recovery codes as plain SHA-256) are removed: administrators are asked
-- to set one up again at their next sign-in, members may.
update users set totp_secret = null, totp_enabled_at = null, totp_last_step = null
 where totp_secret is not null or totp_enabled_at is not null;
delete from recovery_codes;

-- Authorisation codes were hashed with the raw secret, so codes issued
-- before this migration no longer match: they are marked revoked, and
-- administrators issue new ones.
update authorisation_codes set revoked_at = cast(strftime('%s', 'now') as integer), updated_at = cast(strftime('%s', 'now') as integer)
 where revoked_at is null;

-- A message carrying a link is kept no longer than the link works: its
-- body is cleared, sent or not, once purge_after (the link's expiry) has
-- passed.
alter table outbox add column purge_after bigint;
create index outbox_purge on outbox (purge_after) where body <> '';

-- Messages queued before this migration carried links that lived at most
-- 24 hours.
update outbox set purge_after = created_at + 86400 where body like '%?token=%';
