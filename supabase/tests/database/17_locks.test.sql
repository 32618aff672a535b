-- Locks on an organization's row (issue 33): the functions that serialise on it take
-- `for no key update`, which keeps them one at a time among themselves and lets every
-- other transaction's foreign-key check on the row through (organizations.races in the
-- harness shows both). Only the purge, which deletes the row, takes `for update`.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(2);

select is(
  array(select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
          and p.prosrc ~* 'from\s+public\.organizations\s[^;]*\sfor\s+update'
        order by 1),
  array['private.purge_deleted_organizations(timestamp with time zone)'],
  'no function but the purge locks an organization''s row for update');
select cmp_ok(
  (select count(*)::int from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
     and p.prosrc ~* 'from\s+public\.organizations\s[^;]*\sfor\s+no\s+key\s+update'), '>=', 7,
  'the seat checks, member changes, leaving, asking to join, the owner check, onboarding and deletion lock it for no key update');

select * from finish();
rollback;
