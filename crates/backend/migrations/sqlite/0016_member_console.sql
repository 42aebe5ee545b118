-- Administrators suspend and reinstate accounts. A suspended account signs
-- nobody in, its sessions end, and the library shows it nothing; the
-- reason is kept for the record. The time of the last full sign-in is
-- kept for the member list.
alter table users add column suspended_at bigint;
alter table users add column suspension_reason text;
alter table users add column last_sign_in_at bigint;
