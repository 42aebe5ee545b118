-- Secrets at rest: a key for each use is now derived from SECRET_KEY.

-- Authorisation codes were hashed with the raw secret, so codes issued
-- before this migration no longer match: they are marked revoked, and
-- administrators issue new ones.
update authorisation_codes set revoked_at = extract(epoch from now())::bigint, updated_at = extract(epoch from now())::bigint
 where revoked_at is null;
