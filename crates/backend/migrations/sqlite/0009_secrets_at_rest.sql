-- Secrets at rest: a key for each use is now derived from SECRET_KEY;
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
